using System.Collections.Concurrent;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using AutoHeal.Domain.Selection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Watcher;

/// <summary>Watcher settings.</summary>
public sealed record WatcherSettings(string HostName, string? SelfContainerId);

/// <summary>
/// Turns the engine into container signals: one event stream (reconnected with backoff, replaying
/// what it missed) plus a periodic sweep with a single list call that inspects only containers
/// whose state changed. No per-container polling.
/// </summary>
public sealed class ContainerWatcher(
    IContainerRuntime runtime,
    ISignalBus bus,
    ISettingsSource settings,
    IAutoHealStore store,
    IEventSink sink,
    EngineStatus engine,
    WatcherSettings options,
    TimeProvider time,
    ILogger<ContainerWatcher> logger) : BackgroundService, IContainerCatalog
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly ConcurrentDictionary<string, ContainerInfo> _known = new();
    private readonly Dictionary<string, Task> _perContainer = new(StringComparer.Ordinal);
    private static readonly TimeSpan ReplayGrace = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan InspectTimeout = TimeSpan.FromSeconds(10);
    private readonly SemaphoreSlim _sweepNow = new(0, 1);
    private volatile bool _connected;
    private volatile bool _fullSweepDue;
    private ITimer? _sweepTimer;

    /// <summary>The Docker host's name.</summary>
    public string HostName => options.HostName;

    /// <summary>The host's own AutoHeal container, when AutoHeal runs in one (never healed).</summary>
    public string? SelfContainerId => options.SelfContainerId;

    /// <inheritdoc />
    public ContainerKey KeyOf(ContainerInfo container) => new(options.HostName, container.Name);

    /// <inheritdoc />
    public IReadOnlyCollection<ContainerInfo> Containers => (IReadOnlyCollection<ContainerInfo>)_known.Values;

    /// <inheritdoc />
    public ContainerInfo? Find(string idOrName)
    {
        if (string.IsNullOrEmpty(idOrName))
        {
            return null;
        }

        if (_known.TryGetValue(idOrName, out var byId))
        {
            return byId;
        }

        var byName = _known.Values.FirstOrDefault(c => c.Name == idOrName);
        if (byName is not null || idOrName.Length < 4)
        {
            return byName;
        }

        var byPrefix = _known.Values.Where(c => c.Id.StartsWith(idOrName, StringComparison.Ordinal)).Take(2).ToList();
        return byPrefix.Count == 1 ? byPrefix[0] : null;
    }

    /// <inheritdoc />
    public SelectionVerdict Select(ContainerInfo container) =>
        Selector.Evaluate(container.Name, container.Labels, settings.Selection, settings.ChoiceFor(KeyOf(container)),
            isSelf: options.SelfContainerId is { } self && container.Id == self);

    /// <summary>Asks for a sweep (after a settings change, say); a full one inspects every container.</summary>
    public void RequestSweep(bool full = false, TimeSpan? after = null)
    {
        _fullSweepDue |= full;
        if (after is { } delay)
        {
            _sweepTimer?.Dispose();
            _sweepTimer = time.CreateTimer(_ => RequestSweep(), null, delay, Timeout.InfiniteTimeSpan);
            return;
        }

        try
        {
            _sweepNow.Release();
        }
        catch (SemaphoreFullException)
        {
            // one is pending already
        }
    }

    /// <inheritdoc />
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A settings change may change who is monitored: look at every container again.
        settings.Changed += OnSettingsChanged;
        stoppingToken.Register(() => settings.Changed -= OnSettingsChanged);
        return Task.WhenAll(WatchEventsAsync(stoppingToken), SweepLoopAsync(stoppingToken));
    }

    private void OnSettingsChanged(object? sender, EventArgs e) => RequestSweep(full: true);

    private async Task WatchEventsAsync(CancellationToken ct)
    {
        DateTimeOffset? lastEvent = null;
        var delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await runtime.PingAsync(ct);
                engine.Up(time.GetUtcNow());
                var since = lastEvent;
                if (since is null)
                {
                    // First connect: nothing to replay, so the full sweep comes first.
                    await SweepAsync(full: true, ct);
                }
                else
                {
                    // Reconnect: the engine replays what it still holds of the missed events (a stop's
                    // kill event tells a deliberate stop from a crash); the full sweep follows them.
                    RequestSweep(full: true, after: ReplayGrace);
                }

                await ConnectedAsync(ct);
                delay = TimeSpan.FromSeconds(1);
                await foreach (var e in runtime.EventsAsync(since, ct))
                {
                    if (since is { } s && e.At <= s)
                    {
                        continue;
                    }

                    lastEvent = e.At;
                    Dispatch(e, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (EngineUnavailableException ex)
            {
                await DisconnectedAsync(ex.Message, delay, ct);
            }
            catch (Exception ex)
            {
                Log.WatchFailed(logger, ex);
                await DisconnectedAsync(ex.Message, delay, ct);
            }

            try
            {
                await Task.Delay(delay, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
        }
    }

    private async Task ConnectedAsync(CancellationToken ct)
    {
        if (_connected)
        {
            return;
        }

        _connected = true;
        var monitored = _known.Values.Count(c => Select(c).Monitored);
        Log.EngineUp(logger, runtime.Endpoint, _known.Count, monitored);
        await RecordAsync(EventKind.EngineUp, $"Docker engine at {runtime.Endpoint} reachable", ct);
    }

    private async Task DisconnectedAsync(string reason, TimeSpan retryIn, CancellationToken ct)
    {
        var first = engine.Current.Reachable || engine.Current.Since is null;
        engine.Down(reason, time.GetUtcNow());
        if (_connected || first)
        {
            _connected = false;
            Log.EngineDown(logger, runtime.Endpoint, reason);
            await RecordAsync(EventKind.EngineDown, $"Docker engine unreachable: {reason}", ct);
        }
        else
        {
            Log.EngineStillDown(logger, reason, retryIn);
        }
    }

    private async Task SweepLoopAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using (var timeout = new CancellationTokenSource(settings.SweepInterval, time))
                using (var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token))
                {
                    try
                    {
                        await _sweepNow.WaitAsync(either.Token);
                    }
                    catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                    {
                        // the interval passed: a routine sweep
                    }
                }

                if (_connected)
                {
                    var full = _fullSweepDue;
                    _fullSweepDue = false;
                    await SweepAsync(full, ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (EngineUnavailableException)
            {
                // the event loop reports and reconnects
            }
            catch (Exception ex)
            {
                Log.WatchFailed(logger, ex);
            }
        }
    }

    /// <summary>
    /// One list call; inspects only what is new or changed (everything when <paramref name="full"/>), a few
    /// at a time. A container whose inspect hangs (a wedged shim) is skipped this round, not waited for.
    /// </summary>
    internal async Task SweepAsync(bool full, CancellationToken ct)
    {
        // Only what was known before the list call can be missing from it: a container created while
        // the sweep runs (its event handled meanwhile) is not "gone".
        var knownBefore = _known.Keys.ToHashSet(StringComparer.Ordinal);
        var listed = await runtime.ListAsync(ct);
        var seen = listed.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var changed = listed.Where(s => full || !_known.TryGetValue(s.Id, out var k) || k.Status != s.Status || k.Health != s.Health || k.Name != s.Name);
        await Parallel.ForEachAsync(changed, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (s, token) =>
        {
            var (info, _) = await TryInspectAsync(s.Id, s.Name, token);
            if (info is not null)
            {
                _known[s.Id] = info;
                await PublishAsync(SignalKind.Observed, info, time.GetUtcNow(), null, null, token);
            }
        });

        foreach (var gone in knownBefore.Where(id => !seen.Contains(id)).ToList())
        {
            if (_known.TryRemove(gone, out var info))
            {
                await PublishAsync(SignalKind.Removed, info, time.GetUtcNow(), null, null, ct);
            }
        }
    }

    /// <summary>
    /// Hands an event to its container's queue: one container's events are handled in order, while
    /// containers don't wait for each other (a slow inspect of one never delays another's crash).
    /// </summary>
    private void Dispatch(ContainerEvent e, CancellationToken ct)
    {
        Task mine;
        lock (_perContainer)
        {
            mine = Run(_perContainer.TryGetValue(e.Id, out var previous) ? previous : Task.CompletedTask);
            _perContainer[e.Id] = mine;
        }

        _ = mine.ContinueWith(
            done =>
            {
                lock (_perContainer)
                {
                    if (_perContainer.TryGetValue(e.Id, out var current) && current == done)
                    {
                        _perContainer.Remove(e.Id); // the queue is empty: forget it
                    }
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        async Task Run(Task previous)
        {
            await previous.ConfigureAwait(false);
            try
            {
                await HandleAsync(e, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            catch (EngineUnavailableException)
            {
                // the event loop notices the engine is gone and reconnects; the sweep catches up
            }
            catch (Exception ex)
            {
                Log.WatchFailed(logger, ex);
            }
        }
    }

    /// <summary>Inspects with a timeout of its own: a wedged container costs at most that, never the whole loop.</summary>
    private async Task<(ContainerInfo? Info, bool TimedOut)> TryInspectAsync(string id, string name, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(InspectTimeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return (await runtime.InspectAsync(id, either.Token), false);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Log.InspectTimedOut(logger, name, InspectTimeout);
            return (null, true);
        }
    }

    private async Task HandleAsync(ContainerEvent e, CancellationToken ct)
    {
        _known.TryGetValue(e.Id, out var cached);
        if (e.Kind == ContainerEventKind.Removed)
        {
            if (_known.TryRemove(e.Id, out var removed))
            {
                await PublishAsync(SignalKind.Removed, removed, e.At, null, null, ct);
            }

            return;
        }

        // Each event is a change, so it is worth one inspect: fresh exit code, OOM flag, health output.
        var (fresh, _) = await TryInspectAsync(e.Id, e.Name, ct);
        var info = fresh ?? cached;
        if (info is null)
        {
            return;
        }

        _known[e.Id] = info;
        if (e.Kind == ContainerEventKind.Renamed)
        {
            if (cached is not null && cached.Name != info.Name)
            {
                await PublishAsync(SignalKind.Removed, cached, e.At, null, null, ct);
            }

            await PublishAsync(SignalKind.Observed, info, e.At, null, null, ct);
            return;
        }

        var kind = e.Kind switch
        {
            ContainerEventKind.Created => SignalKind.Created,
            ContainerEventKind.Started => SignalKind.Started,
            ContainerEventKind.StopRequested => SignalKind.StopRequested,
            ContainerEventKind.Died => SignalKind.Died,
            ContainerEventKind.Unhealthy => SignalKind.Unhealthy,
            ContainerEventKind.Healthy => SignalKind.Healthy,
            ContainerEventKind.Paused => SignalKind.Paused,
            ContainerEventKind.Unpaused => SignalKind.Unpaused,
            _ => SignalKind.Observed,
        };
        if (kind is SignalKind.Healthy or SignalKind.Unhealthy)
        {
            WatcherMetrics.HealthChecks.WithLabels("docker").Inc();
            if (kind == SignalKind.Unhealthy)
            {
                WatcherMetrics.HealthChecksFailed.WithLabels("docker").Inc();
            }
        }

        var detail = kind == SignalKind.Unhealthy ? info.LastHealthOutput : e.Detail;
        await PublishAsync(kind, info, e.At, e.ExitCode, detail, ct);
    }

    /// <summary>A custom health check's verdict, as a signal like Docker's own health events.</summary>
    internal Task PublishProbeAsync(ContainerInfo c, SignalKind kind, string detail, CancellationToken ct) =>
        PublishAsync(kind, _known.TryGetValue(c.Id, out var fresh) ? fresh : c, time.GetUtcNow(), null, detail, ct);

    private async Task PublishAsync(SignalKind kind, ContainerInfo c, DateTimeOffset at, int? exitCode, string? detail, CancellationToken ct)
    {
        var verdict = Select(c);
        var facts = c.ToFacts(verdict);
        var key = new ContainerKey(options.HostName, c.Name);
        if (verdict.Monitored)
        {
            Log.Signal(logger, key, kind, detail);
        }

        await bus.PublishAsync(new ContainerSignal(key, kind, at, facts) { ExitCode = exitCode, Detail = detail }, ct);
    }

    // Best effort: a store that cannot be written (a full disk) must not stop the watcher, least of all
    // when the engine has just gone away.
    private async Task RecordAsync(EventKind kind, string message, CancellationToken ct)
    {
        try
        {
            var saved = await store.AppendEventsAsync([new AutoHealEvent { At = time.GetUtcNow(), Kind = kind, Message = message }], ct);
            await sink.PublishAsync(saved, ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RecordFailed(logger, kind, ex);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _sweepTimer?.Dispose();
        _sweepNow.Dispose();
        base.Dispose();
    }
}
