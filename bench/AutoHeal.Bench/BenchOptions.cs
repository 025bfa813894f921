using System.Globalization;

namespace AutoHeal.Bench;

/// <summary>The bench's knobs; the defaults are the documented benchmark (docs/benchmarks.md).</summary>
internal sealed record BenchOptions
{
    /// <summary>Containers that crash (exit 9) on a trigger.</summary>
    public int CrashContainers { get; init; } = 16;
    /// <summary>Containers that turn unhealthy on a trigger.</summary>
    public int SickContainers { get; init; } = 4;
    /// <summary>Failures per container.</summary>
    public int Rounds { get; init; } = 3;
    /// <summary>The pause between two triggers (across containers).</summary>
    public TimeSpan TriggerGap { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>Monitored containers for the idle measurement.</summary>
    public int IdleContainers { get; init; } = 200;
    /// <summary>Wait after the idle containers are all up and healthy.</summary>
    public TimeSpan Warmup { get; init; } = TimeSpan.FromSeconds(20);
    /// <summary>The idle CPU measurement window.</summary>
    public TimeSpan Window { get; init; } = TimeSpan.FromSeconds(60);
    /// <summary>docker run calls in flight at once.</summary>
    public int Parallelism { get; init; } = 8;

    public const string Usage = """
        usage: dotnet run -c Release --project bench/AutoHeal.Bench [-- options]
          --crash N        containers that crash on a trigger (16)
          --sick N         containers that turn unhealthy on a trigger (4)
          --rounds N       failures per container (3)
          --gap MS         pause between two triggers, ms (250)
          --idle N         monitored containers for the idle measurement (200; 0 skips it)
          --warmup S       warm-up before the idle window, s (20)
          --window S       idle CPU window, s (60)
          --parallel N     docker run calls at once (8)
        """;

    public static BenchOptions Parse(string[] args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            int Int() => int.Parse(Next(), CultureInfo.InvariantCulture) is var v and >= 0 ? v : throw new ArgumentException($"{args[i]} must not be negative");
            o = args[i] switch
            {
                "--crash" => o with { CrashContainers = Int() },
                "--sick" => o with { SickContainers = Int() },
                "--rounds" => o with { Rounds = Int() },
                "--gap" => o with { TriggerGap = TimeSpan.FromMilliseconds(Int()) },
                "--idle" => o with { IdleContainers = Int() },
                "--warmup" => o with { Warmup = TimeSpan.FromSeconds(Int()) },
                "--window" => o with { Window = TimeSpan.FromSeconds(Math.Max(1, Int())) },
                "--parallel" => o with { Parallelism = Math.Max(1, Int()) },
                _ => throw new ArgumentException($"unknown option {args[i]}"),
            };
        }

        return o;
    }
}
