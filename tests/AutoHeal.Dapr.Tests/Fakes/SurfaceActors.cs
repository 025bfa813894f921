using System.Collections.Concurrent;
using Dapr.Actors;
using Dapr.Actors.Client;
using Dapr.Actors.Runtime;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// The real <see cref="ContainerActor"/>s behind the real <see cref="ActorGuardians"/>, without a sidecar:
/// the proxy factory hands out one actor per actor id (made with <see cref="ActorHost.CreateForTest{TActor}(string, ActorTestOptions)"/>),
/// each with an in-memory state manager the test can read. Heal workflows are recorded, not run.
/// </summary>
internal sealed class SurfaceActors : IActorProxyFactory
{
    private readonly ConcurrentDictionary<string, (ContainerActor Actor, SurfaceActorState State)> _actors = new(StringComparer.Ordinal);

    /// <summary>The heal policy and selection the actors decide with.</summary>
    public FixedSettingsSource Settings { get; } = new();

    /// <summary>Workflows the actors started or cancelled.</summary>
    public SurfaceHealWorkflows Workflows { get; } = new();

    /// <summary>Events the actors published.</summary>
    public RecordingEventSink Events { get; } = new();

    /// <summary>Actor ids a proxy was asked for, in order.</summary>
    public ConcurrentQueue<string> Proxied { get; } = new();

    /// <summary>The state manager of a container's actor, or null if no proxy to it was ever made.</summary>
    public SurfaceActorState? StateOf(ContainerKey key) =>
        _actors.TryGetValue(DaprIds.Actor(key).ToString(), out var a) ? a.State : null;

    /// <summary>Every actor's saved state entries, all together.</summary>
    public int SavedEntries => _actors.Values.Sum(a => a.State.Saved.Count);

    /// <inheritdoc />
    public TActorInterface CreateActorProxy<TActorInterface>(ActorId actorId, string actorType, ActorProxyOptions? options = null)
        where TActorInterface : IActor
    {
        Assert.Equal(DaprNames.ContainerActorType, actorType);
        Proxied.Enqueue(actorId.ToString());
        var (actor, _) = _actors.GetOrAdd(actorId.ToString(), _ =>
        {
            var host = ActorHost.CreateForTest<ContainerActor>(DaprNames.ContainerActorType, new ActorTestOptions { ActorId = actorId, TimerManager = new RecordingTimerManager(TimeProvider.System) });
            var state = new SurfaceActorState();
            return (new ContainerActor(host, new GuardianTurn(Settings, Events, TimeProvider.System), Workflows, TimeProvider.System, state), state);
        });
        return (TActorInterface)(object)actor;
    }

    /// <inheritdoc />
    public object CreateActorProxy(ActorId actorId, Type actorInterfaceType, string actorType, ActorProxyOptions? options = null) =>
        throw new NotSupportedException("only the typed proxy is faked");

    /// <inheritdoc />
    public ActorProxy Create(ActorId actorId, string actorType, ActorProxyOptions? options = null) =>
        throw new NotSupportedException("only the typed proxy is faked");
}

/// <summary>The heal workflows an actor asked for.</summary>
internal sealed class SurfaceHealWorkflows : IHealWorkflows
{
    /// <summary>Jobs started (or ensured), in order.</summary>
    public ConcurrentQueue<HealJob> Started { get; } = new();

    /// <summary>Jobs cancelled, in order.</summary>
    public ConcurrentQueue<string> Cancelled { get; } = new();

    public Task StartAsync(HealJob job, CancellationToken cancellationToken)
    {
        Started.Enqueue(job);
        return Task.CompletedTask;
    }

    public async Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken)
    {
        await StartAsync(job, cancellationToken);
        return true;
    }

    public Task CancelAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken)
    {
        Cancelled.Enqueue(jobId);
        return Task.CompletedTask;
    }
}

/// <summary>
/// An actor's state in memory: values set are pending until <see cref="SaveStateAsync"/>, which keeps
/// them as the JSON the actor runtime would store (<see cref="DaprWire.Json"/>, as the healer registers).
/// </summary>
internal sealed class SurfaceActorState : IActorStateManager
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, object?> _pending = new(StringComparer.Ordinal);
    private readonly HashSet<string> _removed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _saved = new(StringComparer.Ordinal);

    /// <summary>What was saved, by state name: the stored JSON.</summary>
    public IReadOnlyDictionary<string, string> Saved
    {
        get
        {
            lock (_lock)
            {
                return new Dictionary<string, string>(_saved, StringComparer.Ordinal);
            }
        }
    }

    /// <summary>A saved value, read back as the actor runtime would.</summary>
    public T? SavedValue<T>(string name) => Saved.TryGetValue(name, out var json) ? JsonSerializer.Deserialize<T>(json, DaprWire.Json) : default;

    public Task<ConditionalValue<T>> TryGetStateAsync<T>(string stateName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_removed.Contains(stateName))
            {
                return Task.FromResult(new ConditionalValue<T>(false, default!));
            }

            if (_pending.TryGetValue(stateName, out var value))
            {
                return Task.FromResult(new ConditionalValue<T>(true, (T)value!));
            }

            if (_saved.TryGetValue(stateName, out var json))
            {
                var read = JsonSerializer.Deserialize<T>(json, DaprWire.Json)!;
                _pending[stateName] = read;
                return Task.FromResult(new ConditionalValue<T>(true, read));
            }

            return Task.FromResult(new ConditionalValue<T>(false, default!));
        }
    }

    public Task SetStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _removed.Remove(stateName);
            _pending[stateName] = value;
        }

        return Task.CompletedTask;
    }

    public Task SetStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        SetStateAsync(stateName, value, cancellationToken);

    public Task SaveStateAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            foreach (var (name, value) in _pending)
            {
                _saved[name] = JsonSerializer.Serialize(value, value?.GetType() ?? typeof(object), DaprWire.Json);
            }

            foreach (var name in _removed)
            {
                _saved.Remove(name);
            }

            _removed.Clear();
        }

        return Task.CompletedTask;
    }

    public async Task<T> GetStateAsync<T>(string stateName, CancellationToken cancellationToken = default) =>
        await TryGetStateAsync<T>(stateName, cancellationToken) is { HasValue: true } found
            ? found.Value
            : throw new KeyNotFoundException($"no actor state '{stateName}'");

    public Task<bool> ContainsStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(!_removed.Contains(stateName) && (_pending.ContainsKey(stateName) || _saved.ContainsKey(stateName)));
        }
    }

    public async Task<bool> TryAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        if (await ContainsStateAsync(stateName, cancellationToken))
        {
            return false;
        }

        await SetStateAsync(stateName, value, cancellationToken);
        return true;
    }

    public Task<bool> TryAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        TryAddStateAsync(stateName, value, cancellationToken);

    public async Task AddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        if (!await TryAddStateAsync(stateName, value, cancellationToken))
        {
            throw new InvalidOperationException($"actor state '{stateName}' exists already");
        }
    }

    public Task AddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        AddStateAsync(stateName, value, cancellationToken);

    public async Task<T> GetOrAddStateAsync<T>(string stateName, T value, CancellationToken cancellationToken = default)
    {
        if (await TryGetStateAsync<T>(stateName, cancellationToken) is { HasValue: true } found)
        {
            return found.Value;
        }

        await SetStateAsync(stateName, value, cancellationToken);
        return value;
    }

    public Task<T> GetOrAddStateAsync<T>(string stateName, T value, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        GetOrAddStateAsync(stateName, value, cancellationToken);

    public async Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, CancellationToken cancellationToken = default)
    {
        var next = await TryGetStateAsync<T>(stateName, cancellationToken) is { HasValue: true } found
            ? updateValueFactory(stateName, found.Value)
            : addValue;
        await SetStateAsync(stateName, next, cancellationToken);
        return next;
    }

    public Task<T> AddOrUpdateStateAsync<T>(string stateName, T addValue, Func<string, T, T> updateValueFactory, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        AddOrUpdateStateAsync(stateName, addValue, updateValueFactory, cancellationToken);

    public async Task<bool> TryRemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (!await ContainsStateAsync(stateName, cancellationToken))
        {
            return false;
        }

        lock (_lock)
        {
            _pending.Remove(stateName);
            _removed.Add(stateName);
        }

        return true;
    }

    public async Task RemoveStateAsync(string stateName, CancellationToken cancellationToken = default)
    {
        if (!await TryRemoveStateAsync(stateName, cancellationToken))
        {
            throw new KeyNotFoundException($"no actor state '{stateName}'");
        }
    }

    public Task ClearCacheAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            _pending.Clear();
            _removed.Clear();
        }

        return Task.CompletedTask;
    }

    public Task UnloadStateAsync(string stateName, UnloadStateOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException("not used by ContainerActor");
}
