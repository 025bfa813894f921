using AutoHeal.Core.Heals;

namespace AutoHeal.Watcher;

/// <summary>One engine event: the container inspected once (fresh exit code, OOM flag, health output), the catalog updated, a signal sent.</summary>
public sealed class EngineEventProcessor(
    ContainerCatalog catalog, ContainerInspector inspector, SignalPublisher signals, ComposeDeploys deploys, DependentRestarts dependents)
{
    /// <summary>Handles <paramref name="e"/>.</summary>
    public async Task HandleAsync(ContainerEvent e, CancellationToken ct)
    {
        catalog.TryGet(e.Id, out var cached);
        if (e.Kind == ContainerEventKind.Removed)
        {
            if (catalog.TryRemove(e.Id, out var removed))
            {
                deploys.Saw(removed, e.Kind);
                await signals.PublishAsync(SignalKind.Removed, removed, e.At, ct);
            }

            return;
        }

        var info = await inspector.TryInspectAsync(e.Id, e.Name, ct) ?? cached;
        if (info is null)
        {
            return;
        }

        catalog.Put(info);
        deploys.Saw(info, e.Kind); // before the signal: a heal it starts asks whether its compose project is being deployed
        if (e.Kind == ContainerEventKind.Renamed)
        {
            if (cached is not null && cached.Name != info.Name)
            {
                await signals.PublishAsync(SignalKind.Removed, cached, e.At, ct);
            }

            await signals.PublishAsync(SignalKind.Observed, info, e.At, ct);
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

        await signals.PublishAsync(kind, info, e.At, ct, e.ExitCode, kind == SignalKind.Unhealthy ? info.LastHealthOutput : e.Detail);
        if (kind == SignalKind.Started)
        {
            dependents.ParentStarted(info, ct);
        }
    }
}
