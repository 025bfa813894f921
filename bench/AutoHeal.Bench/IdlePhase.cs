using System.Diagnostics;
using Microsoft.Data.Sqlite;
using AutoHeal.TestUtils;

namespace AutoHeal.Bench;

internal sealed record IdleResult(
    int Containers,
    int WithHealthCheck,
    int Monitored,
    TimeSpan CreateTime,
    TimeSpan Window,
    TimeSpan CpuUsed,
    double CpuPercentOfOneCore,
    double MaxSliceCpuPercent,
    double RssMiB,
    double PeakRssMiB,
    double RssAnonMiB,
    double RssFileMiB,
    double RssShmemMiB,
    double? ManagedHeapMiB,
    int Threads,
    int EngineEventsInWindow,
    int ForeignEngineEventsInWindow,
    int OtherContainersOnEngine,
    double HostBusyPercent);

/// <summary>
/// Idle cost: N monitored containers just running (half of them with an always-passing health check
/// every 30 s), a warm-up, then autoheal's CPU (utime+stime from /proc/&lt;pid&gt;/stat) over a window,
/// and its RSS (VmRSS, VmHWM from /proc/&lt;pid&gt;/status).
/// </summary>
internal sealed class IdlePhase(DockerCli docker, AutoHealUnderTest autoheal, BenchOptions options)
{
    // The events AutoHeal asks the engine for (DockerRuntime's filter): what reaches it at all.
    private static readonly HashSet<string> WatchedActions =
        ["create", "start", "kill", "stop", "die", "pause", "unpause", "destroy", "rename"];

    public async Task<IdleResult> RunAsync(CancellationToken ct)
    {
        var names = Enumerable.Range(1, options.IdleContainers).Select(i => $"{docker.RunId}-idle-{i:000}").ToList();
        var withCheck = names.Where((_, i) => i % 2 == 0).ToHashSet();
        Console.WriteLine($"idle: creating {names.Count} containers ({withCheck.Count} with a health check every 30 s), {options.Parallelism} at a time");
        var sw = Stopwatch.StartNew();
        var done = 0;
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct },
            async (name, token) =>
            {
                string[] extra = withCheck.Contains(name)
                    ? ["--health-cmd", "true", "--health-interval", "30s", "--health-timeout", "5s"]
                    : [];
                await docker.StartAsync(name, "exec sleep 100000", ["--label", autoheal.OptInLabel, .. extra], token);
                if (Interlocked.Increment(ref done) % 25 == 0)
                {
                    Console.WriteLine($"idle: {done}/{names.Count} created ({sw.Elapsed.TotalSeconds:0} s)");
                }
            });
        var createTime = sw.Elapsed;

        var running = (await docker.ListAsync(ct, "status=running", "name=-idle-")).Length;
        if (running != names.Count)
        {
            throw new InvalidOperationException($"only {running} of {names.Count} idle containers are running");
        }

        // The first health check runs 30 s after start: wait for all of them, so the window sees the steady state.
        Console.WriteLine("idle: waiting for every health-checked container to report healthy");
        await LatencyPhase.WaitAsync(async () => (await docker.ListAsync(ct, "health=healthy", "name=-idle-")).Length >= withCheck.Count,
            TimeSpan.FromSeconds(120), "the idle containers' first health checks", ct);

        var monitored = CountMonitored(names);
        if (monitored != names.Count)
        {
            // Not fatal: the figure is reported, and the sweep may still be catching up.
            Console.WriteLine($"idle: warning: autoheal's store shows {monitored} of {names.Count} monitored");
        }

        Console.WriteLine($"idle: warm-up {options.Warmup.TotalSeconds:0} s");
        await Task.Delay(options.Warmup, ct);
        monitored = CountMonitored(names);

        var others = (await DockerCli.RunAsync(ct, "ps", "-aq")).Split('\n', StringSplitOptions.RemoveEmptyEntries).Length
            - (await docker.ListAsync(ct)).Length;

        Console.WriteLine($"idle: measuring autoheal (pid {autoheal.Pid}) over {options.Window.TotalSeconds:0} s");
        await using var all = EngineEvents.Start();
        await Task.Delay(TimeSpan.FromSeconds(1.5), ct); // the --since replay: past events are dropped below
        var load = new HostLoad();
        var cpu0 = autoheal.CpuTime();
        var t0 = Stopwatch.GetTimestamp();
        var from = DateTimeOffset.UtcNow;
        var maxSlice = 0.0;
        var lastCpu = cpu0;
        var lastT = t0;
        while (Stopwatch.GetElapsedTime(t0) < options.Window)
        {
            var left = options.Window - Stopwatch.GetElapsedTime(t0);
            await Task.Delay(left < TimeSpan.FromSeconds(5) ? left : TimeSpan.FromSeconds(5), ct);
            var cpu = autoheal.CpuTime();
            var now = Stopwatch.GetTimestamp();
            var slice = (cpu - lastCpu).TotalSeconds / Stopwatch.GetElapsedTime(lastT, now).TotalSeconds * 100;
            maxSlice = Math.Max(maxSlice, slice);
            (lastCpu, lastT) = (cpu, now);
        }

        var cpu1 = autoheal.CpuTime();
        var busy = load.BusyPercent();
        var elapsed = Stopwatch.GetElapsedTime(t0);
        var until = DateTimeOffset.UtcNow;
        var rss = autoheal.StatusMiB("VmRSS");
        var hwm = autoheal.StatusMiB("VmHWM");
        var anon = autoheal.StatusMiB("RssAnon");
        var file = autoheal.StatusMiB("RssFile");
        var shmem = autoheal.StatusMiB("RssShmem");
        var threads = autoheal.Threads();
        var heap = await autoheal.ManagedHeapMiBAsync(ct); // after the CPU window: scraping costs CPU
        var inWindow = all.Snapshot().Where(e => e.At >= from && e.At <= until && Watched(e.Action)).ToList();

        return new IdleResult(
            names.Count,
            withCheck.Count,
            monitored,
            createTime,
            elapsed,
            cpu1 - cpu0,
            (cpu1 - cpu0).TotalSeconds / elapsed.TotalSeconds * 100,
            maxSlice,
            rss,
            hwm,
            anon,
            file,
            shmem,
            heap,
            threads,
            inWindow.Count,
            inWindow.Count(e => e.Run != docker.RunId),
            others,
            busy);
    }

    private static bool Watched(string action) =>
        WatchedActions.Contains(action) || action.StartsWith("health_status", StringComparison.Ordinal);

    /// <summary>How many of <paramref name="names"/> AutoHeal's guardians hold as monitored (its SQLite store, read-only).</summary>
    private int CountMonitored(List<string> names)
    {
        try
        {
            var monitored = autoheal.Query("SELECT name FROM guardians WHERE json_extract(state, '$.monitored') = 1", r => r.GetString(0));
            return monitored.Intersect(names).Count();
        }
        catch (SqliteException ex)
        {
            Console.WriteLine($"idle: could not read autoheal's store: {ex.Message}");
            return -1;
        }
    }
}
