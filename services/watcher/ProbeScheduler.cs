using System.Collections.Concurrent;
using System.Net.Sockets;
using AutoHeal.Core.Probes;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Probes;

namespace AutoHeal.Watcher;

/// <summary>
/// Runs custom health checks (HTTP, TCP, exec) for running, monitored containers. Each check is an
/// async loop on <see cref="TimeProvider"/> (no thread per container); every run has its own timeout, so
/// a hung endpoint fails its own check and never delays another. A check turning unhealthy (failures in
/// a row reaching its retries, outside its start period) is a signal to the guardian, like Docker's. A check from a container's labels only reaches that container
/// (<see cref="ProbeTargets"/>); an exec check from the API runs only where <see cref="ApiExecRule"/> allows; a body is
/// read up to <see cref="BodyCap"/>.
/// </summary>
public sealed class ProbeScheduler(
    ContainerCatalog catalog,
    SignalPublisher signals,
    IContainerRuntime runtime,
    IProbeDefinitions definitions,
    IEventRecorder events,
    IHttpClientFactory http,
    CheckRules rules,
    EngineClock engineClock,
    HostIdentity self,
    TimeProvider time,
    ILogger<ProbeScheduler> logger) : BackgroundService
{
    /// <summary>The named <see cref="HttpClient"/> of the HTTP checks (no proxy, no redirects, no time-out of its own: each check has its own).</summary>
    public const string HttpClientName = "autoheal-probes";

    /// <summary>How much of an HTTP check's response body is read, and searched for its text.</summary>
    public const int BodyCap = 64 * 1024;

    // Checks are matched to the containers when a container or a definition changes; this often besides, for what time alone changes.
    private static readonly TimeSpan ReconcileAtLeastEvery = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, Probe> _probes = new(StringComparer.Ordinal);
    // Per container id, what was reported about it (a bad label's value, a refused check): once, not at every pass.
    private readonly Dictionary<string, HashSet<string>> _reported = new(StringComparer.Ordinal);
    // Per container id, a label check refused: until when it is not looked at again (its app may listen later).
    private readonly Dictionary<string, (ProbeSpec Spec, DateTimeOffset? StartedAt, DateTimeOffset Until)> _refused = new(StringComparer.Ordinal);

    /// <summary>How long a label check whose target was refused waits before it is looked at again.</summary>
    private static readonly TimeSpan RefusedLookAgain = TimeSpan.FromSeconds(10);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changes = catalog.Changes;
        void DefinitionsChanged(object? sender, EventArgs e) => changes.Notify();
        definitions.Changed += DefinitionsChanged;
        try
        {
            while (true)
            {
                try
                {
                    await ReconcileAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ProbeReconcileFailed(logger, ex);
                }

                await changes.WaitAsync(NextLook(), time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            definitions.Changed -= DefinitionsChanged;
            foreach (var probe in _probes.Values)
            {
                probe.Stop();
            }
        }
    }

    // When a refused label check is due to be looked at again, or the periodic look, whichever comes first; never
    // sooner than a second. A refusal whose time has passed was looked at already, or its container is not considered
    // now (stopped, no longer monitored): it sets no time.
    private TimeSpan NextLook()
    {
        var now = Now();
        var next = ReconcileAtLeastEvery;
        foreach (var (_, _, until) in _refused.Values)
        {
            if (until > now && until - now < next)
            {
                next = until - now;
            }
        }

        return next > MinimumLook ? next : MinimumLook;
    }

    private static readonly TimeSpan MinimumLook = TimeSpan.FromSeconds(1);

    /// <summary>Starts, restarts (new definition or a new run of the container) and stops checks to match what should run.</summary>
    internal async Task ReconcileAsync(CancellationToken ct)
    {
        var defined = await definitions.ByContainerNameAsync(ct);
        var wanted = new Dictionary<string, (ContainerInfo Container, ProbeSpec Spec)>(StringComparer.Ordinal);
        foreach (var c in catalog.Containers)
        {
            if (c.Status != ContainerStatus.Running || !catalog.Select(c).Monitored)
            {
                continue;
            }

            var spec = defined.TryGetValue(c.Name, out var fromApi) ? fromApi : await FromLabelsAsync(c, ct);
            if (spec is { Kind: not ProbeKind.Docker } && (IsRunning(c, spec) || await MayRunAsync(c, spec, ct)))
            {
                wanted[c.Name] = (c, spec);
            }
        }

        // Containers gone from the engine: what was reported about them goes too.
        foreach (var id in _reported.Keys.Concat(_refused.Keys).Where(id => catalog.Find(id) is null).Distinct().ToList())
        {
            _reported.Remove(id);
            _refused.Remove(id);
        }

        foreach (var (name, probe) in _probes)
        {
            if (!wanted.TryGetValue(name, out var w) || w.Spec != probe.Spec || w.Container.Id != probe.Container.Id || w.Container.StartedAt != probe.Container.StartedAt)
            {
                probe.Stop();
                _probes.TryRemove(name, out _);
                Log.ProbeStopped(logger, probe.Container.Key, probe.Spec, probe.Spec.Source);
            }
        }

        foreach (var (name, (container, spec)) in wanted)
        {
            if (!_probes.ContainsKey(name))
            {
                var probe = new Probe(this, container, spec);
                _probes[name] = probe;
                probe.Start();
                Log.ProbeStarted(logger, container.Key, spec, spec.Source);
            }
        }
    }

    private async Task<ProbeSpec?> FromLabelsAsync(ContainerInfo c, CancellationToken ct)
    {
        var (spec, problems) = ProbeLabels.Parse(c.Labels);
        foreach (var p in problems)
        {
            await ReportAsync(c, p, ct);
        }

        return spec;
    }

    // This very check already runs for this run of the container: it was allowed when it started.
    private bool IsRunning(ContainerInfo c, ProbeSpec spec) =>
        _probes.TryGetValue(c.Name, out var p) && p.Spec == spec && p.Container.Id == c.Id && p.Container.StartedAt == c.StartedAt;

    private async Task<bool> MayRunAsync(ContainerInfo c, ProbeSpec spec, CancellationToken ct)
    {
        if (spec.Source == "api")
        {
            var why = spec.Kind == ProbeKind.Exec ? ApiExecRule.WhyNot(rules.ApiExec, c) : null;
            if (why is not null && FirstTime(c, $"api-exec|{why}"))
            {
                Log.ApiExecRefused(logger, c.Key, why);
            }

            return why is null;
        }

        // A refused target is looked at again only now and then: for a host-network container that means reading /proc.
        if (_refused.TryGetValue(c.Id, out var refused) && refused.Spec == spec && refused.StartedAt == c.StartedAt && Now() < refused.Until)
        {
            return false;
        }

        if (await ProbeTargets.CheckAsync(spec, c, LoopbackIsHost(), () => runtime.LoopbackListenersAsync(c, ct)) is { } problem)
        {
            _refused[c.Id] = (spec, c.StartedAt, Now() + RefusedLookAgain);
            await ReportAsync(c, problem, ct);
            return false;
        }

        _refused.Remove(c.Id);
        return true;
    }

    // Whether AutoHeal's loopback is the engine host's: it runs on the host, or in a container on the host's network.
    // In a container of its own network (or one it shares: a sidecar's), loopback is AutoHeal's, never another
    // container's. When the engine's daemon is not visible, AutoHeal's own container says; not knowing it, no.
    private bool LoopbackIsHost() => runtime.SharesEngineLoopback()
        ?? (self.SelfContainerId is { } me && catalog.TryGet(me, out var own) && own.HostNetwork);

    private bool FirstTime(ContainerInfo c, string what)
    {
        if (!_reported.TryGetValue(c.Id, out var seen))
        {
            _reported[c.Id] = seen = new HashSet<string>(StringComparer.Ordinal);
        }

        return seen.Add(what);
    }

    // A label that cannot be used: an event, once per container and bad value, not at every reconcile.
    private async Task ReportAsync(ContainerInfo c, LabelProblem p, CancellationToken ct)
    {
        var what = $"{p.Label}|{p.Value}|{p.Problem}";
        if (!FirstTime(c, what))
        {
            return;
        }

        try
        {
            await events.RecordAsync([new AutoHealEvent
            {
                At = time.GetUtcNow(),
                Kind = EventKind.LabelInvalid,
                Key = c.Key,
                ContainerId = c.Id,
                Message = $"label {p.Label}={p.Value} ignored, so no custom health check runs: {p.Problem}",
            }], ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _reported[c.Id].Remove(what); // reported again at the next pass
            Log.ProbeReconcileFailed(logger, ex);
        }
    }

    /// <summary>Runs one check once; (healthy, what was seen).</summary>
    internal async Task<(bool Healthy, string Detail)> RunOnceAsync(ContainerInfo c, ProbeSpec spec, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(spec.Timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            switch (spec.Kind)
            {
                case ProbeKind.Http:
                    using (var client = http.CreateClient(HttpClientName))
                    using (var request = new HttpRequestMessage(new HttpMethod(spec.Method), spec.Url))
                    using (var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, either.Token))
                    {
                        var code = (int)response.StatusCode;
                        var statusOk = spec.ExpectedStatus is { } expected ? code == expected : code is >= 200 and < 400;
                        if (!statusOk)
                        {
                            return (false, $"{spec.Describe()} answered {code} (expected {spec.ExpectedStatus?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "2xx or 3xx"})");
                        }

                        if (spec.BodyContains is { Length: > 0 } text)
                        {
                            var body = await ReadBodyAsync(response, either.Token);
                            if (!body.Contains(text, StringComparison.Ordinal))
                            {
                                return (false, $"{spec.Describe()} answered {code} without '{text}' in the first {BodyCap / 1024} KiB of its body");
                            }
                        }

                        return (true, $"{spec.Describe()} answered {code}");
                    }

                case ProbeKind.Tcp:
                    using (var socket = new Socket(SocketType.Stream, ProtocolType.Tcp))
                    {
                        await socket.ConnectAsync(spec.Host!, spec.Port!.Value, either.Token);
                        return (true, $"{spec.Describe()} accepted a connection");
                    }

                case ProbeKind.Exec:
                    var result = await runtime.ExecAsync(c.Id, spec.Command!, either.Token);
                    var output = result.Output.Length > 500 ? result.Output[..500] + "…" : result.Output;
                    return result.ExitCode == 0
                        ? (true, $"{spec.Describe()} exited 0")
                        : (false, $"{spec.Describe()} exited {result.ExitCode}{(output.Length > 0 ? $": {output}" : "")}");

                default:
                    return (true, "docker");
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            return (false, $"{spec.Describe()} did not answer within {spec.Timeout.TotalSeconds:0.###}s");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Whatever went wrong (refused, reset, an engine error on exec), the check did not pass.
            return (false, $"{spec.Describe()} failed: {ex.Message}");
        }
    }

    // The first BodyCap bytes, as UTF-8: a body that never ends (a stream) cannot fill memory.
    private static async Task<string> ReadBodyAsync(HttpResponseMessage response, CancellationToken ct)
    {
        await using var stream = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[BodyCap];
        var read = 0;
        int n;
        while (read < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(read), ct)) > 0)
        {
            read += n;
        }

        return System.Text.Encoding.UTF8.GetString(buffer, 0, read);
    }

    private DateTimeOffset Now() => time.GetUtcNow();

    private Task DelayAsync(TimeSpan delay, CancellationToken ct) => Task.Delay(delay, time, ct);

    private void LogLoopFailed(string container, Exception ex) => Log.ProbeFailed(logger, container, ex);

    private void LogPassing(ContainerInfo container, string detail) => Log.ProbePassing(logger, container.Key, detail);

    private void LogFailure(string container, int failures, int retries, string detail) => Log.ProbeFailedOnce(logger, container, failures, retries, detail);

    // A check's verdict, as a signal like Docker's own health events, with the container as last seen.
    private Task PublishAsync(ContainerInfo c, SignalKind kind, string detail, CancellationToken ct) =>
        signals.PublishAsync(kind, catalog.Find(c.Id) ?? c, engineClock.Now(), ct, detail: detail);

    /// <summary>One container's check loop.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "the loop disposes its token source when it ends")]
    private sealed class Probe(ProbeScheduler owner, ContainerInfo container, ProbeSpec spec)
    {
        private readonly CancellationTokenSource _stop = new();
        private int _failures;
        private int _successes;
        private bool? _healthy;

        public ContainerInfo Container => container;

        public ProbeSpec Spec => spec;

        public void Start() => _ = Task.Run(LoopAsync);

        public void Stop()
        {
            try
            {
                _stop.Cancel();
            }
            catch (ObjectDisposedException)
            {
            }
        }

        private async Task LoopAsync()
        {
            var ct = _stop.Token;
            var startedAt = owner.Now();
            try
            {
                while (!ct.IsCancellationRequested)
                {
                    // As Docker's HEALTHCHECK: the first run one interval after the check starts (so after a heal, not in its middle).
                    await owner.DelayAsync(spec.Interval, ct);
                    var (healthy, detail) = await owner.RunOnceAsync(container, spec, ct);
                    var kind = Views(spec.Kind);
                    WatcherMetrics.HealthChecks.WithLabels(kind).Inc();
                    if (!healthy)
                    {
                        WatcherMetrics.HealthChecksFailed.WithLabels(kind).Inc();
                    }

                    var inStartPeriod = owner.Now() - startedAt < spec.StartPeriod;
                    await RecordAsync(healthy, detail, inStartPeriod, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                owner.LogLoopFailed(container.Name, ex);
            }
            finally
            {
                _stop.Dispose();
            }
        }

        private async Task RecordAsync(bool healthy, string detail, bool inStartPeriod, CancellationToken ct)
        {
            if (healthy)
            {
                _failures = 0;
                _successes++;
                if (_healthy != true && _successes >= spec.SuccessThreshold)
                {
                    var wasUnhealthy = _healthy == false;
                    _healthy = true;
                    owner.LogPassing(container, detail);
                    if (wasUnhealthy)
                    {
                        await owner.PublishAsync(container, SignalKind.Healthy, detail, ct);
                    }
                }

                return;
            }

            _successes = 0;
            if (inStartPeriod)
            {
                return; // failures in the start period do not count
            }

            _failures++;
            owner.LogFailure(container.Name, _failures, spec.Retries, detail);
            if (_healthy != false && _failures >= spec.Retries)
            {
                _healthy = false;
                await owner.PublishAsync(container, SignalKind.Unhealthy, $"{detail} ({_failures} in a row)", ct);
            }
        }
    }

    private static string Views(ProbeKind kind) => kind switch
    {
        ProbeKind.Http => "http",
        ProbeKind.Tcp => "tcp",
        ProbeKind.Exec => "exec",
        _ => "docker",
    };
}
