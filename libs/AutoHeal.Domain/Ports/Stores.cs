using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;

namespace AutoHeal.Domain.Ports;

/// <summary>
/// The guardians' durable state in embedded mode. (On Dapr each container's actor keeps its own, in the
/// actor state store.)
/// </summary>
public interface IGuardianStore
{
    /// <summary>One guardian's state, or null.</summary>
    Task<GuardianState?> LoadGuardianAsync(ContainerKey key, CancellationToken cancellationToken);

    /// <summary>The states of these guardians (those that have one).</summary>
    Task<IReadOnlyList<GuardianState>> LoadGuardiansAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken);

    /// <summary>Every guardian's state (at start, to resume what was under way).</summary>
    Task<IReadOnlyList<GuardianState>> LoadAllGuardiansAsync(CancellationToken cancellationToken);

    /// <summary>Deletes the guardians of containers removed before <paramref name="removedBefore"/> (and not seen since); returns their keys.</summary>
    Task<IReadOnlyList<ContainerKey>> ForgetRemovedAsync(DateTimeOffset removedBefore, CancellationToken cancellationToken);

    /// <summary>Saves a guardian's state and its new events in one transaction; returns the events with their ids.</summary>
    Task<IReadOnlyList<AutoHealEvent>> SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);
}

/// <summary>The durable event log.</summary>
public interface IEventLog
{
    /// <summary>Appends events; returns them with their ids.</summary>
    Task<IReadOnlyList<AutoHealEvent>> AppendEventsAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);

    /// <summary>Reads the log, newest first.</summary>
    Task<IReadOnlyList<AutoHealEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken);
}

/// <summary>Named JSON documents (configuration, selections, check definitions), shared by every process of one AutoHeal.</summary>
public interface IDocumentStore
{
    /// <summary>A document with its version (both null when absent; the version null when the store keeps none).</summary>
    Task<VersionedDocument> ReadDocumentAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a document, atomically, and returns its new version (null when unknown). Where several
    /// processes share the store (distributed mode), the write succeeds only if the document is still at
    /// <paramref name="expectedVersion"/> (null: absent), the version its writer read; otherwise it throws
    /// <see cref="DocumentConflictException"/>: read again, re-apply the change, write again. A
    /// single-process store ignores the version.
    /// </summary>
    Task<string?> WriteDocumentAsync(string name, string json, string? expectedVersion, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a stored document that cannot be used (it does not parse, or holds values out of bounds) out of the way,
    /// kept for the operator and said where, so that the next write creates it afresh. <paramref name="version"/> is
    /// the version that was read: a document changed since is left. False when the store keeps it where it is (a store
    /// that several processes share keeps a document that is valid JSON: another version of AutoHeal may be using it).
    /// </summary>
    Task<bool> SetDocumentAsideAsync(string name, string? version, string why, CancellationToken cancellationToken);
}

/// <summary>A page of the event log, newest first.</summary>
public sealed record EventQuery
{
    /// <summary>At most this many.</summary>
    public int Limit { get; init; } = 50;
    /// <summary>Only events with an id below this (paging).</summary>
    public long? BeforeId { get; init; }
    /// <summary>Only this container's (name).</summary>
    public string? Container { get; init; }
    /// <summary>Only these kinds.</summary>
    public IReadOnlyList<EventKind>? Kinds { get; init; }
    /// <summary>Only from this time on.</summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>Only before this time.</summary>
    public DateTimeOffset? Until { get; init; }
}

/// <summary>A document's text (null when absent) and the store's version of it (null when the store keeps none).</summary>
public sealed record VersionedDocument(string? Json, string? Version);

/// <summary>Another process changed a shared document since it was read (optimistic concurrency, ETags).</summary>
public sealed class DocumentConflictException(string name)
    : Exception($"the document '{name}' was changed by another AutoHeal process; read it again and retry")
{
    /// <summary>The document.</summary>
    public string Document => name;
}
