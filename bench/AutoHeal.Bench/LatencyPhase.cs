using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using AutoHeal.TestUtils;

namespace AutoHeal.Bench;

/// <summary>What a failure is and how the engine reports it.</summary>
internal enum FailureKind
{
    /// <summary>PID 1 exits with code 9: <c>die</c>; Docker's restart of an exited container emits <c>start</c>.</summary>
    Crash,
    /// <summary>The health check fails: <c>health_status: unhealthy</c>; the restart of a running container emits <c>kill</c> first.</summary>
    Unhealthy,
}

/// <summary>One failure as the engine saw it, and what AutoHeal's own event log says about its heal.</summary>
internal sealed record Failure(string Container, FailureKind Kind, long DetectNano)
{
    public long? IssuedNano { get; set; }
    public long? RunningNano { get; set; }
    /// <summary>AutoHeal's HealScheduled event (it decided to heal), by its clock (the same host clock).</summary>
    public DateTimeOffset? Scheduled { get; set; }
    /// <summary>AutoHeal's Restarting event: recorded right before it calls the engine's restart.</summary>
    public DateTimeOffset? Restarting { get; set; }

    public double? DetectToIssuedMs => IssuedNano is { } i ? (i - DetectNano) / 1e6 : null;
    public double? DetectToRunningMs => RunningNano is { } r ? (r - DetectNano) / 1e6 : null;
    public DateTimeOffset DetectAt => DateTimeOffset.FromUnixTimeMilliseconds(DetectNano / 1_000_000).AddTicks(DetectNano % 1_000_000 / 100);
}

internal sealed record LatencyResult(
    int CrashContainers,
    int SickContainers,
    int Triggered,
    IReadOnlyList<Failure> Failures,
    IReadOnlyList<string> Problems,
    TimeSpan Duration,
    double HostBusyPercent);

/// <summary>
/// Heal latency: containers that crash or turn unhealthy on a trigger, failures spaced so each
/// container's heal is over before its next failure, timings from the engine's own event stream.
/// </summary>
internal sealed class LatencyPhase(DockerCli docker, AutoHealUnderTest autoheal, BenchOptions options)
{
    // PID 1 ignores signals sent from inside the container, so the crash is triggered through a FIFO:
    // `read` blocks (no polling, no CPU) until `docker exec NAME sh -c 'echo x > /tmp/crash'`, then PID 1 exits 9.
    // The FIFO is re-made at every start, since a restart keeps the container's filesystem.
    private const string CrashScript = "rm -f /tmp/crash; mkfifo /tmp/crash; read x < /tmp/crash; exit 9";

    // Unhealthy on `docker exec NAME touch /tmp/bad`; the marker is removed at every start. PID 1 traps
    // SIGTERM, so the restart's stop is immediate instead of waiting for the stop timeout.
    private const string SickScript = "rm -f /tmp/bad; trap 'exit 0' TERM; sleep 100000 & wait";

    private static readonly string[] SickHealth =
    [
        "--health-cmd", "test ! -f /tmp/bad", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "2s",
    ];

    private readonly List<string> _problems = [];

    public async Task<LatencyResult> RunAsync(EngineEvents events, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var crash = Enumerable.Range(1, options.CrashContainers).Select(i => $"{docker.RunId}-crash-{i:00}").ToList();
        var sick = Enumerable.Range(1, options.SickContainers).Select(i => $"{docker.RunId}-sick-{i:00}").ToList();
        var kinds = crash.Select(n => (n, FailureKind.Crash)).Concat(sick.Select(n => (n, FailureKind.Unhealthy)))
            .ToDictionary(x => x.n, x => x.Item2);

        Console.WriteLine($"latency: starting {crash.Count} crash-on-trigger and {sick.Count} unhealthy-on-trigger containers");
        await Parallel.ForEachAsync(kinds, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct },
            async (c, token) =>
            {
                var (name, kind) = c;
                await (kind == FailureKind.Crash
                    ? docker.StartAsync(name, CrashScript, ["--label", autoheal.OptInLabel, "--stop-timeout", "2"], token)
                    : docker.StartAsync(name, SickScript, ["--label", autoheal.OptInLabel, "--stop-timeout", "2", .. SickHealth], token));
            });

        await WaitAsync(async () => (await docker.ListAsync(ct, "health=healthy")).Length >= sick.Count,
            TimeSpan.FromSeconds(60), "the unhealthy-on-trigger containers to be healthy first", ct);
        // Let AutoHeal take in the create/start/healthy events before the first failure.
        await Task.Delay(TimeSpan.FromSeconds(2), ct);

        // Interleave kinds so the unhealthy ones are spread through the run.
        var order = Interleave(crash, sick);
        var load = new HostLoad();
        var triggered = order.ToDictionary(n => n, _ => 0);
        var total = 0;
        Console.WriteLine($"latency: {options.Rounds} round(s) over {order.Count} containers, one failure every {options.TriggerGap.TotalMilliseconds:0} ms");
        for (var round = 0; round < options.Rounds; round++)
        {
            foreach (var name in order)
            {
                ct.ThrowIfCancellationRequested();
                // This container's previous heal must be over (verified healed) before it fails again.
                if (!await HealedAsync(name, triggered[name], TimeSpan.FromSeconds(60), ct))
                {
                    _problems.Add($"{name}: heal {triggered[name]} not reported healed within 60 s; no further failures for it");
                    continue;
                }

                if (await TriggerAsync(name, kinds[name], ct))
                {
                    triggered[name]++;
                    total++;
                }

                await Task.Delay(options.TriggerGap, ct);
            }

            Console.WriteLine($"latency: round {round + 1} triggered ({total} failures so far)");
        }

        foreach (var name in order)
        {
            if (!await HealedAsync(name, triggered[name], TimeSpan.FromSeconds(60), ct))
            {
                _problems.Add($"{name}: last heal not reported healed within 60 s");
            }
        }

        var busy = load.BusyPercent();
        // Let the stream deliver the last start events.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
        if (events.Failure is { } f)
        {
            _problems.Add(f);
        }

        var failures = Analyze(events.Snapshot().Where(e => kinds.ContainsKey(e.Name)), kinds);
        AddAutoHealTimes(failures);
        foreach (var name in order)
        {
            var seen = failures.Count(x => x.Container == name);
            if (seen != triggered[name])
            {
                _problems.Add($"{name}: {triggered[name]} failure(s) triggered, {seen} seen in the engine's events");
            }

            foreach (var kind in new[] { "HealFailed", "HealCancelled", "Quarantined", "Skipped" })
            {
                if (autoheal.Count(name, kind) is > 0 and var n)
                {
                    _problems.Add($"{name}: autoheal logged {n} {kind} event(s)");
                }
            }
        }

        Console.WriteLine("latency: removing the latency containers");
        foreach (var name in kinds.Keys)
        {
            if (!await DockerCli.RemoveAsync(name, ct))
            {
                throw new InvalidOperationException($"could not remove {name}; the engine may be stuck");
            }
        }

        return new LatencyResult(crash.Count, sick.Count, total, failures, _problems, sw.Elapsed, busy);
    }

    /// <summary>
    /// Walks each container's events in engine order: a failure opens on <c>die</c> or
    /// <c>health_status: unhealthy</c>; the first <c>kill</c> or <c>start</c> after it is the restart issued
    /// (a die inside an open failure is the restart's own stop); the next <c>start</c> is running again.
    /// </summary>
    internal static List<Failure> Analyze(IEnumerable<EngineEvent> events, IReadOnlyDictionary<string, FailureKind> kinds)
    {
        var failures = new List<Failure>();
        foreach (var group in events.GroupBy(e => e.Name))
        {
            Failure? open = null;
            foreach (var e in group.OrderBy(e => e.TimeNano))
            {
                if (open is null)
                {
                    var failed = e.Action == "die" || e.Action.StartsWith("health_status: unhealthy", StringComparison.Ordinal);
                    if (failed)
                    {
                        open = new Failure(e.Name, kinds[e.Name], e.TimeNano);
                        failures.Add(open);
                    }

                    continue;
                }

                if (e.Action is "kill" or "start" && open.IssuedNano is null)
                {
                    open.IssuedNano = e.TimeNano;
                }

                if (e.Action == "start")
                {
                    open.RunningNano = e.TimeNano;
                    open = null;
                }
            }
        }

        return failures.OrderBy(f => f.DetectNano).ToList();
    }

    /// <summary>Adds AutoHeal's own HealScheduled and Restarting times (its SQLite event log) to each failure.</summary>
    private void AddAutoHealTimes(List<Failure> failures)
    {
        var db = Path.Combine(autoheal.DataDir, "autoheal.db");
        if (!File.Exists(db))
        {
            _problems.Add($"no AutoHeal database at {db}: no breakdown");
            return;
        }

        var scheduled = new List<(string Name, DateTimeOffset At, string Job)>();
        var restarting = new Dictionary<string, DateTimeOffset>();
        try
        {
            var events = autoheal.Query("SELECT kind, name, body FROM events WHERE kind IN ('heal_scheduled', 'restarting') ORDER BY id", r =>
            {
                using var body = JsonDocument.Parse(r.GetString(2));
                var at = body.RootElement.GetProperty("at").GetDateTimeOffset();
                var job = body.RootElement.TryGetProperty("jobId", out var j) ? j.GetString() ?? "" : "";
                return (Kind: r.GetString(0), Name: r.IsDBNull(1) ? "" : r.GetString(1), At: at, Job: job);
            });
            foreach (var e in events)
            {
                if (e.Kind == "heal_scheduled")
                {
                    scheduled.Add((e.Name, e.At, e.Job));
                }
                else
                {
                    restarting[e.Job] = e.At;
                }
            }
        }
        catch (Exception ex) when (ex is SqliteException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            _problems.Add($"could not read AutoHeal's event log: {ex.Message}");
            return;
        }

        var used = new HashSet<string>();
        foreach (var f in failures)
        {
            // The first HealScheduled for this container at or after the engine's failure event
            // (a few ms of slack: the same clock, but read at different moments).
            var end = f.RunningNano is { } rn ? DateTimeOffset.FromUnixTimeMilliseconds(rn / 1_000_000).AddSeconds(1) : DateTimeOffset.MaxValue;
            var match = scheduled.Where(s => s.Name == f.Container && !used.Contains(s.Job) && s.At >= f.DetectAt.AddMilliseconds(-5) && s.At <= end)
                .OrderBy(s => s.At).FirstOrDefault();
            if (match.Job is null or "")
            {
                continue;
            }

            used.Add(match.Job);
            f.Scheduled = match.At;
            f.Restarting = restarting.TryGetValue(match.Job, out var at) ? at : null;
        }
    }

    private async Task<bool> TriggerAsync(string name, FailureKind kind, CancellationToken ct)
    {
        if (kind == FailureKind.Unhealthy)
        {
            var (code, _, err) = await DockerCli.TryRunAsync(["exec", name, "touch", "/tmp/bad"], ct, TimeSpan.FromSeconds(20));
            if (code != 0)
            {
                _problems.Add($"{name}: trigger failed: {err.Trim()}");
            }

            return code == 0;
        }

        // The FIFO must be the one of the current run (made right after start) before writing to it.
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var (code, _, _) = await DockerCli.TryRunAsync(["exec", name, "test", "-p", "/tmp/crash"], ct, TimeSpan.FromSeconds(20));
            if (code == 0)
            {
                break;
            }

            if (sw.Elapsed > TimeSpan.FromSeconds(10))
            {
                _problems.Add($"{name}: no trigger FIFO within 10 s; not triggered");
                return false;
            }

            await Task.Delay(100, ct);
        }

        // PID 1 exits as soon as it reads, which may take this exec down with it: its exit code says nothing.
        await DockerCli.TryRunAsync(["exec", name, "sh", "-c", "echo x > /tmp/crash"], ct, TimeSpan.FromSeconds(20));
        return true;
    }

    private async Task<bool> HealedAsync(string name, int expected, TimeSpan timeout, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        while (autoheal.Count(name, "Healed") < expected)
        {
            if (sw.Elapsed > timeout || autoheal.HasExited)
            {
                return false;
            }

            await Task.Delay(20, ct);
        }

        return true;
    }

    internal static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan timeout, string what, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            if (sw.Elapsed > timeout)
            {
                throw new TimeoutException($"timed out after {timeout.TotalSeconds:0} s waiting for {what}");
            }

            await Task.Delay(250, ct);
        }
    }

    private static List<string> Interleave(List<string> many, List<string> few)
    {
        var result = new List<string>(many);
        if (few.Count == 0)
        {
            return result;
        }

        var step = Math.Max(1, result.Count / few.Count);
        for (var i = few.Count - 1; i >= 0; i--)
        {
            result.Insert(Math.Min(result.Count, (i + 1) * step), few[i]);
        }

        return result;
    }
}
