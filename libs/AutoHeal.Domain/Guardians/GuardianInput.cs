using System.Text.Json.Serialization;
using AutoHeal.Domain.Containers;

namespace AutoHeal.Domain.Guardians;

/// <summary>Anything a container's guardian reacts to.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "input")]
[JsonDerivedType(typeof(ContainerSignal), "container")]
[JsonDerivedType(typeof(HealReport), "heal")]
[JsonDerivedType(typeof(OperatorCommand), "operator")]
[JsonDerivedType(typeof(Wake), "wake")]
public abstract record GuardianInput(ContainerKey Key);

/// <summary>What the watcher saw happen to a container.</summary>
public enum SignalKind
{
    /// <summary>A fresh look at the container (reconcile sweep, start-up, after a reconnect): no event was seen.</summary>
    Observed,
    /// <summary>Docker created it.</summary>
    Created,
    /// <summary>It started.</summary>
    Started,
    /// <summary>Someone asked Docker to stop or kill it.</summary>
    StopRequested,
    /// <summary>Its process ended.</summary>
    Died,
    /// <summary>Its health check turned unhealthy.</summary>
    Unhealthy,
    /// <summary>Its health check passed again.</summary>
    Healthy,
    /// <summary>It was paused.</summary>
    Paused,
    /// <summary>It was unpaused.</summary>
    Unpaused,
    /// <summary>It was removed.</summary>
    Removed,
    /// <summary>A container it depends on started again after it did (<see cref="ContainerSignal.Detail"/>: which, and why it depends on it; the time: that start).</summary>
    ParentRestarted,
}

/// <summary>
/// A signal from the watcher. <see cref="At"/> is the engine's time of the event (for a sweep or a custom
/// check, the watcher's clock, on the engine's host), used only to tell
/// late events from current ones; the guardian's own clock is the <c>now</c> it is given.
/// </summary>
public sealed record ContainerSignal(ContainerKey Key, SignalKind Kind, DateTimeOffset At, ContainerFacts Facts)
    : GuardianInput(Key)
{
    /// <summary>The exit code of a <see cref="SignalKind.Died"/> event.</summary>
    public int? ExitCode { get; init; }
    /// <summary>Anything worth showing: the signal of a kill, the output of a failing probe.</summary>
    public string? Detail { get; init; }
}

/// <summary>The steps a heal job reports to its guardian.</summary>
public enum HealStep
{
    /// <summary>The job is about to restart the container and asks whether it still should.</summary>
    BeginRestart,
    /// <summary>Docker restarted it; <see cref="HealReport.ContainerStartedAt"/> says when.</summary>
    Restarted,
    /// <summary>It is running (and healthy, if it has a health check).</summary>
    Healed,
    /// <summary>It did not come back within the verify timeout.</summary>
    VerifyFailed,
    /// <summary>Docker refused the restart.</summary>
    RestartFailed,
    /// <summary>The job found nothing to do, or could not go on for reasons that are not the container's fault.</summary>
    Cancelled,
    /// <summary>Docker refused the restart, and the job recreates the container (<see cref="Containers.Recreations"/>).</summary>
    BeginRecreate,
    /// <summary>The new container replaced the original: <see cref="HealReport.NewContainerId"/>, started at <see cref="HealReport.ContainerStartedAt"/>.</summary>
    Recreated,
    /// <summary>Recreating it failed too (the original was put back): the last rung, quarantine.</summary>
    RecreateFailed,
}

/// <summary>A heal job's report to the guardian that started it.</summary>
public sealed record HealReport(ContainerKey Key, string JobId, HealStep Step) : GuardianInput(Key)
{
    /// <summary>
    /// The container's start time, by the engine's clock: its new one after a restart (<see cref="HealStep.Restarted"/>),
    /// or the one the recheck found (<see cref="HealStep.BeginRestart"/>).
    /// </summary>
    public DateTimeOffset? ContainerStartedAt { get; init; }
    /// <summary>Why, in words a user reads.</summary>
    public string? Detail { get; init; }

    /// <summary>The id of the container that replaced the original (with <see cref="HealStep.Recreated"/>).</summary>
    public string? NewContainerId { get; init; }

    /// <summary>What the job kept before restarting (with <see cref="HealStep.BeginRestart"/>).</summary>
    public Events.HealDiagnostics? Diagnostics { get; init; }
}

/// <summary>What an operator can ask of a guardian.</summary>
public enum OperatorAction
{
    /// <summary>End the quarantine.</summary>
    Release,
    /// <summary>Restart the container now (recorded as manual; never counts toward quarantine).</summary>
    Restart,
}

/// <summary>An operator's command (API or dashboard).</summary>
public sealed record OperatorCommand(ContainerKey Key, OperatorAction Action) : GuardianInput(Key)
{
    /// <summary>Who or what asked, for the event log.</summary>
    public string By { get; init; } = "an operator";

    /// <summary>The container as it is now, for a guardian that may not know it yet.</summary>
    public ContainerFacts? Facts { get; init; }
}

/// <summary>A timer the guardian asked for (<see cref="WakeAt"/>) has come due.</summary>
public sealed record Wake(ContainerKey Key) : GuardianInput(Key);
