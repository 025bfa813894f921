using System.Globalization;
using System.Text;

namespace AutoHeal.Bench;

/// <summary>The figures as Markdown (console and bench/results/latest.md) and the raw samples as CSV.</summary>
internal static class Report
{
    public const double TargetP95IssuedMs = 100;
    public const double TargetIdleCpuPercent = 1;
    /// <summary>In decimal MB (10^6 bytes).</summary>
    public const double TargetRssMB = 150;

    /// <summary>willfarrell/docker-autoheal's default poll interval (AUTOHEAL_INTERVAL=5).</summary>
    public const double PollingAnchorSeconds = 5;

    public static string Markdown(
        string runId, Machine machine, RunContext context, string build, BenchOptions o, IReadOnlyDictionary<string, string> policy,
        LatencyResult? latency, IdleResult? idle, IReadOnlyList<string> warnings, string? error)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# AutoHeal benchmark: {DateTimeOffset.UtcNow:yyyy-MM-dd HH:mm} UTC");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {machine.Summary}");
        s.AppendLine(CultureInfo.InvariantCulture, $"- autoheal: {build} build of {context.Commit}; own process on 127.0.0.1, own data folder, run `{runId}`");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Engine: {context.Engine}; at start {context.OtherContainersAtStart} container(s) not of this run, load average {context.LoadAtStart}");
        s.AppendLine(CultureInfo.InvariantCulture, $"- Policy: {string.Join(", ", policy.Select(kv => $"`{kv.Key}={kv.Value}`"))}; everything else default (sweep every 30 s, log level Information)");
        if (error is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"- **The run did not complete: {error}.** Figures below are partial.");
        }

        s.AppendLine();
        Summary? issuedAll = null;
        if (latency is not null)
        {
            var f = latency.Failures;
            var crashes = f.Where(x => x.Kind == FailureKind.Crash).ToList();
            var sick = f.Where(x => x.Kind == FailureKind.Unhealthy).ToList();
            var healed = f.Count(x => x.RunningNano is not null);
            issuedAll = Summary.Of(f.Where(x => x.DetectToIssuedMs is not null).Select(x => x.DetectToIssuedMs!.Value));
            s.AppendLine("## Heal latency");
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"{f.Count} failures seen by the engine ({latency.Triggered} triggered): {crashes.Count} crashes over {latency.CrashContainers} containers, " +
                $"{sick.Count} unhealthy over {latency.SickContainers} containers; {healed} back running. " +
                $"Times from `docker events` (timeNano); each container's next failure only after its heal was verified. " +
                $"Phase took {latency.Duration.TotalSeconds:0} s, machine CPU {Format.Num(latency.HostBusyPercent, "0")} % busy (all cores) meanwhile.");
            s.AppendLine();
            s.AppendLine("| interval | n | p50 | p95 | max |");
            s.AppendLine("| --- | ---: | ---: | ---: | ---: |");
            Row(s, "**detect → restart issued**, all", issuedAll);
            Row(s, "crash: `die` → `start`", Summary.Of(crashes.Where(x => x.DetectToIssuedMs is not null).Select(x => x.DetectToIssuedMs!.Value)));
            Row(s, "unhealthy: `health_status: unhealthy` → `kill`", Summary.Of(sick.Where(x => x.DetectToIssuedMs is not null).Select(x => x.DetectToIssuedMs!.Value)));
            Row(s, "**detect → running**, all", Summary.Of(f.Where(x => x.DetectToRunningMs is not null).Select(x => x.DetectToRunningMs!.Value)));
            Row(s, "crash: `die` → `start`", Summary.Of(crashes.Where(x => x.DetectToRunningMs is not null).Select(x => x.DetectToRunningMs!.Value)));
            Row(s, "unhealthy: `health_status: unhealthy` → `start`", Summary.Of(sick.Where(x => x.DetectToRunningMs is not null).Select(x => x.DetectToRunningMs!.Value)));
            s.AppendLine();

            var withLog = f.Where(x => x.Scheduled is not null && x.Restarting is not null && x.IssuedNano is not null).ToList();
            if (withLog.Count > 0)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"Where the time to \"restart issued\" goes ({withLog.Count} failures matched in AutoHeal's own event log, same host clock):");
                s.AppendLine();
                s.AppendLine("| step | n | p50 | p95 | max |");
                s.AppendLine("| --- | ---: | ---: | ---: | ---: |");
                Row(s, "**AutoHeal's own share: engine event → restart call made**, all", Summary.Of(withLog.Select(x => (x.Restarting!.Value - x.DetectAt).TotalMilliseconds)));
                foreach (var (label, kind) in new[] { ("crash", FailureKind.Crash), ("unhealthy", FailureKind.Unhealthy) })
                {
                    var k = withLog.Where(x => x.Kind == kind).ToList();
                    if (k.Count == 0)
                    {
                        continue;
                    }

                    Row(s, $"{label}: engine event → AutoHeal decided (HealScheduled)", Summary.Of(k.Select(x => (x.Scheduled!.Value - x.DetectAt).TotalMilliseconds)));
                    Row(s, $"{label}: decided → restart call made (Restarting)", Summary.Of(k.Select(x => (x.Restarting!.Value - x.Scheduled!.Value).TotalMilliseconds)));
                    Row(s, $"{label}: restart call → engine `{(kind == FailureKind.Crash ? "start" : "kill")}` event", Summary.Of(k.Select(x => (ToTime(x.IssuedNano!.Value) - x.Restarting!.Value).TotalMilliseconds)));
                }

                s.AppendLine();
            }

            if (latency.Problems.Count > 0)
            {
                s.AppendLine("Problems seen:");
                s.AppendLine();
                foreach (var p in latency.Problems)
                {
                    s.AppendLine(CultureInfo.InvariantCulture, $"- {p}");
                }

                s.AppendLine();
            }
        }

        if (idle is not null)
        {
            s.AppendLine("## Idle cost");
            s.AppendLine();
            s.AppendLine("| figure | value |");
            s.AppendLine("| --- | ---: |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| monitored containers running | {idle.Containers} ({idle.WithHealthCheck} with health check `true` every 30 s, {idle.Containers - idle.WithHealthCheck} without); {(idle.Monitored >= 0 ? $"{idle.Monitored} monitored per AutoHeal's store" : "store not read")} |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| **CPU, {idle.Window.TotalSeconds:0} s window after {o.Warmup.TotalSeconds:0} s warm-up** | **{Format.Num(idle.CpuPercentOfOneCore, "0.00")} % of one core** ({Format.Num(idle.CpuUsed.TotalMilliseconds, "0")} ms CPU) |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| CPU, busiest 5 s slice | {Format.Num(idle.MaxSliceCpuPercent, "0.00")} % |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| **RSS now (VmRSS)** | **{Mem(idle.RssMiB)}** |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| **peak RSS (VmHWM, whole run incl. the latency phase)** | **{Mem(idle.PeakRssMiB)}** |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| RSS split now: anonymous (GC heap, native) / file-backed (mapped runtime and assemblies) / shared memory (JIT-compiled code, which the runtime keeps in shared mappings under W^X) | {Format.Num(idle.RssAnonMiB, "0.0")} / {Format.Num(idle.RssFileMiB, "0.0")} / {Format.Num(idle.RssShmemMiB, "0.0")} MiB |");
            if (idle.ManagedHeapMiB is { } heap)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| managed heap in use (`dotnet_total_memory_bytes` from /metrics) | {Format.Num(heap, "0.0")} MiB |");
            }

            if (context.RssAtStartMiB is { } atStart)
            {
                s.AppendLine(CultureInfo.InvariantCulture, $"| RSS right after start (engine connected, no bench container yet) | {Mem(atStart)} |");
            }

            s.AppendLine(CultureInfo.InvariantCulture, $"| threads | {idle.Threads} |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| container events AutoHeal subscribes to, during the window | {idle.EngineEventsInWindow} ({idle.ForeignEngineEventsInWindow} from containers not of this run) |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| other containers on the engine | {idle.OtherContainersOnEngine} |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| machine CPU busy during the window (all cores, dockerd and health checks included) | {Format.Num(idle.HostBusyPercent, "0.0")} % |");
            s.AppendLine(CultureInfo.InvariantCulture, $"| time to create the {idle.Containers} containers ({o.Parallelism} at a time) | {Format.Num(idle.CreateTime.TotalSeconds, "0")} s |");
            s.AppendLine();
        }

        s.AppendLine("## Targets");
        s.AppendLine();
        s.AppendLine("| target | measured | met |");
        s.AppendLine("| --- | ---: | :---: |");
        if (issuedAll is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| p95 detect → restart issued < {TargetP95IssuedMs:0} ms | {Format.Ms(issuedAll.P95)} | {Met(issuedAll.P95 < TargetP95IssuedMs)} |");
        }

        if (idle is not null)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"| idle CPU < {TargetIdleCpuPercent:0} % of a core at {idle.Containers} containers | {Format.Num(idle.CpuPercentOfOneCore, "0.00")} % | {Met(idle.CpuPercentOfOneCore < TargetIdleCpuPercent)} |");
            // Judged in decimal MB (10^6 bytes), the stricter reading of "150 MB".
            s.AppendLine(CultureInfo.InvariantCulture, $"| RSS < {TargetRssMB:0} MB at {idle.Containers} containers (peak VmHWM) | {Mem(idle.PeakRssMiB)} | {Met(Mb(idle.PeakRssMiB) < TargetRssMB)} |");
        }

        s.AppendLine();
        s.AppendLine("## Reference (not measured)");
        s.AppendLine();
        s.AppendLine(CultureInfo.InvariantCulture, $"willfarrell/docker-autoheal polls every {PollingAnchorSeconds:0} s (its default `AUTOHEAL_INTERVAL=5`), so its detection alone " +
            $"averages ~{PollingAnchorSeconds / 2:0.0} s (up to {PollingAnchorSeconds:0} s) before its restart call; and it heals only unhealthy containers, not crashed ones.");
        if (context.AutoHealExitCode is { } code)
        {
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"autoheal exit code after SIGTERM: {code}{(code == 0 ? "" : " (expected 0)")}.");
        }

        if (warnings.Count > 0)
        {
            s.AppendLine();
            s.AppendLine(CultureInfo.InvariantCulture, $"## autoheal warnings and errors ({warnings.Count}, first 20)");
            s.AppendLine();
            s.AppendLine("```");
            foreach (var w in warnings.Take(20))
            {
                s.AppendLine(w);
            }

            s.AppendLine("```");
        }

        return s.ToString();
    }

    public static string Csv(LatencyResult latency)
    {
        var s = new StringBuilder("container,kind,detect_utc,detect_to_issued_ms,detect_to_running_ms,detect_to_scheduled_ms,scheduled_to_restarting_ms,restarting_to_issued_ms\n");
        foreach (var f in latency.Failures)
        {
            s.AppendLine(string.Join(',',
                f.Container,
                f.Kind,
                f.DetectAt.ToString("O", CultureInfo.InvariantCulture),
                Ms(f.DetectToIssuedMs),
                Ms(f.DetectToRunningMs),
                Ms(f.Scheduled is { } sc ? (sc - f.DetectAt).TotalMilliseconds : null),
                Ms(f.Scheduled is { } a && f.Restarting is { } b ? (b - a).TotalMilliseconds : null),
                Ms(f.Restarting is { } r && f.IssuedNano is { } i ? (ToTime(i) - r).TotalMilliseconds : null)));
        }

        return s.ToString();
    }

    private static double Mb(double mib) => mib * 1024 * 1024 / 1e6;

    private static string Mem(double mib) => $"{Format.Num(mib, "0.0")} MiB ({Format.Num(Mb(mib), "0.0")} MB)";

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "";

    private static DateTimeOffset ToTime(long nano) => DateTimeOffset.FromUnixTimeMilliseconds(nano / 1_000_000).AddTicks(nano % 1_000_000 / 100);

    private static void Row(StringBuilder s, string label, Summary? x) =>
        s.AppendLine(x is null
            ? $"| {label} | 0 | | | |"
            : $"| {label} | {x.Count} | {Format.Ms(x.P50)} | {Format.Ms(x.P95)} | {Format.Ms(x.Max)} |");

    private static string Met(bool met) => met ? "met" : "**not met**";
}
