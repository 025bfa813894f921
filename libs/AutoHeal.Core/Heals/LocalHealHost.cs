using AutoHeal.Core.Containers;
using AutoHeal.Domain.Containers;

namespace AutoHeal.Core.Heals;

/// <summary>
/// <see cref="IHealHost"/> over this process's Docker engine: embedded mode's heals use it directly, and
/// on Dapr the watcher of this host serves it to every healer. The host's cap on restarts in flight is its
/// <see cref="RestartSlots"/>; it never restarts AutoHeal's own container. It is the engine side of
/// every host, so it answers for any host name (embedded mode has one). <c>namesOf</c> gives the names a container id
/// had (<see cref="ContainerCatalog.NamesOf"/>): what replaced a removed container that a recreation's reference names.
/// </summary>
public sealed class LocalHealHost(
    IContainerRuntime runtime, RestartSlots slots, HostStorm storm, ComposeDeploys deploys, HostIdentity host, TimeProvider time,
    Func<string, IReadOnlyCollection<string>>? namesOf = null) : IHealHost, IHealHosts
{
    /// <summary>How long a restart may take beyond its stop timeout (Docker kills the container then, and starts it) before it counts as failed.</summary>
    public static readonly TimeSpan RestartMargin = TimeSpan.FromSeconds(30);

    /// <summary>How long a recreation waits for a container to replace (and run under the name of) the one whose namespace it joined.</summary>
    public TimeSpan ReplacementWait { get; init; } = TimeSpan.FromSeconds(20);

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
    /// <remarks>
    /// A <c>container:</c> reference to a container that is not running is pointed at the one that took one of its
    /// names since (removed and run again, or renamed away by compose and replaced), once that runs (waiting up to
    /// <see cref="ReplacementWait"/>). When none runs by then, or nothing needs replacing and the container is not
    /// labelled <c>autoheal.recreate=true</c>, nothing is changed and the answer says a later try may work.
    /// </remarks>
    public async Task<RecreateResult> RecreateAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        // One recreation at a time on the host: a call retried after a lost answer waits for the first, then finds it done.
        var mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task before;
        lock (_recreationGate)
        {
            (before, _lastRecreation) = (_lastRecreation, mine.Task);
        }

        try
        {
            await before.WaitAsync(cancellationToken);
            return await RecreateOnceAsync(id, stopTimeout, cancellationToken);
        }
        finally
        {
            mine.SetResult();
        }
    }

    private readonly Lock _recreationGate = new();
    private Task _lastRecreation = Task.CompletedTask;

    private async Task<RecreateResult> RecreateOnceAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        if (await runtime.InspectAsync(id, cancellationToken) is not { } c)
        {
            return new RecreateResult(false, "the container is gone");
        }

        if (host.IsSelf(c.Id) || Recreations.IsSetAsideName(c.Name))
        {
            return new RecreateResult(false, host.IsSelf(c.Id) ? "AutoHeal does not recreate its own container" : "it is the original of a recreation, set aside");
        }

        var labelled = Recreations.IsLabelled(c);
        var references = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var reference in Recreations.References(c))
        {
            // Removed and run again takes a moment (compose: a pull, a create): wait for the replacement to run.
            var waitUntil = time.GetUtcNow() + ReplacementWait;
            while (true)
            {
                var current = await runtime.InspectAsync(reference, cancellationToken);
                if (current is { Status: ContainerStatus.Running })
                {
                    break;
                }

                var replacement = await ReplacementAsync(reference, current, cancellationToken);
                if (replacement is { Status: ContainerStatus.Running })
                {
                    references[reference] = replacement.Id;
                    break;
                }

                if (replacement is not null && time.GetUtcNow() >= waitUntil)
                {
                    return new RecreateResult(false,
                        $"{replacement.Name}, which replaced the container whose namespace it joins, is not running (for {ReplacementWait.TotalSeconds:0}s): left as it was")
                    { Retry = true };
                }

                if (replacement is null && current is not null)
                {
                    break; // there, stopped, and nothing replaced it: the new container's start says why
                }

                if (replacement is null && time.GetUtcNow() >= waitUntil)
                {
                    return new RecreateResult(false,
                        $"the container {reference[..Math.Min(12, reference.Length)]} whose namespace it joins is gone, and nothing took its name within {ReplacementWait.TotalSeconds:0}s: left as it was")
                    { Retry = true };
                }

                await Task.Delay(TimeSpan.FromMilliseconds(500), time, cancellationToken);
            }
        }

        if (references.Count == 0 && !labelled)
        {
            // Its namespace's containers are there: the restart failed for another reason, which a new container would not mend.
            return new RecreateResult(false, "the containers whose namespaces it joins are still there: recreating it would not help; left as it was") { Retry = true };
        }

        using var timeout = new CancellationTokenSource(stopTimeout + RestartMargin, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        return await runtime.RecreateAsync(c.Id, references, stopTimeout, either.Token);
    }

    // The container that took one of the names the referenced one had (it may be there still, renamed away).
    private async Task<ContainerInfo?> ReplacementAsync(string reference, ContainerInfo? current, CancellationToken cancellationToken)
    {
        foreach (var name in (namesOf?.Invoke(reference) ?? []).Append(current?.Name).OfType<string>().Distinct())
        {
            // By that name only (Docker would also take it as an id prefix).
            if (await runtime.InspectAsync(name, cancellationToken) is { } r && r.Name == name && r.Id != reference && r.Id != current?.Id)
            {
                return r;
            }
        }

        return null;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken) =>
        runtime.LogTailAsync(container, lines, cancellationToken);
}
