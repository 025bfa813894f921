using AutoHeal.Core.Stores;
using AutoHeal.Sqlite;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>What one guardian (embedded or actor) did, in a form both can be compared in.</summary>
internal sealed record ActorComparisonRecord(
    string? StateJson,
    IReadOnlyList<(EventKind Kind, DateTimeOffset At, string Message, string? JobId, int? Attempt)> Events,
    IReadOnlyList<string> StartedJobs,
    IReadOnlyList<string> CancelledJobs,
    IReadOnlyList<DateTimeOffset> Wakes);

/// <summary>One way of hosting a container's guardian, driven by the same inputs and the same clock as the other.</summary>
internal interface IActorComparisonRig : IAsyncDisposable
{
    Task TellAsync(GuardianInput input);

    /// <summary>The test's clock moved: whatever the guardian asked to be woken for, and is now due, has been handled when this returns.</summary>
    Task ClockMovedAsync();

    Task<GuardianState?> StateAsync();

    Task<ActorComparisonRecord> RecordAsync();
}

/// <summary>
/// The embedded guardian: <see cref="GuardianMailboxes"/> over a real <see cref="SqliteStore"/> in a temp folder, with
/// a <see cref="ActorRecordingHealRunner"/> for the heal jobs it starts and calls off, and its wake-up timers on the test's clock.
/// </summary>
internal sealed class ActorEmbeddedGuardianRig : IActorComparisonRig
{
    private readonly ContainerKey _key;
    private readonly TempStore _temp;
    private readonly SqliteStore _store;
    private readonly WakeRecordingClock _clock;

    private ActorEmbeddedGuardianRig(ContainerKey key, TempStore temp, WakeRecordingClock clock, ISettingsSource settings)
    {
        _key = key;
        _temp = temp;
        _store = temp.Store;
        _clock = clock;
        Mailboxes = new GuardianMailboxes(_store, new GuardianTurn(settings, Sink, clock), Runner, new StoreHealth(clock), clock, NullLogger<GuardianMailboxes>.Instance);
    }

    public GuardianMailboxes Mailboxes { get; }

    public RecordingEventSink Sink { get; } = new();

    public ActorRecordingHealRunner Runner { get; } = new();

    public static async Task<ActorEmbeddedGuardianRig> StartAsync(ContainerKey key, TimeProvider clock, ISettingsSource settings) =>
        new(key, await TempStore.OpenAsync(), new WakeRecordingClock(clock), settings);

    public Task TellAsync(GuardianInput input) => Mailboxes.TellAsync(input, CancellationToken.None);

    public async Task ClockMovedAsync()
    {
        // A due wake-up timer has posted its Wake to the mailbox while the clock moved (the fake clock runs timer
        // callbacks on the thread that moves it). A report of no job is a no-op behind it in the same mailbox:
        // when it is answered, the Wake has been decided, saved and carried out.
        if (await _store.LoadGuardianAsync(_key, CancellationToken.None) is not null)
        {
            var noop = await Mailboxes.TellAsync(new HealReport(_key, "no-such-job", HealStep.Cancelled), CancellationToken.None);
            Assert.False(noop.Accepted);
        }
    }

    public Task<GuardianState?> StateAsync() => _store.LoadGuardianAsync(_key, CancellationToken.None);

    public async Task<ActorComparisonRecord> RecordAsync()
    {
        var state = await StateAsync();
        return new ActorComparisonRecord(
            state is null ? null : JsonSerializer.Serialize(state, DaprWire.Json),
            Sink.Events.Select(e => (e.Kind, e.At, e.Message, e.JobId, e.Attempt)).ToList(),
            Runner.Started.Select(j => j.Id).ToList(),
            Runner.Cancelled.ToList(),
            _clock.Wakes.ToList());
    }

    public async ValueTask DisposeAsync()
    {
        Mailboxes.Dispose();
        await _temp.DisposeAsync();
    }

    /// <summary>The test's clock, noting the wake-ups the mailboxes set (their only use of timers).</summary>
    private sealed class WakeRecordingClock(TimeProvider inner) : TimeProvider
    {
        private readonly Recorded<DateTimeOffset> _wakes = new();

        public IReadOnlyList<DateTimeOffset> Wakes => _wakes.Items;

        public override DateTimeOffset GetUtcNow() => inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override long TimestampFrequency => inner.TimestampFrequency;

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            _wakes.Add(inner.GetUtcNow() + dueTime);
            return inner.CreateTimer(callback, state, dueTime, period);
        }
    }
}

/// <summary>An <see cref="IHealRunner"/> that only records what the embedded guardian asked of it.</summary>
internal sealed class ActorRecordingHealRunner : IHealRunner
{
    private readonly Recorded<HealJob> _started = new();
    private readonly Recorded<string> _cancelled = new();

    public IReadOnlyList<HealJob> Started => _started.Items;

    public IReadOnlyList<string> Cancelled => _cancelled.Items;

    public void Start(HealJob job) => _started.Add(job);

    public void Cancel(string jobId) => _cancelled.Add(jobId);
}

/// <summary>
/// The distributed guardian: a <see cref="ContainerActor"/> made by <see cref="ActorHost.CreateForTest{TActor}(ActorTestOptions)"/>,
/// with its state in an <see cref="InMemoryActorStateManager"/>, its reminders in a <see cref="RecordingTimerManager"/> and its
/// workflows in a <see cref="RecordingHealWorkflows"/>. Due reminders are fired the way Dapr's scheduler does: by calling
/// <see cref="ContainerActor.ReceiveReminderAsync"/>.
/// </summary>
internal sealed class ActorGuardianRig : IActorComparisonRig
{
    public ActorGuardianRig(ContainerKey key, TimeProvider clock, ISettingsSource settings)
    {
        Timers = new RecordingTimerManager(clock);
        Host = ActorHost.CreateForTest<ContainerActor>(new ActorTestOptions
        {
            ActorId = DaprIds.Actor(key),
            TimerManager = Timers,
            JsonSerializerOptions = DaprWire.Json,
        });
        Actor = new ContainerActor(Host, new GuardianTurn(settings, Sink, clock), Workflows, clock, State);
    }

    public ActorHost Host { get; }

    public ContainerActor Actor { get; }

    public InMemoryActorStateManager State { get; } = new(DaprWire.Json);

    public RecordingTimerManager Timers { get; }

    public RecordingHealWorkflows Workflows { get; } = new();

    public RecordingEventSink Sink { get; } = new();

    public Task TellAsync(GuardianInput input) => Actor.TellAsync(input);

    public async Task ClockMovedAsync()
    {
        foreach (var reminder in Timers.TakeDue())
        {
            await Actor.ReceiveReminderAsync(reminder.Name, reminder.State ?? [], reminder.DueTime, reminder.Period);
        }
    }

    public Task<GuardianState?> StateAsync() => Task.FromResult(State.Read<GuardianState>(ContainerActor.StateName));

    public async Task<ActorComparisonRecord> RecordAsync()
    {
        var state = await StateAsync();
        return new ActorComparisonRecord(
            state is null ? null : JsonSerializer.Serialize(state, DaprWire.Json),
            Sink.Events.Select(e => (e.Kind, e.At, e.Message, e.JobId, e.Attempt)).ToList(),
            Workflows.Of(RecordingHealWorkflows.Start).Select(c => c.JobId).ToList(),
            Workflows.Of(RecordingHealWorkflows.Cancel).Select(c => c.JobId).ToList(),
            Timers.Registered.Where(r => r.Name == ContainerActor.WakeReminder).Select(r => r.DueAt).ToList());
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
