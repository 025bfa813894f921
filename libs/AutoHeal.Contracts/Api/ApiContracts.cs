namespace AutoHeal.Contracts.Api;

/// <summary><c>GET /health</c>.</summary>
public sealed record HealthResponse(string Status, bool DockerReachable, string? DockerError, DateTimeOffset? Since)
{
    /// <summary>Whether AutoHeal's own store takes writes (a full disk does not).</summary>
    public bool StoreWritable { get; init; } = true;

    /// <summary>Why it does not, in the store's words.</summary>
    public string? StoreError { get; init; }

    /// <summary>Why one of AutoHeal's own loops is stuck (a guardian's mailbox not draining); null while none is.</summary>
    public string? Stuck { get; init; }
}

/// <summary>The Docker engine as AutoHeal sees it.</summary>
public sealed record EngineView(bool Reachable, string Endpoint, string? Error, DateTimeOffset? Since)
{
    /// <summary>
    /// What the engine (or a socket proxy in front of it) refuses of what AutoHeal does, and what AutoHeal does not do
    /// because of it, as asked at the last connect (every 5 minutes after); empty while it allows everything. Embedded mode
    /// and watchers only: the API on Dapr does not know its watchers' answers.
    /// </summary>
    public IReadOnlyList<EngineRefusalView> Refused { get; init; } = [];
}

/// <summary>One kind of engine call refused: <see cref="Action"/> (list, inspect, events, restart, logs, exec, create), <see cref="Effect"/> on AutoHeal, and the engine's <see cref="Answer"/>.</summary>
public sealed record EngineRefusalView(string Action, string Effect, string Answer);

/// <summary><c>GET /api/status</c>.</summary>
public sealed record StatusResponse(
    int Total, int Monitored, int Quarantined, int HealingNow, EngineView Engine,
    double UptimeSeconds, DateTimeOffset StartedAt, string Version);

/// <summary>A quarantine.</summary>
public sealed record QuarantineView(DateTimeOffset Since, string Reason, DateTimeOffset? Until);

/// <summary>The last heal of a container.</summary>
public sealed record LastHealView(DateTimeOffset At, string Outcome, string Message)
{
    /// <summary>The failure it answered ("crashed with exit code 1", "vpn started again and it shares the network namespace of vpn: restarted with it").</summary>
    public string? Cause { get; init; }
}

/// <summary>One container in <c>GET /api/containers</c>.</summary>
public sealed record ContainerView
{
    /// <summary>Docker id.</summary>
    public required string Id { get; init; }
    /// <summary>Name.</summary>
    public required string Name { get; init; }
    /// <summary>Docker host name (as configured).</summary>
    public required string Host { get; init; }
    /// <summary>Image id.</summary>
    public required string ImageId { get; init; }
    /// <summary>running, exited, paused...</summary>
    public required string Status { get; init; }
    /// <summary>none, starting, healthy, unhealthy.</summary>
    public required string Health { get; init; }
    /// <summary>Whether AutoHeal looks after it.</summary>
    public required bool Monitored { get; init; }
    /// <summary>Why it is, or is not, monitored.</summary>
    public required string MonitoredReason { get; init; }
    /// <summary>The operator's choice, when one overrides the labels.</summary>
    public bool? Selection { get; init; }
    /// <summary>watching, healing, stopped, paused, removed; unknown when AutoHeal has no history.</summary>
    public required string Phase { get; init; }
    /// <summary>Whether a heal is under way.</summary>
    public required bool HealingNow { get; init; }
    /// <summary>Whether it is quarantined.</summary>
    public required bool Quarantined { get; init; }
    /// <summary>The quarantine.</summary>
    public QuarantineView? Quarantine { get; init; }
    /// <summary>Restarts by AutoHeal.</summary>
    public required int RestartCount { get; init; }
    /// <summary>Restarts by Docker's own restart policy.</summary>
    public required int DockerRestartCount { get; init; }
    /// <summary>The last heal.</summary>
    public LastHealView? LastHeal { get; init; }
    /// <summary>Automatic heals held back now (maintenance, a snooze), until when and why; null when none is.</summary>
    public HoldView? Hold { get; init; }
    /// <summary>The end of its snooze set through the API (which <c>DELETE .../snooze</c> ends), when it has one.</summary>
    public DateTimeOffset? SnoozedUntil { get; init; }
}

/// <summary>Automatic heals held back until <see cref="Until"/>: <see cref="Why"/> says by what (maintenance, a snooze by the API or a label).</summary>
public sealed record HoldView(DateTimeOffset Until, string Why);

/// <summary>
/// <c>POST /api/maintenance</c>: hold back every automatic heal for <see cref="DurationSeconds"/>; <c>POST
/// /api/containers/{id}/snooze</c>: one container's.
/// </summary>
public sealed record HoldRequest(int? DurationSeconds, string? Reason);

/// <summary>
/// <c>GET /api/maintenance</c>: whether host-wide maintenance is on, since when, until when and why; <see cref="Scheduled"/>
/// when it is a window of the configuration (<c>maintenance.windows</c>), which only a configuration change ends.
/// </summary>
public sealed record MaintenanceView(bool Active, DateTimeOffset? StartedAt, DateTimeOffset? Until, string? Reason, bool Scheduled = false);

/// <summary>The shared document of holds (<c>holds</c>): maintenance, and the containers snoozed, by <c>host/name</c>.</summary>
public sealed record HoldsDocument
{
    /// <summary>Host-wide maintenance, when on.</summary>
    public MaintenanceHold? Maintenance { get; init; }
    /// <summary>Containers snoozed through the API, by <c>host/name</c>.</summary>
    public Dictionary<string, SnoozeHold> Snoozes { get; init; } = [];
}

/// <summary>Maintenance: from <see cref="StartedAt"/> to <see cref="Until"/>, for <see cref="Reason"/>.</summary>
public sealed record MaintenanceHold(DateTimeOffset StartedAt, DateTimeOffset Until, string Reason);

/// <summary>A container snoozed until <see cref="Until"/>, for <see cref="Reason"/>.</summary>
public sealed record SnoozeHold(DateTimeOffset Until, string Reason);

/// <summary>A heal under way.</summary>
public sealed record HealJobView(string Id, string Reason, string Detail, int Attempt, string Stage, DateTimeOffset DetectedAt, DateTimeOffset DueAt);

/// <summary>Where a container stands with its backoff.</summary>
public sealed record BackoffView(int HealsInIncident, int HealsInWindow, double NextDelaySeconds, DateTimeOffset? NextAllowedHeal, DateTimeOffset? StableSince);

/// <summary><c>GET /api/containers/{id}</c>: the guardian's whole view.</summary>
public sealed record ContainerDetail
{
    /// <summary>The summary.</summary>
    public required ContainerView Container { get; init; }
    /// <summary>Its labels.</summary>
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    /// <summary>Backoff state.</summary>
    public required BackoffView Backoff { get; init; }
    /// <summary>The heal under way.</summary>
    public HealJobView? ActiveHeal { get; init; }
    /// <summary>Its custom health check, if one is defined.</summary>
    public HealthCheckDefinition? CustomCheck { get; init; }
    /// <summary>Its events, newest first: the newest page, or the page before <c>?before=</c>.</summary>
    public required IReadOnlyList<EventView> History { get; init; }
    /// <summary>The <c>before</c> of the next, older page of <see cref="History"/>; null when this is the oldest.</summary>
    public long? HistoryNextBefore { get; init; }
    /// <summary>The containers it depends on: restarted with them when they start again.</summary>
    public IReadOnlyList<DependencyView> Parents { get; init; } = [];
    /// <summary>The containers that depend on it: restarted with it when it starts again.</summary>
    public IReadOnlyList<DependencyView> Dependents { get; init; } = [];
}

/// <summary>A container one depends on, or one that depends on it, and why (<c>it shares the network namespace of vpn</c>).</summary>
public sealed record DependencyView(string Name, string Why);

/// <summary><c>POST /api/containers/select</c>: <c>enabled</c> true/false overrides labels; null hands back to labels.</summary>
public sealed record SelectRequest(IReadOnlyList<string> Containers, bool? Enabled);

/// <summary>A manual restart accepted.</summary>
public sealed record RestartAccepted(string Container, string JobId);

/// <summary>One event.</summary>
public sealed record EventView(
    long Id, DateTimeOffset At, string Kind, string? Host, string? Container, string? ContainerId,
    string? Reason, int? Attempt, string? JobId, string Message)
{
    /// <summary>What was kept before a restart: on <c>restarting</c> events.</summary>
    public DiagnosticsView? Diagnostics { get; init; }
}

/// <summary>What a restart destroys, kept from just before it.</summary>
public sealed record DiagnosticsView(int? ExitCode, bool OomKilled, IReadOnlyList<string> HealthOutputs, IReadOnlyList<string> LogTail);

/// <summary>A page of events, newest first; pass <see cref="NextBefore"/> as <c>before</c> for the next (null when there is none).</summary>
public sealed record EventPage(IReadOnlyList<EventView> Items, long? NextBefore);

/// <summary>One event kind: its name (as in <see cref="EventView.Kind"/> and the <c>kind</c> filter) and what it means.</summary>
public sealed record EventKindView(string Kind, string Description);

/// <summary>A custom health check definition, run by the watcher; it wins over the container's check labels.</summary>
public sealed record HealthCheckDefinition
{
    /// <summary>Assigned by AutoHeal.</summary>
    public string? Id { get; init; }
    /// <summary>The container, by name or id.</summary>
    public string? ContainerId { get; init; }
    /// <summary><c>http</c>, <c>tcp</c>, <c>exec</c> or <c>docker</c>.</summary>
    public string? CheckType { get; init; }
    /// <summary>For http: the URL.</summary>
    public string? HttpEndpoint { get; init; }
    /// <summary>For http: the expected status (default 200).</summary>
    public int? HttpExpectedStatus { get; init; }
    /// <summary>For http: GET (default), HEAD or POST.</summary>
    public string? HttpMethod { get; init; }
    /// <summary>For http: text the body must contain.</summary>
    public string? HttpBodyContains { get; init; }
    /// <summary>For tcp: the host.</summary>
    public string? TcpHost { get; init; }
    /// <summary>For tcp: the port.</summary>
    public int? TcpPort { get; init; }
    /// <summary>For exec: the command, run inside the container.</summary>
    public string? ExecCommand { get; init; }
    /// <summary>Seconds between checks.</summary>
    public double IntervalSeconds { get; init; } = 30;
    /// <summary>Seconds before one check counts as failed.</summary>
    public double TimeoutSeconds { get; init; } = 5;
    /// <summary>Failures in a row that make it unhealthy.</summary>
    public int Retries { get; init; } = 3;
    /// <summary>Successes in a row that make it healthy again.</summary>
    public int SuccessThreshold { get; init; } = 1;
    /// <summary>Seconds after a start during which failures do not count.</summary>
    public double StartPeriodSeconds { get; init; }
    /// <summary>When it was defined.</summary>
    public DateTimeOffset? CreatedAt { get; init; }
    /// <summary>Set by AutoHeal in answers, never stored: e.g. that no container has this name yet (the check applies when one appears).</summary>
    public string? Note { get; init; }
}

/// <summary>How a test notification went, per webhook.</summary>
public sealed record WebhookTestResult(string Webhook, bool Delivered, int? Status, string? Error, int Attempts);
