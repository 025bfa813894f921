using System.Collections.Concurrent;
using AutoHeal.Domain.Containers;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core.Heals;

/// <summary>
/// Compose projects being deployed on this host. A container of a project (label <c>com.docker.compose.project</c>)
/// created, removed or renamed is compose (or a deploy script) replacing the project's containers: until the project
/// has been quiet for <see cref="Quiet"/>, automatic heals of its containers wait, then look afresh (a heal rechecks
/// before it restarts), so what the deploy replaced or stopped is not healed; a project that never goes quiet (a
/// job run every few seconds) holds a heal at most <see cref="MaxHold"/>. Fed by the host's watcher with every event
/// it handles and every container its sweep inspects; asked where heals take their restart slot.
/// </summary>
public sealed class ComposeDeploys(TimeProvider time, ILogger<ComposeDeploys> logger)
{
    /// <summary>The label compose puts on every container of a project.</summary>
    public const string ProjectLabel = Dependencies.ComposeProject;

    /// <summary>How long a project must go without a container created, removed or renamed before its heals go on.</summary>
    public static readonly TimeSpan Quiet = TimeSpan.FromSeconds(10);

    /// <summary>The longest a heal waits for its project's deploy.</summary>
    public static readonly TimeSpan MaxHold = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<string, string> _projectOf = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _lastChange = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _waitingSince = new(StringComparer.Ordinal);

    /// <summary>The watcher's sweep inspected <paramref name="container"/>: which project it is in.</summary>
    public void Know(ContainerInfo container)
    {
        var key = new ContainerKey(container.Host, container.Name).ToString();
        if (container.Labels.TryGetValue(ProjectLabel, out var project) && project.Length > 0)
        {
            _projectOf[key] = project;
        }
        else
        {
            _projectOf.TryRemove(key, out _);
        }
    }

    /// <summary>The watcher handled <paramref name="kind"/> for <paramref name="container"/> (as it is now, or as it was when removed).</summary>
    public void Saw(ContainerInfo container, ContainerEventKind kind)
    {
        Know(container);
        if (!container.Labels.TryGetValue(ProjectLabel, out var project) || project.Length == 0)
        {
            return;
        }

        if (kind == ContainerEventKind.Removed)
        {
            _projectOf.TryRemove(new ContainerKey(container.Host, container.Name).ToString(), out _); // a replacement is known by its own events
        }

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
        var deadline = HoldWait.Deadline(wait, time);
        var said = false;
        while (_projectOf.TryGetValue(container, out var project) && _lastChange.TryGetValue(project, out var last))
        {
            var now = time.GetUtcNow();
            // Across calls (a heal through a watcher asks again and again); one left by a heal that was called off meanwhile is stale.
            var since = _waitingSince.AddOrUpdate(container, now, (_, s) => now - s > MaxHold + TimeSpan.FromMinutes(1) ? now : s);
            var quietAt = last + Quiet < since + MaxHold ? last + Quiet : since + MaxHold;
            if (quietAt <= now)
            {
                break;
            }

            if (!said)
            {
                said = true;
                Log.HealWaitsForDeploy(logger, container, project, (now - last).TotalSeconds);
            }

            if (!await HoldWait.UntilAsync(quietAt, deadline, time, cancellationToken))
            {
                return false;
            }
        }

        _waitingSince.TryRemove(container, out _);
        return true;
    }
}
