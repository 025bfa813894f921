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
public sealed record WatcherSettings(string HostName, TimeSpan SweepInterval, string? SelfContainerId);

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
    ILogger<ContainerWatcher> logger) : BackgroundService
{
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private readonly ConcurrentDictionary<string, ContainerInfo> _known = new();
    private static readonly TimeSpan ReplayGrace = TimeSpan.FromSeconds(1);
    private readonly SemaphoreSlim _sweepNow = new(0, 1);
    private volatile bool _connected;
    private volatile bool _fullSweepDue;
    private ITimer? _sweepTimer;

    /// <summary>Containers the watcher knows, by id.</summary>
    public IReadOnlyCollection<ContainerInfo> Known => (IReadOnlyCollection<ContainerInfo>)_known.Values;

    /// <summary>Whether a container is monitored under the current rules.</summary>
    public SelectionVerdict Select(ContainerInfo c) =>
        Selector.Evaluate(c.Name, c.Labels, settings.Selection, choice: null,
            isSelf: options.SelfContainerId is { } self && c.Id == self);

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
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(WatchEventsAsync(stoppingToken), SweepLoopAsync(stoppingToken));

    private async Task WatchEventsAsync(CancellationToken ct)
    {
        DateTimeOffset? lastEvent = null;
        var delay = TimeSpan.FromSeconds(1);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await runtime.PingAsync(ct);
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
                    await HandleAsync(e, ct);
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
        engine.Up(time.GetUtcNow());
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
                using (var timeout = new CancellationTokenSource(options.SweepInterval, time))
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

    /// <summary>One list call; inspects only what is new or changed (everything when <paramref name="full"/>).</summary>
    internal async Task SweepAsync(bool full, CancellationToken ct)
    {
        var listed = await runtime.ListAsync(ct);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in listed)
        {
            seen.Add(s.Id);
            if (!full && _known.TryGetValue(s.Id, out var k) && k.Status == s.Status && k.Health == s.Health && k.Name == s.Name)
            {
                continue;
            }

            if (await runtime.InspectAsync(s.Id, ct) is { } info)
            {
                _known[s.Id] = info;
                await PublishAsync(SignalKind.Observed, info, time.GetUtcNow(), null, null, ct);
            }
        }

        foreach (var gone in _known.Keys.Where(id => !seen.Contains(id)).ToList())
        {
            if (_known.TryRemove(gone, out var info))
            {
                await PublishAsync(SignalKind.Removed, info, time.GetUtcNow(), null, null, ct);
            }
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
        var info = await runtime.InspectAsync(e.Id, ct) ?? cached;
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
        var detail = kind == SignalKind.Unhealthy ? info.LastHealthOutput : e.Detail;
        await PublishAsync(kind, info, e.At, e.ExitCode, detail, ct);
    }

    private async Task PublishAsync(SignalKind kind, ContainerInfo c, DateTimeOffset at, int? exitCode, string? detail, CancellationToken ct)
    {
        var verdict = Select(c);
        var facts = new ContainerFacts
        {
            Id = c.Id,
            ImageId = c.ImageId,
            Status = c.Status,
            Health = c.Health,
            ExitCode = c.ExitCode,
            OomKilled = c.OomKilled,
            RestartPolicy = c.RestartPolicy,
            RestartCount = c.RestartCount,
            HasHealthCheck = c.HasHealthCheck,
            StartedAt = c.StartedAt,
            Labels = c.Labels,
            Monitored = verdict.Monitored,
            SelectionReason = verdict.Reason,
        };
        var key = new ContainerKey(options.HostName, c.Name);
        if (verdict.Monitored)
        {
            Log.Signal(logger, key, kind, detail);
        }

        await bus.PublishAsync(new ContainerSignal(key, kind, at, facts) { ExitCode = exitCode, Detail = detail }, ct);
    }

    private async Task RecordAsync(EventKind kind, string message, CancellationToken ct)
    {
        var saved = await store.AppendEventsAsync([new AutoHealEvent { At = time.GetUtcNow(), Kind = kind, Message = message }], ct);
        await sink.PublishAsync(saved, ct);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _sweepTimer?.Dispose();
        _sweepNow.Dispose();
        base.Dispose();
    }
}
