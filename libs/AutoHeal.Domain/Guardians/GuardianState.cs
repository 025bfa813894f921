using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Domain.Guardians;

/// <summary>Where a guardian stands with its container.</summary>
public enum GuardianPhase
{
    /// <summary>Watching a container that needs nothing.</summary>
    Watching,
    /// <summary>A heal job is on it.</summary>
    Healing,
    /// <summary>Stopped on purpose or exited cleanly: left alone until it is started again.</summary>
    Stopped,
    /// <summary>Paused: never healed.</summary>
    Paused,
    /// <summary>The container is gone.</summary>
    Removed,
}

/// <summary>What the guardian last knew of the container's condition.</summary>
public enum Condition
{
    /// <summary>Not known yet, or to be looked at afresh.</summary>
    Unknown,
    /// <summary>Created, not started.</summary>
    Created,
    /// <summary>Running (and healthy, if it has a check).</summary>
    Running,
    /// <summary>Running, its health check failing.</summary>
    Unhealthy,
    /// <summary>Exited with a failure.</summary>
    Crashed,
    /// <summary>Stopped on purpose or exited cleanly.</summary>
    Exited,
    /// <summary>Paused.</summary>
    Paused,
    /// <summary>Removed.</summary>
    Removed,
}

/// <summary>Where a heal job is.</summary>
public enum HealStage
{
    /// <summary>Waiting out its backoff.</summary>
    Waiting,
    /// <summary>Docker is restarting the container: the stop and start events that follow are ours.</summary>
    Restarting,
    /// <summary>Waiting for the container to be running (and healthy).</summary>
    Verifying,
    /// <summary>
    /// Docker refused the restart and the container is being created again: the original's stop, its setting aside
    /// (it loses the name) and the new container under the name are ours.
    /// </summary>
    Recreating,
}

/// <summary>One heal of one container, from its decision to its outcome.</summary>
public sealed record HealJob
{
    /// <summary>Unique for the container: <c>host/name#n</c>.</summary>
    public required string Id { get; init; }
    /// <summary>The container.</summary>
    public required ContainerKey Key { get; init; }
    /// <summary>The Docker id it targets; a job never restarts a container that replaced this one.</summary>
    public required string ContainerId { get; init; }
    /// <summary>Why it heals.</summary>
    public required FailureKind Reason { get; init; }
    /// <summary>What was seen, in words.</summary>
    public required string Detail { get; init; }
    /// <summary>The heal's number within its incident, from 1.</summary>
    public required int Attempt { get; init; }
    /// <summary>When the failure was seen, by the guardian's clock.</summary>
    public required DateTimeOffset DetectedAt { get; init; }
    /// <summary>
    /// When the failure happened by the engine's clock (the signal's time; after a failed heal, the
    /// restart's start), when known. Compared with the container's start time, which is also the
    /// engine's: on Dapr the guardian may run on another host, with another clock.
    /// </summary>
    public DateTimeOffset? EngineSeenAt { get; init; }
    /// <summary>When the job may restart, after its backoff.</summary>
    public required DateTimeOffset DueAt { get; init; }
    /// <summary>The stop timeout for Docker's restart.</summary>
    public required TimeSpan StopTimeout { get; init; }
    /// <summary>How long verification waits.</summary>
    public required TimeSpan VerifyTimeout { get; init; }
    /// <summary>Whether verification waits for healthy (the container has a health check).</summary>
    public required bool ExpectHealthy { get; init; }
    /// <summary>Where the job is.</summary>
    public HealStage Stage { get; init; } = HealStage.Waiting;
    /// <summary>When the run that failed had started, by the engine's clock (a later start is a new run).</summary>
    public DateTimeOffset? FailedRunStartedAt { get; init; }
    /// <summary>When the restart was issued, by the guardian's clock (shown; never compared with the engine's times).</summary>
    public DateTimeOffset? RestartIssuedAt { get; init; }
    /// <summary>
    /// The container's start time when the heal rechecked it just before restarting, by the engine's clock: found
    /// running with a later one, a heal resumed after AutoHeal stopped mid-restart knows the restart was done.
    /// </summary>
    public DateTimeOffset? RecheckedStartedAt { get; init; }
    /// <summary>When the restarted container started, by the engine's clock.</summary>
    public DateTimeOffset? RestartedAt { get; init; }
}

/// <summary>How the last heal ended.</summary>
public sealed record HealOutcome(DateTimeOffset At, bool Healed, string Message)
{
    /// <summary>The failure the heal answered, in words ("crashed with exit code 1", "vpn started again and ..."); null in states saved before it was kept.</summary>
    public string? Cause { get; init; }
}

/// <summary>Why and until when a container is quarantined.</summary>
public sealed record Quarantine(DateTimeOffset Since, string Reason, DateTimeOffset? Until);

/// <summary>
/// Everything a guardian remembers of its container. Persisted after every input, so a restart of
/// AutoHeal resumes exactly here.
/// </summary>
public sealed record GuardianState
{
    /// <summary>The container.</summary>
    public required ContainerKey Key { get; init; }
    /// <summary>The Docker id last seen under this name.</summary>
    public string? ContainerId { get; init; }
    /// <summary>Its image id; a new container with another image starts a fresh history.</summary>
    public string? ImageId { get; init; }
    /// <summary>Whether the container is monitored, and why (from the last signal).</summary>
    public bool Monitored { get; init; }
    /// <summary>The reason behind <see cref="Monitored"/>.</summary>
    public string SelectionReason { get; init; } = "";
    /// <summary>The container's labels, for per-container policy.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Whether the container has a health check (verification then waits for healthy).</summary>
    public bool HasHealthCheck { get; init; }
    /// <summary>Where the guardian stands.</summary>
    public GuardianPhase Phase { get; init; } = GuardianPhase.Watching;
    /// <summary>When the container was last removed, by the guardian's clock (meaningful while <see cref="Phase"/> is removed).</summary>
    public DateTimeOffset? RemovedAt { get; init; }
    /// <summary>The container's last known condition.</summary>
    public Condition Condition { get; init; } = Condition.Unknown;
    /// <summary>The last exit code seen.</summary>
    public int? LastExitCode { get; init; }
    /// <summary>The quarantine, when there is one.</summary>
    public Quarantine? Quarantine { get; init; }
    /// <summary>The heal under way, when there is one.</summary>
    public HealJob? ActiveHeal { get; init; }
    /// <summary>A failure seen while heals were held back (maintenance, a snooze), which ends then: healed then if still failing.</summary>
    public DateTimeOffset? HeldUntil { get; init; }
    /// <summary>Engine time of a stop or kill request not yet followed by a start.</summary>
    public DateTimeOffset? StopRequestedAt { get; init; }
    /// <summary>Engine time of the latest start: events from before it are late and ignored.</summary>
    public DateTimeOffset? LastStartedAt { get; init; }
    /// <summary>When each recent heal began, for the quarantine window.</summary>
    public IReadOnlyList<DateTimeOffset> RecentHeals { get; init; } = [];
    /// <summary>Heals in the current incident; sets the backoff.</summary>
    public int HealsInIncident { get; init; }
    /// <summary>When the last heal began.</summary>
    public DateTimeOffset? LastHealAt { get; init; }
    /// <summary>Since when the container has been running without a failure.</summary>
    public DateTimeOffset? StableSince { get; init; }
    /// <summary>How the last heal ended.</summary>
    public HealOutcome? LastHeal { get; init; }
    /// <summary>Heals ever done, for display.</summary>
    public int TotalHeals { get; init; }
    /// <summary>Job numbers handed out.</summary>
    public long JobSequence { get; init; }

    /// <summary>A guardian that knows nothing yet.</summary>
    public static GuardianState New(ContainerKey key) => new() { Key = key };

    /// <summary>Whether the container is quarantined.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool IsQuarantined => Quarantine is not null;

    /// <summary>When the next automatic heal could start, given the policy.</summary>
    public DateTimeOffset? NextAllowedHeal(HealPolicy policy) =>
        LastHealAt is { } last && HealsInIncident > 0 ? last + policy.DelayBeforeHeal(HealsInIncident) : null;
}
