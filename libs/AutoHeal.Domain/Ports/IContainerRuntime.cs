using AutoHeal.Domain.Containers;

namespace AutoHeal.Domain.Ports;

/// <summary>A container as a list call shows it: enough to notice a change without inspecting.</summary>
public sealed record ContainerSummary(
    string Id, string Name, string ImageId, ContainerStatus Status, HealthStatus Health,
    IReadOnlyDictionary<string, string> Labels);

/// <summary>A container as an inspect call shows it.</summary>
public sealed record ContainerInfo
{
    /// <summary>The Docker host it runs on (as AutoHeal names it).</summary>
    public required string Host { get; init; }
    /// <summary>The Docker id.</summary>
    public required string Id { get; init; }
    /// <summary>The name, without Docker's leading slash.</summary>
    public required string Name { get; init; }
    /// <summary>The image id.</summary>
    public required string ImageId { get; init; }
    /// <summary>Docker's state.</summary>
    public ContainerStatus Status { get; init; }
    /// <summary>Docker's health status.</summary>
    public HealthStatus Health { get; init; }
    /// <summary>The last exit code.</summary>
    public int ExitCode { get; init; }
    /// <summary>Whether the OOM killer ended the last run.</summary>
    public bool OomKilled { get; init; }
    /// <summary>Its own restart policy.</summary>
    public RestartPolicy RestartPolicy { get; init; } = RestartPolicy.No;
    /// <summary>Restarts done by that policy.</summary>
    public int RestartCount { get; init; }
    /// <summary>Whether it has a HEALTHCHECK.</summary>
    public bool HasHealthCheck { get; init; }
    /// <summary>When its current or last run started (engine clock).</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>When its last run ended (engine clock); null when it never ended.</summary>
    public DateTimeOffset? FinishedAt { get; init; }
    /// <summary>Its labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Whether it runs with a TTY (its log is then one raw stream).</summary>
    public bool Tty { get; init; }
    /// <summary>The outputs of its latest health checks (Docker keeps five), oldest first, trimmed.</summary>
    public IReadOnlyList<string> HealthOutputs { get; init; } = [];
    /// <summary>Its network mode: <c>bridge</c>, <c>host</c>, <c>none</c>, <c>container:&lt;id&gt;</c>, or a network's name.</summary>
    public string NetworkMode { get; init; } = "";
    /// <summary>Docker's PID mode: <c>container:&lt;id or name&gt;</c> when it shares another's PID namespace.</summary>
    public string PidMode { get; init; } = "";
    /// <summary>Docker's IPC mode: <c>container:&lt;id or name&gt;</c> when it shares another's IPC namespace.</summary>
    public string IpcMode { get; init; } = "";
    /// <summary>Its own IP addresses on its networks (IPv4 and IPv6).</summary>
    public IReadOnlyList<string> Addresses { get; init; } = [];
    /// <summary>The host ports it publishes where the host's loopback reaches them (bound to every address, or to loopback).</summary>
    public IReadOnlyList<int> LoopbackPorts { get; init; } = [];
    /// <summary>The host's process id of its main process; 0 when it does not run.</summary>
    public int Pid { get; init; }
    /// <summary>
    /// Whether it holds more power over its host than a container does: privileged, all capabilities or
    /// CAP_SYS_ADMIN, the host's process namespace, or the Docker socket mounted.
    /// </summary>
    public bool Privileged { get; init; }

    /// <summary>Whether it shares the host's network namespace.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool HostNetwork => NetworkMode == "host";

    /// <summary>The key its guardian, selections and events know it by: its host and its name.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ContainerKey Key => new(Host, Name);

    /// <summary>The output of its last health check, trimmed.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public string? LastHealthOutput => HealthOutputs.Count > 0 ? HealthOutputs[^1] : null;

    /// <summary>Its state and start time, as a heal step saw them (by the engine's clock).</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public ContainerSeen Seen => new(Status, StartedAt);

    /// <summary>The facts a signal carries about this container, with its selection verdict.</summary>
    public ContainerFacts ToFacts(Selection.SelectionVerdict verdict) => new()
    {
        Id = Id,
        ImageId = ImageId,
        Status = Status,
        Health = Health,
        ExitCode = ExitCode,
        OomKilled = OomKilled,
        RestartPolicy = RestartPolicy,
        RestartCount = RestartCount,
        HasHealthCheck = HasHealthCheck,
        StartedAt = StartedAt,
        Labels = Labels,
        Monitored = verdict.Monitored,
        SelectionReason = verdict.Reason,
    };

    /// <summary>What it says of its last run (exit code, OOM kill, health outputs), with the last lines of its log.</summary>
    public Events.HealDiagnostics Diagnostics(IReadOnlyList<string> logTail) => new()
    {
        ExitCode = Status is ContainerStatus.Exited or ContainerStatus.Dead ? ExitCode : null,
        OomKilled = OomKilled,
        HealthOutputs = HealthOutputs,
        LogTail = logTail,
    };
}

/// <summary>A container's state and start time as a heal step saw them, both from its engine.</summary>
public sealed record ContainerSeen(ContainerStatus Status, DateTimeOffset? StartedAt);

/// <summary>Docker events AutoHeal listens to.</summary>
public enum ContainerEventKind
{
    /// <summary><c>create</c>.</summary>
    Created,
    /// <summary><c>start</c>.</summary>
    Started,
    /// <summary><c>kill</c> or <c>stop</c>: someone asked it to stop.</summary>
    StopRequested,
    /// <summary><c>die</c>: its process ended.</summary>
    Died,
    /// <summary><c>health_status: unhealthy</c>.</summary>
    Unhealthy,
    /// <summary><c>health_status: healthy</c>.</summary>
    Healthy,
    /// <summary><c>pause</c>.</summary>
    Paused,
    /// <summary><c>unpause</c>.</summary>
    Unpaused,
    /// <summary><c>destroy</c>.</summary>
    Removed,
    /// <summary><c>rename</c>.</summary>
    Renamed,
}

/// <summary>One Docker container event.</summary>
public sealed record ContainerEvent(
    ContainerEventKind Kind, string Id, string Name, DateTimeOffset At, int? ExitCode = null, string? Detail = null);

/// <summary>The Docker engine cannot be reached (socket missing, refused, engine restarting).</summary>
public sealed class EngineUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The Docker engine of one host, as the watcher there follows it.</summary>
public interface IContainerRuntime
{
    /// <summary>Where the engine is, for messages.</summary>
    string Endpoint { get; }

    /// <summary>Every container, running or not, in one call.</summary>
    Task<IReadOnlyList<ContainerSummary>> ListAsync(CancellationToken cancellationToken);

    /// <summary>One container by id or name; null when there is none.</summary>
    Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken);

    /// <summary>Restarts a container (starts it, if it is not running).</summary>
    Task RestartAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken);

    /// <summary>The engine's container events from <paramref name="since"/> on (or from now), until cancelled or the connection drops.</summary>
    IAsyncEnumerable<ContainerEvent> EventsAsync(DateTimeOffset? since, CancellationToken cancellationToken);

    /// <summary>Whether the engine answers.</summary>
    Task<bool> PingAsync(CancellationToken cancellationToken);

    /// <summary>The time now by the engine's clock, when it says (the clock of container start times and events).</summary>
    Task<DateTimeOffset?> EngineTimeAsync(CancellationToken cancellationToken);

    /// <summary>The engine's host name (<c>docker info</c>'s Name), when it says: what notifications call this Docker host.</summary>
    Task<string?> EngineNameAsync(CancellationToken cancellationToken);

    /// <summary>
    /// The ports on which the container's own processes listen where the host's loopback reaches them (for a container
    /// on the host's network), or null when this runtime cannot tell (its processes are not visible from here).
    /// </summary>
    Task<IReadOnlySet<int>?> LoopbackListenersAsync(ContainerInfo container, CancellationToken cancellationToken);

    /// <summary>
    /// Whether this process's loopback is the engine host's (it runs in the host's network namespace, where the ports
    /// containers publish on loopback are); null when this runtime cannot tell (the engine's processes are not visible).
    /// False for a remote engine.
    /// </summary>
    bool? SharesEngineLoopback();

    /// <summary>Runs <c>/bin/sh -c <paramref name="command"/></c> inside a running container; its exit code and (bounded) output.</summary>
    Task<ExecResult> ExecAsync(string id, string command, CancellationToken cancellationToken);

    /// <summary>The last <paramref name="lines"/> lines of the container's log (stdout and stderr), oldest first.</summary>
    Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken);

    /// <summary>
    /// Creates the container again with its whole configuration, only its <c>container:</c> references replaced as
    /// <paramref name="references"/> says (old reference to new id), and swaps it in: the original is set aside under
    /// <see cref="Containers.Recreations.SetAsideName"/>, the new one created under its name and started (the original
    /// stopped first, within <paramref name="stopTimeout"/>), then the original removed (its volumes kept). When a step
    /// fails, what was done is undone and the original has its name back.
    /// </summary>
    Task<RecreateResult> RecreateAsync(string id, IReadOnlyDictionary<string, string> references, TimeSpan stopTimeout, CancellationToken cancellationToken);

    /// <summary>
    /// Finishes or undoes the recreations that were cut short (AutoHeal killed in the middle): afterwards each name has
    /// one container and no original is left set aside. Says what it did, a sentence each.
    /// </summary>
    Task<IReadOnlyList<string>> TidyRecreationsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// What the engine (or a socket proxy in front of it) refuses of what AutoHeal does, asked without changing anything:
    /// each call names a container that does not exist, so "no such container" means allowed. Empty when everything is.
    /// </summary>
    Task<IReadOnlyList<EngineRefusal>> RefusalsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<EngineRefusal>>([]);
}

/// <summary>One kind of engine call refused (<paramref name="Action"/>: list, inspect, events, restart, logs, exec, create), what AutoHeal does without it, and the engine's (or proxy's) answer.</summary>
public sealed record EngineRefusal(string Action, string Effect, string Answer)
{
    /// <summary>What AutoHeal cannot do without each action, in the words the log, the status and the dashboard use.</summary>
    public static string EffectOf(string action) => action switch
    {
        "list" or "inspect" => "it cannot see the containers: nothing is watched",
        "events" => "no event stream: AutoHeal cannot follow the engine and tries to connect again and again",
        "restart" => "notify-only: failures are recorded and notified, never healed",
        "logs" => "heal reports and notifications carry no log lines",
        "exec" => "exec health checks cannot run",
        "create" => "a container in another's namespace cannot be recreated when its parent was replaced",
        _ => "",
    };

    /// <summary>One sentence for the lot: "restart refused by the engine (403 Forbidden): notify-only: ...; exec refused ...".</summary>
    public static string Describe(IReadOnlyCollection<EngineRefusal> refused) =>
        string.Join("; ", refused.Select(r => $"{r.Action} refused by the engine ({r.Answer}): {r.Effect}"));
}

/// <summary>The result of a command run inside a container.</summary>
public sealed record ExecResult(int ExitCode, string Output);
