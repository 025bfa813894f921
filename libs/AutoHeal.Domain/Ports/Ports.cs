using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;

namespace AutoHeal.Domain.Ports;

/// <summary>Carries container signals from the watcher to the healer.</summary>
public interface ISignalBus
{
    /// <summary>Publishes one signal; signals of one container arrive in the order published.</summary>
    ValueTask PublishAsync(ContainerSignal signal, CancellationToken cancellationToken);
}

/// <summary>Routes inputs to each container's guardian, one at a time per container.</summary>
public interface IGuardians
{
    /// <summary>Hands an input to the container's guardian; completes when it is decided, saved and carried out.</summary>
    Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken);

    /// <summary>The guardian's view of one container, or null if it has none.</summary>
    Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken);

    /// <summary>Every guardian's view.</summary>
    Task<IReadOnlyList<GuardianState>> ListAsync(CancellationToken cancellationToken);
}

/// <summary>Runs heal jobs to their outcome, which they report to their guardian.</summary>
public interface IHealRunner
{
    /// <summary>Starts (or resumes, from its stage) a job.</summary>
    void Start(HealJob job);

    /// <summary>Calls a job off, if it still runs.</summary>
    void Cancel(string jobId);
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

/// <summary>Durable state: guardians and the event log.</summary>
public interface IAutoHealStore
{
    /// <summary>One guardian's state, or null.</summary>
    Task<GuardianState?> LoadGuardianAsync(ContainerKey key, CancellationToken cancellationToken);

    /// <summary>Every guardian's state.</summary>
    Task<IReadOnlyList<GuardianState>> LoadGuardiansAsync(CancellationToken cancellationToken);

    /// <summary>Saves a guardian's state and its new events in one transaction; returns the events with their ids.</summary>
    Task<IReadOnlyList<AutoHealEvent>> SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);

    /// <summary>Appends events that belong to no guardian (engine down/up).</summary>
    Task<IReadOnlyList<AutoHealEvent>> AppendEventsAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);

    /// <summary>Reads the event log, newest first.</summary>
    Task<IReadOnlyList<AutoHealEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken);

    /// <summary>A named JSON document (configuration, selections, check definitions), or null.</summary>
    Task<string?> ReadDocumentAsync(string name, CancellationToken cancellationToken);

    /// <summary>A named document with its version, to change it: pass the version to <see cref="WriteDocumentAsync"/>.</summary>
    Task<VersionedDocument> ReadDocumentForUpdateAsync(string name, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a named JSON document, atomically, and returns its new version (null when unknown).
    /// Where several processes share the store (distributed mode), the write succeeds only if the
    /// document is still at <paramref name="expectedVersion"/> (null: absent), the version read by
    /// <see cref="ReadDocumentForUpdateAsync"/>; otherwise it throws <see cref="DocumentConflictException"/>:
    /// read again, re-apply the change, write again. A single-process store ignores the version.
    /// </summary>
    Task<string?> WriteDocumentAsync(string name, string json, string? expectedVersion, CancellationToken cancellationToken);
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

/// <summary>Fans saved events out: logs, metrics, webhooks, pub/sub.</summary>
public interface IEventSink
{
    /// <summary>Publishes events that are already saved.</summary>
    ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);
}

/// <summary>One destination of the event fan-out (logs, metrics, webhooks); all of them get every saved event.</summary>
public interface IEventSinkPart : IEventSink;

/// <summary>The settings in force; they may change while AutoHeal runs.</summary>
public interface ISettingsSource
{
    /// <summary>The global heal policy (labels refine it per container).</summary>
    Policies.HealPolicy Policy { get; }

    /// <summary>The selection rules.</summary>
    Selection.SelectionRules Selection { get; }

    /// <summary>Time between reconcile sweeps.</summary>
    TimeSpan SweepInterval { get; }

    /// <summary>Restarts allowed in flight at once on one host.</summary>
    int MaxConcurrentRestarts { get; }

    /// <summary>An operator's stored choice for a container (true/false), or null to follow the rules.</summary>
    bool? ChoiceFor(ContainerKey key);

    /// <summary>Raised after any change.</summary>
    event EventHandler? Changed;
}

/// <summary>The containers the watcher knows, for the API and dashboard.</summary>
public interface IContainerCatalog
{
    /// <summary>The key of a container (its Docker host and name).</summary>
    ContainerKey KeyOf(ContainerInfo container);

    /// <summary>Every container, as last seen.</summary>
    IReadOnlyCollection<ContainerInfo> Containers { get; }

    /// <summary>By id, unique id prefix, or name; null if none.</summary>
    ContainerInfo? Find(string idOrName);

    /// <summary>Whether it is monitored, and why, under the current settings.</summary>
    Selection.SelectionVerdict Select(ContainerInfo container);
}

/// <summary>Whether the Docker engine answers, as the watcher last saw it.</summary>
public interface IEngineStatus
{
    /// <summary>The current reading.</summary>
    EngineReading Current { get; }
}

/// <summary>One reading of the engine's reachability.</summary>
public sealed record EngineReading(bool Reachable, string Endpoint, string? Error, DateTimeOffset? Since);

/// <summary>Custom health checks defined through the API, by container name (they win over labels).</summary>
public interface IProbeDefinitions
{
    /// <summary>Every definition, by container name.</summary>
    Task<IReadOnlyDictionary<string, Probes.ProbeSpec>> ByContainerNameAsync(CancellationToken cancellationToken);
}

/// <summary>The result of a command run inside a container.</summary>
public sealed record ExecResult(int ExitCode, string Output);
