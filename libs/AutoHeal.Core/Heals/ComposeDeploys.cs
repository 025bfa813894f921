using System.Collections.Concurrent;
using AutoHeal.Domain.Containers;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core.Heals;

/// <summary>
/// Compose projects being deployed on this host. A container of a project (label <c>com.docker.compose.project</c>)
/// created, removed or renamed is compose (or a deploy script) replacing the project's containers: until the project
/// has been quiet for <see cref="Quiet"/>, automatic heals of its containers wait, then look afresh (a heal rechecks
/// before it restarts), so what the deploy replaced or stopped is not healed. Fed by the host's watcher with every
/// event it handles; asked where heals take their restart slot.
/// </summary>
public sealed class ComposeDeploys(TimeProvider time, ILogger<ComposeDeploys> logger)
{
    /// <summary>The label compose puts on every container of a project.</summary>
    public const string ProjectLabel = "com.docker.compose.project";

    /// <summary>How long a project must go without a container created, removed or renamed before its heals go on.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<string, string> _projectOf = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastChange = new(StringComparer.Ordinal);

    /// <summary>The watcher handled <paramref name="kind"/> for <paramref name="container"/> (as it is now, or as it was when removed).</summary>
    public void Saw(ContainerInfo container, ContainerEventKind kind)
    {
        var key = new ContainerKey(container.Host, container.Name).ToString();
        if (!container.Labels.TryGetValue(ProjectLabel, out var project) || project.Length == 0)
        {
            _projectOf.TryRemove(key, out _);
            return;
        }

        _projectOf[key] = project;
        if (kind is ContainerEventKind.Created or ContainerEventKind.Removed or ContainerEventKind.Renamed)
        {
            var now = time.GetUtcNow();
            _lastChange[project] = now;
            foreach (var (p, at) in _lastChange)
            {
                if (now - at > Quiet)
                {
                    _lastChange.TryRemove(p, out _);
                }
            }
        }
    }

    /// <summary>
    /// Waits until the compose project of <paramref name="container"/> (<c>host/name</c>) has been quiet for
    /// <see cref="Quiet"/>: true then (or at once, when it is in no project being deployed); false when
    /// <paramref name="wait"/> (<see cref="Timeout.InfiniteTimeSpan"/>: as long as it takes) ran out first (ask again).
    /// </summary>
    public async Task<bool> WaitForQuietAsync(string container, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = wait == Timeout.InfiniteTimeSpan ? (DateTimeOffset?)null : time.GetUtcNow() + wait;
        var said = false;
        while (_projectOf.TryGetValue(container, out var project) && _lastChange.TryGetValue(project, out var last))
        {
            var now = time.GetUtcNow();
            var quietAt = last + Quiet;
            if (quietAt <= now)
            {
                break;
            }

            if (!said)
            {
                said = true;
                Log.HealWaitsForDeploy(logger, container, project, (now - last).TotalSeconds);
            }

            if (deadline is { } d && d < quietAt)
            {
                if (d > now)
                {
                    await Task.Delay(d - now, time, cancellationToken);
                }

                return false;
            }

            await Task.Delay(quietAt - now, time, cancellationToken);
        }

        return true;
    }
}
