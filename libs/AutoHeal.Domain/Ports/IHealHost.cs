namespace AutoHeal.Domain.Ports;

/// <summary>
/// What a heal needs from its container's Docker host: a restart slot (the host's cap on restarts in
/// flight), a look at the container, a restart that happens only if the container is still as the heal
/// last saw it, and the log tail. In-process over the local engine, or through the host's watcher.
/// </summary>
public interface IHealHost
{
    /// <summary>
    /// Waits up to <paramref name="wait"/> for one of the host's restart slots and holds it for the job
    /// until <see cref="LeaveSlotAsync"/> or until <paramref name="hold"/> has passed (a heal that died
    /// holding it cannot keep it). An automatic heal passes the host's storm breaker first: during a storm it
    /// waits out the cool-down, then heals go one at a time. <see cref="SlotEntry.Held"/> when the job holds a
    /// slot (again, if it held one already); <see cref="SlotEntry.Busy"/> when none came free in time (ask
    /// again); <see cref="SlotEntry.Over"/> when the job gave its slot back or was called off here already (it gets none).
    /// </summary>
    Task<SlotEntry> EnterSlotAsync(SlotAsk ask, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken);

    /// <summary>Gives the job's slot back, if it holds one.</summary>
    Task LeaveSlotAsync(string jobId, CancellationToken cancellationToken);

    /// <summary>One container by id or name, as the engine shows it now; null when there is none.</summary>
    Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken);

    /// <summary>
    /// Restarts the container if it is still as <paramref name="expected"/> (state and start time, by the
    /// engine's clock); otherwise leaves it and says how it is now.
    /// </summary>
    Task<RestartResult> RestartAsync(string id, TimeSpan stopTimeout, ContainerSeen expected, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="lines"/> lines of the container's log (stdout and stderr), oldest first.</summary>
    Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the container again from its configuration, its <c>container:</c> references pointing at what replaced
    /// the containers they named (<see cref="Containers.Recreations"/>), and replaces the original with it once it is
    /// created and started; when anything fails, the original is put back as it was.
    /// </summary>
    Task<RecreateResult> RecreateAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken);
}

/// <summary>
/// A heal job asking for a restart slot: the job, its container (<c>host/name</c>), and whether AutoHeal decided
/// the heal (an operator's restart passes the storm breaker: the operator decided).
/// </summary>
public sealed record SlotAsk(string JobId, string Container, bool Automatic);

/// <summary>The answer to a heal job asking for a restart slot.</summary>
public enum SlotEntry
{
    /// <summary>The job holds a slot.</summary>
    Held,
    /// <summary>None came free in time: ask again.</summary>
    Busy,
    /// <summary>The job is over on this host (it left, or was called off): no slot for it.</summary>
    Over,
}

/// <summary>The heal side of every Docker host AutoHeal looks after.</summary>
public interface IHealHosts
{
    /// <summary>The host named <paramref name="host"/> (the first half of a container key).</summary>
    IHealHost For(string host);
}

/// <summary>How a restart asked of a host went.</summary>
public enum RestartOutcome
{
    /// <summary>Docker restarted it; <see cref="RestartResult.Container"/> is how it is after.</summary>
    Restarted,
    /// <summary>It was no longer as expected, so it was left; <see cref="RestartResult.Container"/> is how it is now.</summary>
    Changed,
    /// <summary>There is no such container.</summary>
    Gone,
    /// <summary>Docker refused (or AutoHeal would not: its own container); <see cref="RestartResult.Detail"/> says why.</summary>
    Refused,
    /// <summary>The restart did not finish by its deadline (its stop timeout and a margin): the container would not stop, or not start.</summary>
    TimedOut,
}

/// <summary>The answer to <see cref="IHealHost.RestartAsync"/>.</summary>
public sealed record RestartResult(RestartOutcome Outcome, string Detail)
{
    /// <summary>The container after the restart, or as it is now when it had changed.</summary>
    public ContainerInfo? Container { get; init; }
}

/// <summary>The answer to a recreation: whether the new container replaced the original, and why not, or what changed.</summary>
public sealed record RecreateResult(bool Recreated, string Detail)
{
    /// <summary>The new container, started (when recreated).</summary>
    public ContainerInfo? Container { get; init; }

    /// <summary>
    /// Nothing was changed, and a later try may work: the container that replaced its namespace's is not there or
    /// not running yet, or recreating it would not help now. A failed heal, not the last rung.
    /// </summary>
    public bool Retry { get; init; }
}
