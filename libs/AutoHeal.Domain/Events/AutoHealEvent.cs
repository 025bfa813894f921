using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Policies;

namespace AutoHeal.Domain.Events;

/// <summary>The kinds of things AutoHeal tells its users.</summary>
public enum EventKind
{
    /// <summary>A failure was seen and a heal scheduled.</summary>
    HealScheduled,
    /// <summary>The restart was issued.</summary>
    Restarting,
    /// <summary>The container is back.</summary>
    Healed,
    /// <summary>The restart failed or the container did not come back in time.</summary>
    HealFailed,
    /// <summary>A scheduled heal was called off.</summary>
    HealCancelled,
    /// <summary>A failure or exit was deliberately not healed, with why.</summary>
    Skipped,
    /// <summary>Too many heals: automatic healing stopped for the container.</summary>
    Quarantined,
    /// <summary>A quarantine ended.</summary>
    Released,
    /// <summary>A new container with another image took the name: its history starts afresh.</summary>
    HistoryReset,
    /// <summary>A label could not be used.</summary>
    LabelInvalid,
    /// <summary>The Docker engine cannot be reached.</summary>
    EngineDown,
    /// <summary>The Docker engine is reachable again.</summary>
    EngineUp,
    /// <summary>Something stored could not be read (a guardian, an event, a shared document): it was set aside, kept for the operator, and AutoHeal went on without it.</summary>
    DataSetAside,
    /// <summary>Host-wide maintenance began (or was extended): no automatic heals until it ends.</summary>
    MaintenanceStarted,
    /// <summary>Maintenance ended (by its time, or by an operator): containers still failing are healed.</summary>
    MaintenanceEnded,
    /// <summary>A container was snoozed: its automatic heals wait until the snooze ends.</summary>
    Snoozed,
    /// <summary>A container's snooze was ended by an operator.</summary>
    SnoozeEnded,
    /// <summary>Many containers of one host failed at once: automatic heals wait out a cool-down, then go one at a time.</summary>
    Storm,
    /// <summary>A storm is over: no container failed again for a window after its heals; heals go as usual.</summary>
    StormEnded,
    /// <summary>Docker refused the restart: the container is being created again from its configuration.</summary>
    Recreating,
    /// <summary>The container was created again and the new one replaced the original.</summary>
    Recreated,
    /// <summary>A notification target kept failing: told once, until it delivers again.</summary>
    NotificationFailed,
}

/// <summary>The event kinds in words, for the API's list of them (and so the dashboard's and the docs').</summary>
public static class EventKinds
{
    /// <summary>What an event of <paramref name="kind"/> means.</summary>
    public static string Describe(EventKind kind) => kind switch
    {
        EventKind.HealScheduled => "a failure was seen and a heal scheduled (at once, or after its backoff)",
        EventKind.Restarting => "the restart was issued; carries what the restart destroys (exit code, OOM, health outputs, log tail)",
        EventKind.Healed => "the container is back: running (and healthy, if it has a health check)",
        EventKind.HealFailed => "the restart failed, or the container did not come back in time",
        EventKind.HealCancelled => "a heal was called off (the container came back, was stopped, removed or replaced)",
        EventKind.Skipped => "a failure or exit was deliberately not healed, with why",
        EventKind.Quarantined => "too many heals: automatic healing stopped for the container",
        EventKind.Released => "a quarantine ended",
        EventKind.HistoryReset => "a new container with another image took the name: its history starts afresh",
        EventKind.LabelInvalid => "a label could not be used (named in the message)",
        EventKind.EngineDown => "the Docker engine cannot be reached",
        EventKind.EngineUp => "the Docker engine is reachable again",
        EventKind.DataSetAside => "something stored could not be read: set aside, kept for the operator, and AutoHeal went on without it",
        EventKind.MaintenanceStarted => "host-wide maintenance began (or was extended): failures are recorded, not healed, until it ends",
        EventKind.MaintenanceEnded => "maintenance ended, by its time or by an operator: containers still failing are healed now",
        EventKind.Snoozed => "a container was snoozed: its automatic heals wait until the snooze ends",
        EventKind.SnoozeEnded => "a container's snooze was ended by an operator: if it is still failing, it is healed now",
        EventKind.Storm => "many containers of one host failed at once (the host, a shared dependency or the engine): automatic heals wait out a cool-down, then go one at a time",
        EventKind.StormEnded => "a storm is over: no container failed again for a window after its heals went one at a time; heals go as usual",
        EventKind.Recreating => "Docker refused the restart (its namespace container was replaced, a mount went away): the container is being created again from its own configuration",
        EventKind.Recreated => "the container was created again, only its container: references changed, and replaced the original (which is removed; its volumes are kept)",
        EventKind.NotificationFailed => "a notification target kept failing (named, with the service's answer): said once, until it delivers again",
        _ => kind.ToString(),
    };
}

/// <summary>What a restart destroys, kept from just before it: why the container failed, in its own words.</summary>
public sealed record HealDiagnostics
{
    /// <summary>The exit code of its last run.</summary>
    public int? ExitCode { get; init; }
    /// <summary>Whether the OOM killer ended it.</summary>
    public bool OomKilled { get; init; }
    /// <summary>The latest health check outputs, oldest first.</summary>
    public IReadOnlyList<string> HealthOutputs { get; init; } = [];
    /// <summary>The last lines of its log (stdout and stderr), oldest first, bounded.</summary>
    public IReadOnlyList<string> LogTail { get; init; } = [];
}

/// <summary>One entry of the durable event log.</summary>
public sealed record AutoHealEvent
{
    /// <summary>Assigned by the store; 0 until then.</summary>
    public long Id { get; init; }
    /// <summary>When, by AutoHeal's clock.</summary>
    public required DateTimeOffset At { get; init; }
    /// <summary>What happened.</summary>
    public required EventKind Kind { get; init; }
    /// <summary>The container, when it is about one.</summary>
    public ContainerKey? Key { get; init; }
    /// <summary>The Docker container id.</summary>
    public string? ContainerId { get; init; }
    /// <summary>The failure behind it.</summary>
    public FailureKind? Reason { get; init; }
    /// <summary>The heal attempt within its incident.</summary>
    public int? Attempt { get; init; }
    /// <summary>The heal job.</summary>
    public string? JobId { get; init; }
    /// <summary>When the failure behind a heal was seen (heal events), for heal durations.</summary>
    public DateTimeOffset? DetectedAt { get; init; }
    /// <summary>What was kept before the restart (restarting events).</summary>
    public HealDiagnostics? Diagnostics { get; init; }
    /// <summary>A sentence a user reads.</summary>
    public required string Message { get; init; }
}
