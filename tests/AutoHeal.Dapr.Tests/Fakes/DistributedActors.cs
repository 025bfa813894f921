using System.Collections.Concurrent;
using Dapr.Actors;
using Dapr.Actors.Client;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// The actor runtime's part of the pipeline, without a sidecar: one real <see cref="ContainerActor"/> per actor id
/// (made with <see cref="ActorHost.CreateForTest{TActor}(ActorTestOptions)"/>, its state in an
/// <see cref="InMemoryActorStateManager"/>, its reminders in a <see cref="RecordingTimerManager"/>), reached through a
/// proxy that keeps Dapr's turn-based concurrency (one call at a time per actor) and sends arguments and answers
/// through the actors' JSON (<see cref="DaprWire.Json"/>), as the remoting does. Reminders are recorded, not fired.
/// </summary>
internal sealed class DistributedActors(ISettingsSource settings, IHealWorkflows workflows, IEventSink events, TimeProvider time) : IActorProxyFactory
{
    private readonly ConcurrentDictionary<string, DistributedActor> _actors = new(StringComparer.Ordinal);

    /// <summary>The actors' loggers (the healer's, once it runs).</summary>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>Every actor activated so far, by actor id.</summary>
    public IReadOnlyCollection<string> Activated => _actors.Keys.ToList();

    /// <summary>
    /// What a container's actor saved in the state store (state name to JSON), read in a turn of its own; null if the
    /// actor was never activated.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, string>?> SavedAsync(ContainerKey key)
    {
        if (!_actors.TryGetValue(DaprIds.Actor(key).ToString(), out var actor))
        {
            return null;
        }

        return await actor.InTurnAsync(() => Task.FromResult<IReadOnlyDictionary<string, string>>(
            new Dictionary<string, string>(actor.State.Persisted, StringComparer.Ordinal)));
    }

    /// <summary>The reminders of a container's actor that would still fire (none if it was never activated).</summary>
    public async Task<IReadOnlyList<RegisteredReminder>> ActiveRemindersAsync(ContainerKey key) =>
        _actors.TryGetValue(DaprIds.Actor(key).ToString(), out var actor)
            ? await actor.InTurnAsync(() => Task.FromResult<IReadOnlyList<RegisteredReminder>>(actor.Timers.Active.ToList()))
            : [];

    /// <summary>Every reminder registration of a container's actor, in order, unregistered ones included.</summary>
    public async Task<IReadOnlyList<RegisteredReminder>> RegisteredRemindersAsync(ContainerKey key) =>
        _actors.TryGetValue(DaprIds.Actor(key).ToString(), out var actor)
            ? await actor.InTurnAsync(() => Task.FromResult<IReadOnlyList<RegisteredReminder>>(actor.Timers.Registered.ToList()))
            : [];

    public TActorInterface CreateActorProxy<TActorInterface>(ActorId actorId, string actorType, ActorProxyOptions? options = null)
        where TActorInterface : IActor
    {
        if (actorType != DaprNames.ContainerActorType || typeof(TActorInterface) != typeof(IContainerActor))
        {
            throw new InvalidOperationException($"no actor type '{actorType}' with {typeof(TActorInterface).Name} is registered");
        }

        return (TActorInterface)(object)_actors.GetOrAdd(actorId.ToString(), _ => Activate(actorId));
    }

    public object CreateActorProxy(ActorId actorId, Type actorInterfaceType, string actorType, ActorProxyOptions? options = null) =>
        throw new NotSupportedException("only the typed proxy is used");

    public ActorProxy Create(ActorId actorId, string actorType, ActorProxyOptions? options = null) =>
        throw new NotSupportedException("only the typed proxy is used");

    private DistributedActor Activate(ActorId actorId)
    {
        var timers = new RecordingTimerManager(time);
        var host = ActorHost.CreateForTest<ContainerActor>(DaprNames.ContainerActorType, new ActorTestOptions
        {
            ActorId = actorId,
            TimerManager = timers,
            JsonSerializerOptions = DaprWire.Json,
            LoggerFactory = LoggerFactory,
        });
        var state = new InMemoryActorStateManager(DaprWire.Json);
        return new DistributedActor(new ContainerActor(host, new GuardianTurn(settings, events, time), workflows, time, state), state, timers);
    }
}

/// <summary>A proxy to one actor: a call waits for the actor's turn, and crosses the wire as JSON both ways.</summary>
internal sealed class DistributedActor(ContainerActor actor, InMemoryActorStateManager state, RecordingTimerManager timers) : IContainerActor
{
    private readonly SemaphoreSlim _turn = new(1, 1);

    public InMemoryActorStateManager State { get; } = state;

    public RecordingTimerManager Timers { get; } = timers;

    public Task<ActorReply> TellAsync(GuardianInput input) =>
        InTurnAsync(async () => Wire(await actor.TellAsync(Wire(input))));

    public Task<GuardianState?> GetGuardianAsync() =>
        InTurnAsync(async () => await actor.GetGuardianAsync() is { } guardian ? Wire(guardian) : null);

    /// <summary>Runs <paramref name="call"/> as one turn of the actor.</summary>
    public async Task<T> InTurnAsync<T>(Func<Task<T>> call)
    {
        await _turn.WaitAsync();
        try
        {
            return await call();
        }
        finally
        {
            _turn.Release();
        }
    }

    private static T Wire<T>(T value) => JsonSerializer.Deserialize<T>(JsonSerializer.Serialize(value, DaprWire.Json), DaprWire.Json)!;
}
