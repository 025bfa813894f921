namespace AutoHeal.Contracts.Dapr;

/// <summary>
/// The names distributed mode shares with its Dapr components (<c>components/*.yaml</c>) and compose
/// files. Change one here and there together.
/// </summary>
public static class DaprNames
{
    /// <summary>The pub/sub component (<c>components/pubsub.yaml</c>).</summary>
    public const string PubSub = "autoheal-pubsub";

    /// <summary>The state store component of the shared documents (<c>components/statestore.yaml</c>).</summary>
    public const string StateStore = "autoheal-state";

    /// <summary>
    /// The actor state store component (<c>components/actorstore.yaml</c>): the guardians' and the workflows' state. The
    /// code never names it (the runtime uses the one component marked <c>actorStateStore</c>); the resiliency policy does.
    /// </summary>
    public const string ActorStateStore = "autoheal-actor-state";

    /// <summary>Watchers publish every container signal here (CloudEvents; data is a <c>ContainerSignal</c>).</summary>
    public const string SignalsTopic = "container-signals";

    /// <summary>Signals the healer cannot read end up here, for a person to look at.</summary>
    public const string SignalsDeadLetterTopic = "container-signals-dead";

    /// <summary>Every saved AutoHeal event is published here (data is an <c>AutoHealEvent</c>), for any consumer.</summary>
    public const string EventsTopic = "heal-events";

    /// <summary>The actor type that owns one container's guardian state (actor id <c>host:name</c>).</summary>
    public const string ContainerActorType = "ContainerActor";

    /// <summary>
    /// The workflow that runs one heal, versioned by name: a change to the order of its calls breaks the replay of
    /// instances started before it. V2 takes a restart slot on the watcher first. An instance of an older version
    /// still under way after an upgrade is terminated by the actor's watchdog, and its guardian decides again.
    /// </summary>
    public const string HealWorkflow = "HealWorkflowV2";

    /// <summary>The healer's app id.</summary>
    public const string HealerAppId = "autoheal-healer";

    /// <summary>The API's app id.</summary>
    public const string ApiAppId = "autoheal-api";

    /// <summary>The prefix of every watcher's app id.</summary>
    public const string WatcherAppIdPrefix = "autoheal-watcher-";

    /// <summary>The app id of the watcher of Docker host <paramref name="host"/>.</summary>
    public static string WatcherAppId(string host) => WatcherAppIdPrefix + host.ToLowerInvariant();

    /// <summary>State store keys of the shared documents (configuration, selections, check definitions).</summary>
    public static string DocumentKey(string name) => "autoheal-document-" + name;
}

/// <summary>The routes a watcher serves to the healer and the API by Dapr service invocation.</summary>
public static class WatcherRoutes
{
    /// <summary>The common prefix.</summary>
    public const string Prefix = "/watcher";

    /// <summary>GET: the host, its engine and every container as last seen (<see cref="WatcherSnapshot"/>).</summary>
    public const string Snapshot = Prefix + "/snapshot";

    /// <summary>The containers' routes.</summary>
    public const string Containers = Prefix + "/containers";

    /// <summary>GET: one container, inspected now (<c>ContainerInfo</c>, 404 if none).</summary>
    public static string Container(string idOrName) => $"{Containers}/{Uri.EscapeDataString(idOrName)}";

    /// <summary>
    /// POST: restarts a container if it is still as the heal saw it (<c>expect_status</c>, and
    /// <c>expect_started_at</c> unless it never started); <c>?stop_timeout_seconds=</c>. Answers a
    /// <c>RestartResult</c>: restarted, changed (left as it is), gone or refused (in Docker's words).
    /// </summary>
    public static string Restart(string id, TimeSpan stopTimeout, Domain.Ports.ContainerSeen expected) =>
        $"{Container(id)}/restart?stop_timeout_seconds={(int)Math.Ceiling(stopTimeout.TotalSeconds)}"
        + $"&expect_status={expected.Status.ToString().ToLowerInvariant()}"
        + (expected.StartedAt is { } started ? $"&expect_started_at={Uri.EscapeDataString(started.ToString("O", System.Globalization.CultureInfo.InvariantCulture))}" : "");

    /// <summary>
    /// POST: creates a container again and swaps it in (<c>IHealHost.RecreateAsync</c>), <c>?stop_timeout_seconds=</c>.
    /// Answers a <c>RecreateResult</c>.
    /// </summary>
    public static string Recreate(string id, TimeSpan stopTimeout) =>
        $"{Container(id)}/recreate?stop_timeout_seconds={(int)Math.Ceiling(stopTimeout.TotalSeconds)}";

    /// <summary>GET: the last lines of a container's log, <c>?lines=</c>.</summary>
    public static string Logs(string id, int lines) => $"{Container(id)}/logs?lines={lines}";

    /// <summary>The host's restart slots, held by heal jobs.</summary>
    public const string Slots = Prefix + "/slots";

    /// <summary>
    /// POST: waits up to <paramref name="wait"/> for one of the host's restart slots and holds it for the job
    /// for at most <paramref name="hold"/>; answers a <see cref="SlotAnswer"/>. <paramref name="automaticFor"/>: the container
    /// of an automatic heal, which passes the host's storm breaker first. DELETE (without the times): gives it back.
    /// </summary>
    public static string Slot(string jobId, TimeSpan? hold = null, TimeSpan? wait = null, string? automaticFor = null) =>
        $"{Slots}?job={Uri.EscapeDataString(jobId)}"
        + (hold is { } h ? $"&hold_seconds={(int)Math.Ceiling(h.TotalSeconds)}" : "")
        + (wait is { } w ? $"&wait_seconds={(int)Math.Ceiling(w.TotalSeconds)}" : "")
        + (automaticFor is { } c ? $"&automatic_for={Uri.EscapeDataString(c)}" : "");

    /// <summary>The header Dapr puts on calls from the sidecar when <c>APP_API_TOKEN</c> is set.</summary>
    public const string AppTokenHeader = "dapr-api-token";

    /// <summary>
    /// The header by which the healer and the API prove to a watcher that they hold <c>APP_API_TOKEN</c>, through every
    /// sidecar between them (Dapr forwards a call's headers): a watcher serves no call without it.
    /// </summary>
    public const string CallerHeader = "autoheal-caller";
}

/// <summary>The JSON of everything distributed mode sends over Dapr: the API's (snake_case, enums as strings).</summary>
public static class DaprWire
{
    /// <summary>Serializer options for signals, events, actor calls and watcher calls.</summary>
    public static readonly System.Text.Json.JsonSerializerOptions Json = Api.AutoHealApiClient.CreateJson();
}

/// <summary>The answer to a slot request: whether the job holds one of the host's restart slots now, or is over there.</summary>
public sealed record SlotAnswer(bool Held, bool Over = false);

/// <summary>What a watcher knows, in one call: its host, its engine, its containers.</summary>
/// <param name="Host">The Docker host's name.</param>
/// <param name="SelfContainerId">AutoHeal's own container on that host, if it runs in one (never healed).</param>
/// <param name="Engine">Whether the engine answers.</param>
/// <param name="Containers">Every container, as last seen.</param>
public sealed record WatcherSnapshot(
    string Host,
    string? SelfContainerId,
    Domain.Ports.EngineReading Engine,
    IReadOnlyList<Domain.Ports.ContainerInfo> Containers);
