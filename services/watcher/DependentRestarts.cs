using AutoHeal.Domain.Containers;

namespace AutoHeal.Watcher;

/// <summary>
/// A container started again: its dependents still running from before are cut off (<see cref="Dependencies"/>).
/// After the settle time, once the parent is still on that run and running (and healthy, if it has a health check, for
/// at most <see cref="HealthyWait"/>), each is told <see cref="SignalKind.ParentRestarted"/>, and its guardian heals
/// it through the usual policy. Chains go in order by themselves: a dependent's own start tells its dependents. A
/// dependent that is also an ancestor of its parent (a cycle) is left alone, with a warning. A parent that replaced
/// the container a dependent's namespace was (removed and run again under its name) is its parent too: the dependent's
/// restart is refused then, and its heal recreates it against the new one.
/// </summary>
public sealed class DependentRestarts(
    ContainerCatalog catalog, ContainerInspector inspector, SignalPublisher signals, DependentRules rules, TimeProvider time, ILogger<DependentRestarts> logger)
{
    /// <summary>The longest the dependents wait for a parent with a health check to turn healthy.</summary>
    public static readonly TimeSpan HealthyWait = TimeSpan.FromSeconds(60);

    /// <summary>The watcher handled <paramref name="parent"/>'s start.</summary>
    public void ParentStarted(ContainerInfo parent, CancellationToken ct)
    {
        if (!rules.Enabled || parent.StartedAt is not { } started)
        {
            return;
        }

        var all = catalog.Containers;
        var dependents = all.Where(d => d.Status == ContainerStatus.Running && d.StartedAt < started && Dependencies.Why(d, parent, catalog.NamesOf) is not null).ToList();
        if (dependents.Count > 0)
        {
            _ = Task.Run(() => TellAsync(parent, started, dependents, ct), CancellationToken.None);
        }
    }

    private async Task TellAsync(ContainerInfo parent, DateTimeOffset started, List<ContainerInfo> dependents, CancellationToken ct)
    {
        try
        {
            await Task.Delay(rules.Settle, time, ct);
            var giveUp = time.GetUtcNow() + HealthyWait;
            while (true)
            {
                if (!catalog.TryGet(parent.Id, out var now) || now.StartedAt != started || now.Status != ContainerStatus.Running)
                {
                    return; // it went again: its next start tells them
                }

                if (!now.HasHealthCheck || now.Health == HealthStatus.Healthy || time.GetUtcNow() >= giveUp)
                {
                    break;
                }

                await Task.Delay(TimeSpan.FromSeconds(1), time, ct);
            }

            var all = catalog.Containers;
            foreach (var d in dependents)
            {
                if (Dependencies.IsAncestor(d, parent, all, catalog.NamesOf))
                {
                    Log.DependencyCycle(logger, d.Name, parent.Name);
                    continue;
                }

                if (await inspector.TryInspectAsync(d.Id, d.Name, ct) is not { Status: ContainerStatus.Running } current
                    || current.StartedAt >= started || Dependencies.Why(current, parent, catalog.NamesOf) is not { } why)
                {
                    continue; // stopped, removed, or started again since: nothing cut off
                }

                await signals.PublishAsync(SignalKind.ParentRestarted, current, started, ct, detail: $"{parent.Name} started again and {why}: restarted with it");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception ex)
        {
            Log.WatchFailed(logger, ex);
        }
    }
}
