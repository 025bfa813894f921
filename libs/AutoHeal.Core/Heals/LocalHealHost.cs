using AutoHeal.Core.Containers;

namespace AutoHeal.Core.Heals;

/// <summary>
/// <see cref="IHealHost"/> over this process's Docker engine: embedded mode's heals use it directly, and
/// on Dapr the watcher of this host serves it to every healer. The host's cap on restarts in flight is its
/// <see cref="RestartSlots"/>; it never restarts AutoHeal's own container. It is the engine side of
/// every host, so it answers for any host name (embedded mode has one).
/// </summary>
public sealed class LocalHealHost(
    IContainerRuntime runtime, RestartSlots slots, HostStorm storm, ComposeDeploys deploys, HostIdentity host, TimeProvider time) : IHealHost, IHealHosts
{
    /// <summary>How long a restart may take beyond its stop timeout (Docker kills the container then, and starts it) before it counts as failed.</summary>
    public static readonly TimeSpan RestartMargin = TimeSpan.FromSeconds(30);

    /// <summary>The engine, for messages.</summary>
    public string Endpoint => runtime.Endpoint;

    /// <inheritdoc />
    public IHealHost For(string host) => this;

    /// <inheritdoc />
    public async Task<SlotEntry> EnterSlotAsync(SlotAsk ask, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken)
    {
        var asked = time.GetUtcNow();
        TimeSpan Left() => wait == Timeout.InfiniteTimeSpan ? wait : TimeSpan.FromTicks(Math.Max(0, (wait - (time.GetUtcNow() - asked)).Ticks));
        // A deploy's replacements and stops are not failures; a storm's heals wait out its cool-down. Either may
        // outlast this call: then the heal asks again.
        if (ask.Automatic && (!await deploys.WaitForQuietAsync(ask.Container, wait, cancellationToken)
            || !await storm.WaitForTurnAsync(ask.Container, ask.JobId, Left(), cancellationToken)))
        {
            return SlotEntry.Busy;
        }

        return await slots.EnterAsync(ask.JobId, hold, Left(), cancellationToken);
    }

    /// <inheritdoc />
    public Task LeaveSlotAsync(string jobId, CancellationToken cancellationToken)
    {
        slots.Leave(jobId);
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken) => runtime.InspectAsync(idOrName, cancellationToken);

    /// <inheritdoc />
    public async Task<RestartResult> RestartAsync(string id, TimeSpan stopTimeout, ContainerSeen expected, CancellationToken cancellationToken)
    {
        if (await runtime.InspectAsync(id, cancellationToken) is not { } now)
        {
            return new RestartResult(RestartOutcome.Gone, "the container is gone");
        }

        if (host.IsSelf(now.Id))
        {
            return new RestartResult(RestartOutcome.Refused, "AutoHeal does not restart its own container");
        }

        // Since the heal looked, an operator may have stopped or started it, or Docker restarted it.
        if (now.Seen != expected)
        {
            return new RestartResult(RestartOutcome.Changed,
                $"the container changed since it was rechecked (now {now.Status.ToString().ToLowerInvariant()}, started {now.StartedAt:O})")
            { Container = now };
        }

        // Every restart call has a deadline: a container that never stops cannot hold its heal (and slot) for ever.
        var deadline = stopTimeout + RestartMargin;
        using (var timeout = new CancellationTokenSource(deadline, time))
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
        {
            try
            {
                await runtime.RestartAsync(now.Id, stopTimeout, either.Token);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                return new RestartResult(RestartOutcome.TimedOut,
                    $"the restart did not finish within {deadline.TotalSeconds:0.###}s (its stop timeout of {stopTimeout.TotalSeconds:0.###}s and {RestartMargin.TotalSeconds:0}s): the container would not stop or start");
            }
            catch (Exception ex) when (ex is not (OperationCanceledException or EngineUnavailableException))
            {
                return new RestartResult(RestartOutcome.Refused, ex.Message); // in Docker's words
            }
        }

        return await runtime.InspectAsync(now.Id, cancellationToken) is { } after
            ? new RestartResult(RestartOutcome.Restarted, "restarted") { Container = after }
            : new RestartResult(RestartOutcome.Gone, "the container is gone");
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken) =>
        runtime.LogTailAsync(container, lines, cancellationToken);
}
