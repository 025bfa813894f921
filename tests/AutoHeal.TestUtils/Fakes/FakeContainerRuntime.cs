using System.Runtime.CompilerServices;
using System.Threading.Channels;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Ports;

namespace AutoHeal.TestUtils.Fakes;

/// <summary>One <see cref="IContainerRuntime.RestartAsync"/> call, as the fake engine received it.</summary>
/// <param name="Id">The id the caller passed.</param>
/// <param name="At">When the call arrived, by the fake's clock.</param>
/// <param name="StopTimeout">The stop timeout the caller asked for.</param>
public sealed record RestartCall(string Id, DateTimeOffset At, TimeSpan StopTimeout);

/// <summary>
/// An in-memory Docker engine for unit tests. It holds containers by id, lets a test change them at will,
/// and records every restart. A restart sets the container running with <c>StartedAt</c> = the clock's now
/// (health <c>starting</c> if it has a health check); a test can make restarts wait for
/// <see cref="ReleaseRestarts"/>, fail, or leave the container in another state (<see cref="AfterRestart"/>),
/// and can make the whole engine unreachable (<see cref="Unreachable"/>).
/// </summary>
/// <param name="time">The clock restarts and new containers take their start times from.</param>
/// <param name="host">The Docker host its containers are on.</param>
public sealed class FakeContainerRuntime(TimeProvider time, string host) : IContainerRuntime
{
    /// <summary>The image id of containers added without one.</summary>
    public const string DefaultImageId = "sha256:fake-image";

    private readonly Lock _lock = new();
    private readonly Dictionary<string, ContainerInfo> _containers = new(StringComparer.Ordinal);
    private readonly List<RestartCall> _restarts = [];
    private readonly Channel<ContainerEvent> _events = Channel.CreateUnbounded<ContainerEvent>();
    private TaskCompletionSource? _restartGate;
    private volatile bool _unreachable;
    private int _inFlight;
    private int _maxInFlight;

    /// <inheritdoc />
    public string Endpoint => "fake://docker";

    /// <summary>When true, every call throws <see cref="EngineUnavailableException"/>, as the real adapter does.</summary>
    public bool Unreachable
    {
        get => _unreachable;
        set => _unreachable = value;
    }

    /// <summary>When set, every restart throws it (after being recorded), as Docker refusing the restart.</summary>
    public Exception? RestartFailure { get; set; }

    /// <summary>When set, changes the container after the restart's own effect (for example: it exits again at once).</summary>
    public Func<ContainerInfo, ContainerInfo>? AfterRestart { get; set; }

    /// <summary>Every restart call so far, in order.</summary>
    public IReadOnlyList<RestartCall> Restarts
    {
        get
        {
            lock (_lock)
            {
                return _restarts.ToList();
            }
        }
    }

    /// <summary>Restart calls under way now.</summary>
    public int RestartsInFlight => Volatile.Read(ref _inFlight);

    /// <summary>The most restart calls that were ever under way at once.</summary>
    public int MaxRestartsInFlight => Volatile.Read(ref _maxInFlight);

    /// <summary>A running container without a health check, started now, for <see cref="Add"/>.</summary>
    public ContainerInfo Running(string id, string name) => new()
    {
        Host = host,
        Id = id,
        Name = name,
        ImageId = DefaultImageId,
        Status = ContainerStatus.Running,
        Health = HealthStatus.None,
        StartedAt = time.GetUtcNow(),
    };

    /// <summary>Adds (or replaces) a container.</summary>
    public ContainerInfo Add(ContainerInfo container)
    {
        lock (_lock)
        {
            _containers[container.Id] = container;
        }

        return container;
    }

    /// <summary>The container as it is now; throws if there is none.</summary>
    public ContainerInfo Get(string idOrName) =>
        Find(idOrName) ?? throw new InvalidOperationException($"the fake engine has no container '{idOrName}'");

    /// <summary>Changes a container; returns it as changed.</summary>
    public ContainerInfo Update(string idOrName, Func<ContainerInfo, ContainerInfo> change)
    {
        lock (_lock)
        {
            var changed = change(Get(idOrName));
            _containers[changed.Id] = changed;
            return changed;
        }
    }

    /// <summary>Sets Docker's state (and the exit code, when given).</summary>
    public ContainerInfo SetStatus(string idOrName, ContainerStatus status, int? exitCode = null) =>
        Update(idOrName, c => c with { Status = status, ExitCode = exitCode ?? c.ExitCode });

    /// <summary>Sets the health status.</summary>
    public ContainerInfo SetHealth(string idOrName, HealthStatus health) => Update(idOrName, c => c with { Health = health });

    /// <summary>Sets the start time of the current (or last) run.</summary>
    public ContainerInfo SetStartedAt(string idOrName, DateTimeOffset? startedAt) => Update(idOrName, c => c with { StartedAt = startedAt });

    /// <summary>The container's process ends with <paramref name="exitCode"/>.</summary>
    public ContainerInfo Exit(string idOrName, int exitCode, bool oomKilled = false) =>
        Update(idOrName, c => c with { Status = ContainerStatus.Exited, ExitCode = exitCode, OomKilled = oomKilled });

    /// <summary>The container runs again, started now (by itself or by Docker's restart policy).</summary>
    public ContainerInfo StartAgain(string idOrName) =>
        Update(idOrName, c => c with
        {
            Status = ContainerStatus.Running,
            Health = c.HasHealthCheck ? HealthStatus.Starting : HealthStatus.None,
            ExitCode = 0,
            OomKilled = false,
            StartedAt = time.GetUtcNow(),
        });

    /// <summary>Removes a container.</summary>
    public void Remove(string idOrName)
    {
        lock (_lock)
        {
            _containers.Remove(Get(idOrName).Id);
        }
    }

    /// <summary>From now on restarts wait (recorded and counted in flight) until <see cref="ReleaseRestarts"/>.</summary>
    public void BlockRestarts()
    {
        lock (_lock)
        {
            _restartGate ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Lets the waiting restarts, and all later ones, go through.</summary>
    public void ReleaseRestarts()
    {
        TaskCompletionSource? gate;
        lock (_lock)
        {
            gate = _restartGate;
            _restartGate = null;
        }

        gate?.TrySetResult();
    }

    /// <summary>Makes every restart leave the container exited again with <paramref name="exitCode"/>, right after it started.</summary>
    public void ExitAfterRestart(int exitCode) =>
        AfterRestart = c => c with { Status = ContainerStatus.Exited, ExitCode = exitCode };

    /// <summary>Hands an engine event to whoever reads <see cref="EventsAsync"/>.</summary>
    public void Publish(ContainerEvent containerEvent) => _events.Writer.TryWrite(containerEvent);

    /// <inheritdoc />
    public Task<IReadOnlyList<ContainerSummary>> ListAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        lock (_lock)
        {
            IReadOnlyList<ContainerSummary> list = _containers.Values
                .Select(c => new ContainerSummary(c.Id, c.Name, c.ImageId, c.Status, c.Health, c.Labels))
                .ToList();
            return Task.FromResult(list);
        }
    }

    /// <inheritdoc />
    public Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Find(idOrName));
    }

    /// <inheritdoc />
    public async Task RestartAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        TaskCompletionSource? gate;
        lock (_lock)
        {
            _restarts.Add(new RestartCall(id, time.GetUtcNow(), stopTimeout));
            gate = _restartGate;
        }

        var inFlight = Interlocked.Increment(ref _inFlight);
        for (var max = Volatile.Read(ref _maxInFlight); inFlight > max; max = Volatile.Read(ref _maxInFlight))
        {
            if (Interlocked.CompareExchange(ref _maxInFlight, inFlight, max) == max)
            {
                break;
            }
        }

        try
        {
            if (gate is not null)
            {
                await gate.Task.WaitAsync(cancellationToken);
            }

            ThrowIfUnreachable();
            if (RestartFailure is { } failure)
            {
                throw failure;
            }

            lock (_lock)
            {
                var c = Find(id) ?? throw new InvalidOperationException($"No such container: {id}");
                var restarted = c with
                {
                    Status = ContainerStatus.Running,
                    Health = c.HasHealthCheck ? HealthStatus.Starting : HealthStatus.None,
                    ExitCode = 0,
                    OomKilled = false,
                    StartedAt = time.GetUtcNow(),
                };
                _containers[c.Id] = AfterRestart?.Invoke(restarted) ?? restarted;
            }
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ContainerEvent> EventsAsync(
        DateTimeOffset? since, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        await foreach (var e in _events.Reader.ReadAllAsync(cancellationToken))
        {
            yield return e;
        }
    }

    /// <summary>What exec returns, by command; unknown commands exit 127.</summary>
    public Dictionary<string, ExecResult> ExecResults { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<ExecResult> ExecAsync(string id, string command, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        lock (_lock)
        {
            return Task.FromResult(ExecResults.TryGetValue(command, out var r) ? r : new ExecResult(127, $"sh: {command}: not found"));
        }
    }

    /// <summary>Every recreation so far: the original's id and the references it was asked to replace.</summary>
    public List<(string Id, IReadOnlyDictionary<string, string> References)> Recreations { get; } = [];

    /// <summary>When set, a recreation fails with this (the original left as it was), as Docker refusing the new container's start.</summary>
    public string? RecreateFailure { get; set; }

    /// <inheritdoc />
    /// <remarks>The new container has the id <c>{id}-re</c>, the original's configuration, its references replaced, and is running from now.</remarks>
    public Task<RecreateResult> RecreateAsync(string id, IReadOnlyDictionary<string, string> references, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        lock (_lock)
        {
            Recreations.Add((id, references));
            if (Find(id) is not { } c)
            {
                return Task.FromResult(new RecreateResult(false, "the container is gone"));
            }

            if (RecreateFailure is { } failure)
            {
                return Task.FromResult(new RecreateResult(false, $"{failure}; the original was put back as it was"));
            }

            string Mode(string mode) => mode.StartsWith("container:", StringComparison.Ordinal) && references.TryGetValue(mode["container:".Length..], out var now) ? $"container:{now}" : mode;
            var created = c with
            {
                Id = $"{c.Id}-re",
                Status = ContainerStatus.Running,
                Health = c.HasHealthCheck ? HealthStatus.Starting : HealthStatus.None,
                ExitCode = 0,
                StartedAt = time.GetUtcNow(),
                NetworkMode = Mode(c.NetworkMode),
                PidMode = Mode(c.PidMode),
                IpcMode = Mode(c.IpcMode),
            };
            _containers.Remove(c.Id);
            _containers[created.Id] = created;
            return Task.FromResult(new RecreateResult(true, $"recreated as {created.Id}") { Container = created });
        }
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> TidyRecreationsAsync(CancellationToken cancellationToken) => Task.FromResult<IReadOnlyList<string>>([]);

    /// <summary>Log lines a test gave a container, by id.</summary>
    public Dictionary<string, List<string>> Logs { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>(Logs.TryGetValue(container.Id, out var l) ? l.TakeLast(lines).ToList() : []);
        }
    }

    /// <inheritdoc />
    public Task<bool> PingAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        return Task.FromResult(true);
    }

    /// <inheritdoc />
    public Task<DateTimeOffset?> EngineTimeAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        return EngineTimeFailure is { } failure ? Task.FromException<DateTimeOffset?>(failure) : Task.FromResult<DateTimeOffset?>(time.GetUtcNow() + EngineAhead);
    }

    /// <inheritdoc />
    public Task<string?> EngineNameAsync(CancellationToken cancellationToken)
    {
        ThrowIfUnreachable();
        return Task.FromResult<string?>("fake-engine");
    }

    /// <summary>When set, what <see cref="EngineTimeAsync"/> throws (a socket proxy that refuses <c>/info</c>, say).</summary>
    public Exception? EngineTimeFailure { get; set; }

    /// <summary>How far <see cref="EngineTimeAsync"/> answers ahead of the clock (on top of the clock's own).</summary>
    public TimeSpan EngineAhead { get; set; }

    /// <summary>What <see cref="LoopbackListenersAsync"/> answers: the ports a container listens on, by name; null: cannot tell.</summary>
    public Dictionary<string, IReadOnlySet<int>?> Listeners { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public bool? SharesEngineLoopback() => SharesLoopback;

    /// <summary>What <see cref="SharesEngineLoopback"/> answers (by default: yes, as AutoHeal on the engine's host).</summary>
    public bool? SharesLoopback { get; set; } = true;

    /// <inheritdoc />
    public Task<IReadOnlySet<int>?> LoopbackListenersAsync(ContainerInfo container, CancellationToken cancellationToken) =>
        Task.FromResult(Listeners.TryGetValue(container.Name, out var ports) ? ports : null);

    private ContainerInfo? Find(string idOrName)
    {
        lock (_lock)
        {
            return _containers.TryGetValue(idOrName, out var byId)
                ? byId
                : _containers.Values.FirstOrDefault(c => c.Name == idOrName);
        }
    }

    private void ThrowIfUnreachable()
    {
        if (_unreachable)
        {
            throw new EngineUnavailableException($"the Docker engine at {Endpoint} is unreachable: connection refused");
        }
    }
}
