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

    /// <summary>The most output an exec keeps (it is read to its end, and the rest dropped).</summary>
    public const int ExecOutputCap = 16 * 1024;

    private readonly DockerClient _client;
    private readonly string _host;
    private readonly TimeProvider _time;
    private readonly DockerRecreation _recreation;

    /// <summary>
    /// Connects to <paramref name="endpoint"/> (<c>unix:///var/run/docker.sock</c>, <c>tcp://host:2375</c>), the
    /// engine of the Docker host AutoHeal names <paramref name="host"/>; waits on <paramref name="time"/> (the system's, by default).
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the Docker client disposes its configuration")]
    public DockerRuntime(string endpoint, string host, TimeProvider? time = null)
    {
        Endpoint = endpoint;
        _host = host;
        _time = time ?? TimeProvider.System;
        IsLocal = endpoint.StartsWith("unix://", StringComparison.Ordinal);
        _client = new DockerClientConfiguration(new Uri(endpoint), defaultTimeout: TimeSpan.FromSeconds(30)).CreateClient();
        _recreation = new DockerRecreation(_client, host);
    }

    /// <summary>
    /// The endpoint from <c>DOCKER_HOST</c>; without it the local socket, or rootless Docker's
    /// (<c>$XDG_RUNTIME_DIR/docker.sock</c>) when there is no local socket but that one is there.
    /// </summary>
    public static string DefaultEndpoint => EndpointFrom(
        Environment.GetEnvironmentVariable("DOCKER_HOST"), Environment.GetEnvironmentVariable("XDG_RUNTIME_DIR"), File.Exists);

    /// <summary><see cref="DefaultEndpoint"/> from the two variables and what <paramref name="exists"/> says is on disk.</summary>
    public static string EndpointFrom(string? dockerHost, string? runtimeDir, Func<string, bool> exists)
    {
        ArgumentNullException.ThrowIfNull(exists);
        const string Rootful = "/var/run/docker.sock";
        if (dockerHost is { Length: > 0 })
        {
            return dockerHost;
        }

        var rootless = runtimeDir is { Length: > 0 } ? Path.Combine(runtimeDir, "docker.sock") : null;
        return !exists(Rootful) && rootless is not null && exists(rootless) ? $"unix://{rootless}" : $"unix://{Rootful}";
    }

    /// <inheritdoc />
    public string Endpoint { get; }

    /// <summary>Whether the engine is on this machine (a unix socket), so that its process ids are this machine's.</summary>
    public bool IsLocal { get; }

    /// <inheritdoc />
    public Task<DateTimeOffset?> EngineTimeAsync(CancellationToken cancellationToken) => Call(async () =>
    {
        var info = await _client.System.GetSystemInfoAsync(cancellationToken);
        return DateTimeOffset.TryParse(info.SystemTime, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : (DateTimeOffset?)null;
    });

    /// <inheritdoc />
    public Task<string?> EngineNameAsync(CancellationToken cancellationToken) => Call(async () =>
        (await _client.System.GetSystemInfoAsync(cancellationToken)).Name is { Length: > 0 } name ? name : null);

    /// <inheritdoc />
    public bool? SharesEngineLoopback() => IsLocal ? HostProcesses.SharesEngineNetwork() : false;

    /// <inheritdoc />
    public Task<IReadOnlySet<int>?> LoopbackListenersAsync(ContainerInfo container, CancellationToken cancellationToken) =>
        Task.FromResult(IsLocal && container.Pid > 0 ? HostProcesses.LoopbackListeners(container.Pid) : null);

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
    /// <remarks>Docker's refusal is an <see cref="InvalidOperationException"/> in Docker's own words.</remarks>
    public Task RestartAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken) => Call(async () =>
    {
        try
        {
            await _client.Containers.RestartContainerAsync(
                id,
                new ContainerRestartParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(stopTimeout.TotalSeconds) },
                cancellationToken);
        }
        catch (DockerApiException ex) when (!IsUnreachable(ex))
        {
            throw new InvalidOperationException(DockerRecreation.Words(ex), ex);
        }

        return true;
    });

    /// <inheritdoc />
    public Task<RecreateResult> RecreateAsync(string id, IReadOnlyDictionary<string, string> references, TimeSpan stopTimeout, CancellationToken cancellationToken) =>
        Call(() => _recreation.RecreateAsync(id, references, stopTimeout, cancellationToken));

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> TidyRecreationsAsync(CancellationToken cancellationToken) =>
        Call(() => _recreation.TidyAsync(cancellationToken));

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
    /// <remarks>
    /// The output is read to its end (the first <see cref="ExecOutputCap"/> characters kept), and the exit code taken
    /// only once the command has finished. When <paramref name="cancellationToken"/> ends first (the check's timeout),
    /// the command and what it started are ended, where this machine can see the engine's processes.
    /// </remarks>
    public Task<ExecResult> ExecAsync(string id, string command, CancellationToken cancellationToken) => Call(async () =>
    {
        var exec = await _client.Exec.ExecCreateContainerAsync(id, new ContainerExecCreateParameters
        {
            Cmd = ["/bin/sh", "-c", command],
            AttachStdout = true,
            AttachStderr = true,
        }, cancellationToken);
        try
        {
            string output;
            using (var stream = await _client.Exec.StartAndAttachContainerExecAsync(exec.ID, false, cancellationToken))
            {
                output = await ReadAsync(stream, ExecOutputCap, cancellationToken, toTheEnd: true);
            }

            // Its output is closed; the command itself may still run.
            for (var wait = TimeSpan.FromMilliseconds(20); ; wait = wait < TimeSpan.FromMilliseconds(500) ? wait * 2 : wait)
            {
                var inspect = await _client.Exec.InspectContainerExecAsync(exec.ID, cancellationToken);
                if (!inspect.Running)
                {
                    return new ExecResult((int)inspect.ExitCode, output.Trim());
                }

                await Task.Delay(wait, _time, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await EndExecAsync(exec.ID, id);
            throw;
        }
    });

    // Docker has no call to end an exec: its process is ended by id, if this machine sees the engine's processes.
    private async Task EndExecAsync(string execId, string containerId)
    {
        if (!IsLocal)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), _time);
            var exec = await _client.Exec.InspectContainerExecAsync(execId, timeout.Token);
            var container = await _client.Containers.InspectContainerAsync(containerId, timeout.Token);
            if (exec.Running && container.State is { Running: true } state)
            {
                HostProcesses.TryKill((int)exec.Pid, (int)state.Pid);
            }
        }
        catch (Exception ex) when (ex is DockerApiException or HttpRequestException or IOException or OperationCanceledException or TimeoutException)
        {
            // best effort: the engine or the container went away meanwhile
        }
    }

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
    /// <remarks>
    /// A 403 (what a filtering socket proxy answers outside its profile) or 401 is a refusal; any other answer, "no such
    /// container" above all, means the call reached the engine. Creating is asked with a platform no engine parses, which
    /// every engine refuses (400) before it looks at anything else; a container that was created all the same is removed.
    /// </remarks>
    public Task<IReadOnlyList<EngineRefusal>> RefusalsAsync(CancellationToken cancellationToken) => Call(async () =>
    {
        var none = $"autoheal-access-check-{Guid.NewGuid():N}";
        var refused = new List<EngineRefusal>();
        async Task Ask(string action, Func<Task> call)
        {
            try
            {
                await call();
            }
            catch (DockerApiException ex) when (ex.StatusCode is System.Net.HttpStatusCode.Forbidden or System.Net.HttpStatusCode.Unauthorized)
            {
                refused.Add(new EngineRefusal(action, EngineRefusal.EffectOf(action), $"{(int)ex.StatusCode} {ex.StatusCode}"));
            }
            catch (DockerApiException)
            {
                // it reached the engine
            }
        }

        await Ask("list", () => _client.Containers.ListContainersAsync(new ContainersListParameters { Limit = 1 }, cancellationToken));
        await Ask("inspect", () => _client.Containers.InspectContainerAsync(none, cancellationToken));
        await Ask("events", async () =>
        {
            // A second in 1970: the engine answers with what it holds of it (nothing) and ends the stream, whatever its clock says.
            await _client.System.MonitorEventsAsync(new ContainerEventsParameters { Since = "1", Until = "2" }, new Progress(_ => { }), cancellationToken);
        });
        await Ask("restart", () => _client.Containers.RestartContainerAsync(none, new ContainerRestartParameters(), cancellationToken));
        await Ask("logs", async () =>
        {
            using var logs = await _client.Containers.GetContainerLogsAsync(none, false, new ContainerLogsParameters { ShowStdout = true }, cancellationToken);
        });
        await Ask("exec", () => _client.Exec.ExecCreateContainerAsync(none, new ContainerExecCreateParameters { Cmd = ["true"] }, cancellationToken));
        await Ask("create", async () =>
        {
            var created = await _client.Containers.CreateContainerAsync(
                new CreateContainerParameters { Name = none, Image = none, Platform = "not a platform!" }, cancellationToken);
            await _client.Containers.RemoveContainerAsync(created.ID, new ContainerRemoveParameters { Force = true }, cancellationToken);
        });
        return (IReadOnlyList<EngineRefusal>)refused;
    });

    /// <inheritdoc />
    public void Dispose() => _client.Dispose();

    /// <summary>How much of an exec check's output is read (and dropped past <see cref="ExecOutputCap"/>) before AutoHeal stops reading it.</summary>
    private const long ExecReadLimit = 1024 * 1024;

    // Reads in arrival order, so stdout and stderr lines stay interleaved as they were written; keeps at most max
    // characters, and stops there unless toTheEnd (then what follows is read and dropped, so the writer finishes, up to
    // ExecReadLimit bytes: a command that never stops writing is not read for ever, its time-out ends it).
    private static async Task<string> ReadAsync(MultiplexedStream stream, int max, CancellationToken cancellationToken, bool toTheEnd = false)
    {
        var text = new System.Text.StringBuilder();
        var buffer = new byte[8192];
        long total = 0;
        while (text.Length < max || (toTheEnd && total < ExecReadLimit))
        {
            var read = await stream.ReadOutputAsync(buffer, 0, buffer.Length, cancellationToken);
            if (read.EOF)
            {
                break;
            }

            total += read.Count;
            if (text.Length < max)
            {
                text.Append(System.Text.Encoding.UTF8.GetString(buffer, 0, read.Count));
            }
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
            FinishedAt = ParseTime(state?.FinishedAt),
            Labels = ToDictionary(c.Config?.Labels),
            Tty = c.Config?.Tty ?? false,
            HealthOutputs = state?.Health?.Log is { } log
                ? log.Select(l => Bound(l.Output ?? "")).Where(o => o.Length > 0).ToList()
                : [],
            NetworkMode = c.HostConfig?.NetworkMode ?? "",
            PidMode = c.HostConfig?.PidMode ?? "",
            IpcMode = c.HostConfig?.IpcMode ?? "",
            Addresses = (c.NetworkSettings?.Networks?.Values ?? [])
                .SelectMany(n => new[] { n.IPAddress, n.GlobalIPv6Address })
                .Where(a => !string.IsNullOrEmpty(a))
                .Distinct(StringComparer.Ordinal)
                .ToList(),
            LoopbackPorts = (c.NetworkSettings?.Ports ?? new Dictionary<string, IList<PortBinding>>())
                .SelectMany(p => p.Value ?? [])
                .Where(b => b.HostIP is null or "" or "0.0.0.0" or "::" or "127.0.0.1" or "::1")
                .Select(b => int.TryParse(b.HostPort, NumberStyles.None, CultureInfo.InvariantCulture, out var port) ? port : 0)
                .Where(p => p > 0)
                .Distinct()
                .Order()
                .ToList(),
            Pid = state is { Running: true } ? (int)state.Pid : 0,
            Privileged = IsPrivileged(c),
        };
    }

    // Root on the host, or close to it, from inside: an exec in it reaches the host. A named volume is not; a bind
    // mount of the host's system folders, its sockets, a device or a capability that escapes the container is.
    internal static bool IsPrivileged(ContainerInspectResponse c)
    {
        var hc = c.HostConfig;
        if (hc is null)
        {
            return false;
        }

        var caps = (hc.CapAdd ?? []).Select(cap => cap.ToUpperInvariant().Replace("CAP_", "", StringComparison.Ordinal));
        return hc.Privileged
            || caps.Any(EscapingCapabilities.Contains)
            || hc.PidMode == "host"
            || hc.UsernsMode == "host"
            || (hc.Devices?.Count ?? 0) > 0
            || (c.Mounts ?? []).Any(m => m.Type == "bind" && m.Source is { } s && IsHostSystemPath(s));
    }

    private static readonly HashSet<string> EscapingCapabilities =
        ["ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "SYS_RAWIO", "SYS_BOOT", "DAC_READ_SEARCH", "BPF", "PERFMON", "SYSLOG", "MKNOD"];

    private static readonly string[] HostSystemFolders =
        ["/etc", "/root", "/boot", "/proc", "/sys", "/dev", "/run", "/var/run", "/var/lib/docker", "/var/lib/containerd", "/usr", "/bin", "/sbin", "/lib", "/lib64"];

    internal static bool IsHostSystemPath(string source)
    {
        var path = "/" + source.Trim('/');
        return path == "/"
            || path.EndsWith(".sock", StringComparison.Ordinal)
            || HostSystemFolders.Any(f => path == f || path.StartsWith(f + "/", StringComparison.Ordinal));
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
            throw new EngineUnavailableException($"the Docker engine at {Endpoint} is unreachable: {Innermost(ex).Message}{Hint(Innermost(ex))}", ex);
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

    // The socket refuses this user: what to do about it, in the words of docker run and compose.
    private string Hint(Exception innermost) =>
        IsLocal && innermost is SocketException { SocketErrorCode: SocketError.AccessDenied } or UnauthorizedAccessException
            ? $" (user {Environment.UserName} may not use the socket: run AutoHeal as root, or give it the socket's group: " +
              $"docker run --group-add $(stat -c %g {new Uri(Endpoint).AbsolutePath}), or group_add in compose)"
            : "";

    private static Exception Innermost(Exception ex) => ex.InnerException is { } inner ? Innermost(inner) : ex;

    private sealed class Progress(Action<Message> onMessage) : IProgress<Message>
    {
        public void Report(Message value) => onMessage(value);
    }
}
