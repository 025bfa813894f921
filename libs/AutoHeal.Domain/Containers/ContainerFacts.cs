namespace AutoHeal.Domain.Containers;

/// <summary>What Docker says a container is doing.</summary>
public enum ContainerStatus
{
    /// <summary>Created, never started.</summary>
    Created,
    /// <summary>Its process runs.</summary>
    Running,
    /// <summary>Frozen by <c>docker pause</c>.</summary>
    Paused,
    /// <summary>Docker is restarting it (its own restart policy).</summary>
    Restarting,
    /// <summary>Its process ended.</summary>
    Exited,
    /// <summary>Docker could not remove or stop it cleanly.</summary>
    Dead,
    /// <summary>Being removed.</summary>
    Removing,
    /// <summary>A state AutoHeal does not know.</summary>
    Unknown,
}

/// <summary>Docker's health check status; <see cref="None"/> when the container has no health check.</summary>
public enum HealthStatus
{
    /// <summary>It has no health check.</summary>
    None,
    /// <summary>In its health check's start period.</summary>
    Starting,
    /// <summary>Its health check passes.</summary>
    Healthy,
    /// <summary>Its health check fails.</summary>
    Unhealthy,
}

/// <summary>The container's own Docker restart policy.</summary>
public sealed record RestartPolicy(string Name, int MaximumRetryCount = 0)
{
    /// <summary>No restart policy.</summary>
    public static readonly RestartPolicy No = new("no");

    /// <summary>
    /// Whether Docker itself will restart the container after it exited with <paramref name="exitCode"/>,
    /// having already restarted it <paramref name="restartCount"/> times.
    /// </summary>
    public bool DockerRestartsAfter(int exitCode, int restartCount) => Name switch
    {
        "always" or "unless-stopped" => true,
        "on-failure" => exitCode != 0 && (MaximumRetryCount <= 0 || restartCount < MaximumRetryCount),
        _ => false,
    };
}

/// <summary>
/// A snapshot of one container as the watcher knows it, carried with every signal so the guardian
/// never has to ask Docker itself.
/// </summary>
public sealed record ContainerFacts
{
    /// <summary>The Docker container id.</summary>
    public required string Id { get; init; }
    /// <summary>The id of the image the container runs.</summary>
    public required string ImageId { get; init; }
    /// <summary>Docker's state.</summary>
    public ContainerStatus Status { get; init; } = ContainerStatus.Unknown;
    /// <summary>Docker's health status.</summary>
    public HealthStatus Health { get; init; } = HealthStatus.None;
    /// <summary>The last exit code Docker recorded.</summary>
    public int ExitCode { get; init; }
    /// <summary>Whether the kernel's OOM killer ended the last run.</summary>
    public bool OomKilled { get; init; }
    /// <summary>The container's own restart policy.</summary>
    public RestartPolicy RestartPolicy { get; init; } = RestartPolicy.No;
    /// <summary>How many times Docker restarted it by its policy.</summary>
    public int RestartCount { get; init; }
    /// <summary>Whether it has a HEALTHCHECK.</summary>
    public bool HasHealthCheck { get; init; }
    /// <summary>When its current (or last) run started, by the engine's clock.</summary>
    public DateTimeOffset? StartedAt { get; init; }
    /// <summary>Its labels.</summary>
    public IReadOnlyDictionary<string, string> Labels { get; init; } = new Dictionary<string, string>();
    /// <summary>Whether AutoHeal looks after it.</summary>
    public bool Monitored { get; init; }
    /// <summary>Why it is, or is not, monitored.</summary>
    public string SelectionReason { get; init; } = "";
}
