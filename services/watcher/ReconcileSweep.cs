using AutoHeal.Core.Heals;
using AutoHeal.Domain.Containers;

namespace AutoHeal.Watcher;

/// <summary>
/// The periodic look at every container: one list call, and an inspect only of what is new or changed
/// (everything, when a full sweep is due: at the first connect, after a reconnect, after a settings
/// change). It catches what the event stream missed. Sweeps never overlap.
/// </summary>
public sealed class ReconcileSweep(
    IContainerRuntime runtime,
    ContainerCatalog catalog,
    ContainerInspector inspector,
    SignalPublisher signals,
    EngineStatus engine,
    EngineClock engineClock,
    ISettingsSource settings,
    EventStreamWatch stream,
    ComposeDeploys deploys,
    EngineAccess access,
    TimeProvider time,
    ILogger<ReconcileSweep> logger) : BackgroundService
{
    private readonly SemaphoreSlim _requested = new(0, 1);
    private readonly SemaphoreSlim _one = new(1, 1);
    private volatile bool _fullDue;
    private ITimer? _later;

    /// <summary>Asks for a sweep now (or <paramref name="after"/> a while); a full one inspects every container.</summary>
    public void Request(bool full = false, TimeSpan? after = null)
    {
        _fullDue |= full;
        if (after is { } delay)
        {
            var previous = Interlocked.Exchange(ref _later, time.CreateTimer(_ => Request(), null, delay, Timeout.InfiniteTimeSpan));
            previous?.Dispose();
            return;
        }

        try
        {
            _requested.Release();
        }
        catch (SemaphoreFullException)
        {
            // one is pending already
        }
    }

    /// <summary>
    /// One sweep: inspects only what is new or changed (everything when <paramref name="full"/>), a few at a
    /// time; a container whose inspect hangs is skipped this round, not waited for.
    /// </summary>
    public async Task SweepAsync(bool full, CancellationToken ct)
    {
        await _one.WaitAsync(ct);
        try
        {
            // Only what was known before the list call can be missing from it: a container created while
            // the sweep runs (its event handled meanwhile) is not "gone".
            if (access.Due)
            {
                await AskAccessAsync(ct);
            }

            var knownBefore = catalog.Ids.ToHashSet(StringComparer.Ordinal);
            await engineClock.SyncAsync(now: full, ct);
            var listed = await runtime.ListAsync(ct);
            var seen = listed.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
            var changed = listed.Where(s => full || !catalog.TryGet(s.Id, out var k) || k.Status != s.Status || k.Health != s.Health || k.Name != s.Name);
            await Parallel.ForEachAsync(changed, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (s, token) =>
            {
                var before = catalog.TryGet(s.Id, out var known) ? known.Status : (ContainerStatus?)null;
                if (await inspector.TryInspectAsync(s.Id, s.Name, token) is { } info)
                {
                    // A start or an end the event stream should have carried: is it still delivering?
                    if (before is { } was && was != info.Status && (info.Status == ContainerStatus.Running ? info.StartedAt : info.FinishedAt) is { } changeAt)
                    {
                        stream.SweepFound(info.Name, info.Status == ContainerStatus.Running ? "started" : $"went {info.Status.ToString().ToLowerInvariant()}", changeAt);
                    }

                    catalog.Put(info);
                    deploys.Know(info);
                    await signals.PublishAsync(SignalKind.Observed, info, engineClock.Now(), token);
                }
            });

            foreach (var gone in knownBefore.Where(id => !seen.Contains(id)))
            {
                if (catalog.TryRemove(gone, out var info))
                {
                    await signals.PublishAsync(SignalKind.Removed, info, engineClock.Now(), ct);
                }
            }

            stream.Look(engineClock.Now());
        }
        finally
        {
            _one.Release();
        }
    }

    /// <summary>
    /// Asks what the engine refuses of what AutoHeal does (at every connect, before anything else, and when the last answer
    /// is old): said once per change, in one line. An engine that does not answer within 10 s is asked again later.
    /// </summary>
    public async Task AskAccessAsync(CancellationToken ct)
    {
        using var patience = CancellationTokenSource.CreateLinkedTokenSource(ct);
        patience.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            var refused = await runtime.RefusalsAsync(patience.Token);
            if (access.Update(refused))
            {
                if (refused.Count == 0)
                {
                    Log.EngineAllowsAll(logger, runtime.Endpoint);
                }
                else
                {
                    Log.EngineRefuses(logger, runtime.Endpoint, EngineRefusal.Describe(refused));
                }
            }
        }
        catch (Exception ex) when (!ct.IsCancellationRequested)
        {
            // asked again at the next sweep
            Log.AccessNotKnown(logger, ex.Message);
        }
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // A settings change may change who is monitored: look at every container again.
        settings.Changed += OnSettingsChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await WaitForTurnAsync(stoppingToken);
                if (engine.Connected)
                {
                    var full = _fullDue;
                    _fullDue = false;
                    await TrySweepAsync(full, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            settings.Changed -= OnSettingsChanged;
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _later?.Dispose();
        _requested.Dispose();
        _one.Dispose();
        base.Dispose();
    }

    private void OnSettingsChanged(object? sender, EventArgs e) => Request(full: true);

    private async Task WaitForTurnAsync(CancellationToken ct)
    {
        using var interval = new CancellationTokenSource(settings.SweepInterval, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, interval.Token);
        try
        {
            await _requested.WaitAsync(either.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // the interval passed: a routine sweep
        }
    }

    private async Task TrySweepAsync(bool full, CancellationToken ct)
    {
        try
        {
            await SweepAsync(full, ct);
        }
        catch (EngineUnavailableException)
        {
            // the event loop reports and reconnects
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.WatchFailed(logger, ex);
        }
    }
}
