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

    /// <summary>The views of these containers' guardians (those that have one), by key.</summary>
    Task<IReadOnlyDictionary<ContainerKey, GuardianState>> GetManyAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken);
}

/// <summary>Runs heal jobs to their outcome, which they report to their guardian.</summary>
public interface IHealRunner
{
    /// <summary>Starts (or resumes, from its stage) a job.</summary>
    void Start(HealJob job);

    /// <summary>Calls a job off, if it still runs.</summary>
    void Cancel(string jobId);
}

/// <summary>Fans saved events out: logs, metrics, webhooks, pub/sub.</summary>
public interface IEventSink
{
    /// <summary>Publishes events that are already saved.</summary>
    ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);
}

/// <summary>One destination of the event fan-out (logs, metrics, webhooks); all of them get every saved event.</summary>
public interface IEventSinkPart : IEventSink;

/// <summary>
/// Records the events that belong to no guardian (the engine going down or up, a label that cannot be
/// used) where this mode keeps its event log, and fans them out.
/// </summary>
public interface IEventRecorder
{
    /// <summary>Records and publishes the events.</summary>
    Task RecordAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);
}

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

    /// <summary>When one host's failures are a storm (<see cref="Guardians.StormBreaker"/>).</summary>
    Guardians.StormRule Storm { get; }

    /// <summary>An operator's stored choice for a container (true/false), or null to follow the rules.</summary>
    bool? ChoiceFor(ContainerKey key);

    /// <summary>
    /// What holds the container's automatic heals back at <paramref name="now"/>: host-wide maintenance, or a snooze
    /// through the API (the later-ending); null when nothing does. A label's snooze comes on top (<see cref="Policies.PolicyLabels"/>).
    /// </summary>
    Policies.HoldBack? HoldFor(ContainerKey key, DateTimeOffset now);

    /// <summary>Raised after any change.</summary>
    event EventHandler? Changed;
}

/// <summary>The containers the watchers know, for the API and dashboard.</summary>
public interface IContainerCatalog
{
    /// <summary>Every container, as last seen.</summary>
    IReadOnlyCollection<ContainerInfo> Containers { get; }

    /// <summary>By id, unique id prefix, name (unique across hosts), or <c>host:name</c> / <c>host/name</c>; null if none.</summary>
    ContainerInfo? Find(string idOrName);

    /// <summary>Whether it is monitored, and why, under the current settings.</summary>
    Selection.SelectionVerdict Select(ContainerInfo container);

    /// <summary>Every name a container id has had while it was watched, also after its removal.</summary>
    IReadOnlyCollection<string> NamesOf(string id);
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

    /// <summary>Raised when the definitions may have changed (saved, deleted, read again).</summary>
    event EventHandler? Changed;
}
