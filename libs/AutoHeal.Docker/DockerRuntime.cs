using System.Globalization;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AutoHeal.Domain.Ports;
using Docker.DotNet;
using Docker.DotNet.Models;
using ContainerStatus = AutoHeal.Domain.Containers.ContainerStatus;
using HealthStatus = AutoHeal.Domain.Containers.HealthStatus;
using RestartPolicy = AutoHeal.Domain.Containers.RestartPolicy;

namespace AutoHeal.Docker;

/// <summary>
/// <see cref="IContainerRuntime"/> over Docker.DotNet. Returns domain records only, and turns every
/// way of not reaching the engine into <see cref="EngineUnavailableException"/>.
/// </summary>
public sealed class DockerRuntime : IContainerRuntime, IDisposable
{
    // Only what the guardian needs; exec_* and network events never reach us.
    private static readonly Dictionary<string, IDictionary<string, bool>> EventFilters = new()
    {
        ["type"] = new Dictionary<string, bool> { ["container"] = true },
        ["event"] = new Dictionary<string, bool>
        {
            ["create"] = true,
            ["start"] = true,
            ["kill"] = true,
            ["stop"] = true,
            ["die"] = true,
            ["health_status"] = true,
            ["pause"] = true,
            ["unpause"] = true,
            ["destroy"] = true,
            ["rename"] = true,
        },
    };

    private readonly DockerClient _client;
    private readonly string _host;

    /// <summary>
    /// Connects to <paramref name="endpoint"/> (<c>unix:///var/run/docker.sock</c>, <c>tcp://host:2375</c>), the
    /// engine of the Docker host AutoHeal names <paramref name="host"/>.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the Docker client disposes its configuration")]
    public DockerRuntime(string endpoint, string host)
    {
        Endpoint = endpoint;
        _host = host;
        _client = new DockerClientConfiguration(new Uri(endpoint), defaultTimeout: TimeSpan.FromSeconds(30)).CreateClient();
    }

    /// <summary>The endpoint from <c>DOCKER_HOST</c>, or the local socket.</summary>
    public static string DefaultEndpoint =>
        Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock";

    /// <inheritdoc />
    public string Endpoint { get; }

    /// <inheritdoc />
    public Task<IReadOnlyList<ContainerSummary>> ListAsync(CancellationToken cancellationToken) => Call(async () =>
    {
        var list = await _client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        return (IReadOnlyList<ContainerSummary>)list.Select(c => new ContainerSummary(
            c.ID,
            c.Names.FirstOrDefault()?.TrimStart('/') ?? c.ID[..12],
            c.ImageID,
            ParseStatus(c.State),
            HealthFromStatusText(c.Status),
            ToDictionary(c.Labels))).ToList();
    });

    /// <inheritdoc />
    public Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken) => Call(async () =>
    {
        try
        {
            var c = await _client.Containers.InspectContainerAsync(idOrName, cancellationToken);
            return ToInfo(c, _host);
        }
        catch (DockerContainerNotFoundException)
        {
            return null;
        }
    });

    /// <inheritdoc />
    public Task RestartAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken) => Call(async () =>
    {
        await _client.Containers.RestartContainerAsync(
            id,
            new ContainerRestartParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(stopTimeout.TotalSeconds) },
            cancellationToken);
        return true;
    });

    /// <inheritdoc />
    public Task<bool> PingAsync(CancellationToken cancellationToken) => Call(async () =>
    {
        await _client.System.PingAsync(cancellationToken);
        return true;
    });

    /// <inheritdoc />
    public async IAsyncEnumerable<ContainerEvent> EventsAsync(
        DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var channel = Channel.CreateUnbounded<ContainerEvent>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        var parameters = new ContainerEventsParameters { Filters = EventFilters };
        if (since is { } s)
        {
            parameters.Since = s.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        }

        var progress = new Progress(m =>
        {
            if (ToEvent(m) is { } e)
            {
                channel.Writer.TryWrite(e);
            }
        });
        var pump = Task.Run(async () =>
        {
            try
            {
                await Call(async () =>
                {
                    await _client.System.MonitorEventsAsync(parameters, progress, cancellationToken);
                    return true;
                });
                channel.Writer.TryComplete(new EngineUnavailableException($"the Docker engine at {Endpoint} closed the event stream"));
            }
            catch (Exception ex)
            {
                channel.Writer.TryComplete(ex);
            }
        }, CancellationToken.None);

        await foreach (var e in channel.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }

        await pump;
    }

    /// <inheritdoc />
    public Task<ExecResult> ExecAsync(string id, string command, CancellationToken cancellationToken) => Call(async () =>
    {
        var exec = await _client.Exec.ExecCreateContainerAsync(id, new ContainerExecCreateParameters
        {
            Cmd = ["/bin/sh", "-c", command],
            AttachStdout = true,
            AttachStderr = true,
        }, cancellationToken);
        using (var stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, false, cancellationToken))
        {
            var output = await ReadAsync(stream, 16 * 1024, cancellationToken);
            var inspect = await _client.Exec.InspectContainerExecAsync(exec.ID, cancellationToken);
            return new ExecResult((int)inspect.ExitCode, output.Trim());
        }
    });

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken) => Call(async () =>
    {
        using var stream = await _client.Containers.GetContainerLogsAsync(
            container.Id,
            container.Tty,
            new ContainerLogsParameters { ShowStdout = true, ShowStderr = true, Tail = lines.ToString(CultureInfo.InvariantCulture) },
            cancellationToken);
        var text = await ReadAsync(stream, 64 * 1024, cancellationToken);
        return (IReadOnlyList<string>)text.Split('\n').Select(l => Bound(l.TrimEnd('\r'))).Where(l => l.Length > 0).TakeLast(lines).ToList();
    });

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    // Reads in arrival order, so stdout and stderr lines stay interleaved as they were written.
    private static async Task<string> ReadAsync(MultiplexedStream stream, int max, CancellationToken cancellationToken)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new byte[8192];
        while (text.Length < max)
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                break;
            }

            text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read.Count));
        }

        return text.Length > max ? text.ToString(0, max) : text.ToString();
    }

    private static string Bound(string text)
    {
        var t = text.Trim();
        return t.Length > 500 ? t[..500] + "…" : t;
    }

    internal static ContainerEvent? ToEvent(Message m)
    {
        if (m.Type != "container" || m.Actor is null)
        {
            return null;
        }

        var attrs = m.Actor.Attributes ?? new Dictionary<string, string>();
        attrs.TryGetValue("name", out var name);
        var at = m.TimeNano > 0
            ? DateTimeOffset.FromUnixTimeMilliseconds(m.TimeNano / 1_000_000).AddTicks(m.TimeNano % 1_000_000 / 100)
            : new DateTimeOffset(m.Time, TimeSpan.Zero);
        var action = m.Action ?? m.Status ?? "";
        ContainerEventKind? kind = action switch
        {
            "create" => ContainerEventKind.Created,
            "start" => ContainerEventKind.Started,
            "kill" or "stop" => ContainerEventKind.StopRequested,
            "die" => ContainerEventKind.Died,
            "pause" => ContainerEventKind.Paused,
            "unpause" => ContainerEventKind.Unpaused,
            "destroy" => ContainerEventKind.Removed,
            "rename" => ContainerEventKind.Renamed,
            _ when action.StartsWith("health_status", StringComparison.Ordinal) =>
                action.EndsWith("unhealthy", StringComparison.Ordinal) ? ContainerEventKind.Unhealthy
                : action.EndsWith("healthy", StringComparison.Ordinal) ? ContainerEventKind.Healthy
                : null,
            _ => null,
        };
        if (kind is null)
        {
            return null;
        }

        int? exit = attrs.TryGetValue("exitCode", out var code) && int.TryParse(code, CultureInfo.InvariantCulture, out var c) ? c : null;
        var detail = action == "kill" && attrs.TryGetValue("signal", out var sig) ? $"signal {sig}" : action == "stop" ? "stop" : null;
        return new ContainerEvent(kind.Value, m.Actor.ID ?? m.ID, name ?? "", at, exit, detail);
    }

    internal static ContainerInfo ToInfo(ContainerInspectResponse c, string host)
    {
        var state = c.State;
        var health = state?.Health?.Status switch
        {
            "healthy" => HealthStatus.Healthy,
            "unhealthy" => HealthStatus.Unhealthy,
            "starting" => HealthStatus.Starting,
            _ => HealthStatus.None,
        };
        var test = c.Config?.Healthcheck?.Test;
        var hasCheck = test is { Count: > 0 } && !(test.Count == 1 && test[0] == "NONE");
        var policy = c.HostConfig?.RestartPolicy;
        return new ContainerInfo
        {
            Host = host,
            Id = c.ID,
            Name = c.Name?.TrimStart('/') ?? c.ID[..12],
            ImageId = c.Image,
            Status = state is null ? ContainerStatus.Unknown
                : state.Paused ? ContainerStatus.Paused
                : state.Restarting ? ContainerStatus.Restarting
                : ParseStatus(state.Status),
            Health = hasCheck ? health : HealthStatus.None,
            ExitCode = (int)(state?.ExitCode ?? 0),
            OomKilled = state?.OOMKilled ?? false,
            RestartPolicy = new RestartPolicy(PolicyName(policy?.Name), (int)(policy?.MaximumRetryCount ?? 0)),
            RestartCount = (int)c.RestartCount,
            HasHealthCheck = hasCheck,
            StartedAt = ParseTime(state?.StartedAt),
            Labels = ToDictionary(c.Config?.Labels),
            Tty = c.Config?.Tty ?? false,
            HealthOutputs = state?.Health?.Log is { } log
                ? log.Select(l => Bound(l.Output ?? "")).Where(o => o.Length > 0).ToList()
                : [],
        };
    }

    private static string PolicyName(RestartPolicyKind? kind) => kind switch
    {
        RestartPolicyKind.Always => "always",
        RestartPolicyKind.UnlessStopped => "unless-stopped",
        RestartPolicyKind.OnFailure => "on-failure",
        _ => "no",
    };

    private static DateTimeOffset? ParseTime(object? value) => value switch
    {
        DateTime dt when dt.Year > 1 => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
        DateTimeOffset dto when dto.Year > 1 => dto,
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var p) && p.Year > 1 => p,
        _ => null,
    };

    internal static ContainerStatus ParseStatus(string? state) => state switch
    {
        "running" => ContainerStatus.Running,
        "created" => ContainerStatus.Created,
        "paused" => ContainerStatus.Paused,
        "restarting" => ContainerStatus.Restarting,
        "exited" => ContainerStatus.Exited,
        "dead" => ContainerStatus.Dead,
        "removing" => ContainerStatus.Removing,
        _ => ContainerStatus.Unknown,
    };

    // The list call has no health field; its status text ends in "(healthy)", "(unhealthy)" or "(health: starting)".
    internal static HealthStatus HealthFromStatusText(string? status) => status switch
    {
        null => HealthStatus.None,
        _ when status.Contains("(unhealthy)", StringComparison.Ordinal) => HealthStatus.Unhealthy,
        _ when status.Contains("(healthy)", StringComparison.Ordinal) => HealthStatus.Healthy,
        _ when status.Contains("(health: starting)", StringComparison.Ordinal) => HealthStatus.Starting,
        _ => HealthStatus.None,
    };

    private static Dictionary<string, string> ToDictionary(IDictionary<string, string>? labels) =>
        labels is null ? [] : new Dictionary<string, string>(labels, StringComparer.Ordinal);

    private async Task<T> Call<T>(Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception ex) when (IsUnreachable(ex))
        {
            throw new EngineUnavailableException($"the Docker engine at {Endpoint} is unreachable: {Innermost(ex).Message}", ex);
        }
    }

    private static bool IsUnreachable(Exception ex) => ex switch
    {
        EngineUnavailableException => false,
        OperationCanceledException => false,
        HttpRequestException or SocketException or IOException or TimeoutException => true,
        DockerApiException { StatusCode: >= System.Net.HttpStatusCode.InternalServerError } api
            when api.Message.Contains("daemon", StringComparison.OrdinalIgnoreCase) => true,
        _ => ex.InnerException is { } inner && IsUnreachable(inner),
    };

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;

    private sealed class Progress(Action<Message> onMessage) : IProgress<Message>
    {
        public void Report(Message value) => onMessage(value);
    }
}
