using AutoHeal.Domain.Events;

namespace AutoHeal.Domain.Guardians;

/// <summary>Something the guardian's host must carry out after saving the new state.</summary>
public abstract record Decision;

/// <summary>Run this heal job (it waits for its own due time).</summary>
public sealed record StartHeal(HealJob Job) : Decision;

/// <summary>Stop this heal job, if it still runs.</summary>
public sealed record CancelHeal(string JobId, string Reason) : Decision;

/// <summary>Send the guardian a <see cref="Wake"/> at this time.</summary>
public sealed record WakeAt(DateTimeOffset At) : Decision;

/// <summary>The outcome of one input: the state to save, what to do, what to tell.</summary>
public sealed record GuardianResult(
    GuardianState State,
    IReadOnlyList<Decision> Decisions,
    IReadOnlyList<AutoHealEvent> Events,
    bool Accepted = true);
