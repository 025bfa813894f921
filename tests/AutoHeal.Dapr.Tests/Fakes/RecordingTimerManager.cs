using Dapr.Actors.Runtime;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>One reminder as the actor registered it, with the time it was registered by the test's clock.</summary>
internal sealed record RegisteredReminder(string Name, TimeSpan DueTime, TimeSpan Period, byte[]? State, DateTimeOffset RegisteredAt)
{
    /// <summary>When Dapr's scheduler would first fire it.</summary>
    public DateTimeOffset DueAt => RegisteredAt + DueTime;

    /// <summary>Whether it fires once (Dapr's period of -1 ms) rather than periodically.</summary>
    public bool OneShot => Period < TimeSpan.Zero;
}

/// <summary>
/// The actor's reminders and timers, as Dapr's scheduler would keep them: a reminder registered again under the
/// same name replaces the old one. Nothing fires by itself; a test fires what is due with <see cref="TakeDue"/>.
/// </summary>
internal sealed class RecordingTimerManager(TimeProvider clock) : ActorTimerManager
{
    private readonly Dictionary<string, RegisteredReminder> _active = new(StringComparer.Ordinal);
    private readonly List<RegisteredReminder> _registered = [];
    private readonly List<string> _timers = [];

    /// <summary>Every registration, in order (replaced ones included).</summary>
    public IReadOnlyList<RegisteredReminder> Registered => _registered;

    /// <summary>The reminders that would still fire.</summary>
    public IReadOnlyCollection<RegisteredReminder> Active => _active.Values;

    /// <summary>Names of the actor timers registered (the actor should use reminders only).</summary>
    public IReadOnlyList<string> Timers => _timers;

    /// <summary>The reminders due at the clock's now; one-shot ones are removed, as the scheduler does after firing them.</summary>
    public IReadOnlyList<RegisteredReminder> TakeDue()
    {
        var now = clock.GetUtcNow();
        var due = _active.Values.Where(r => r.DueAt <= now).OrderBy(r => r.DueAt).ToList();
        foreach (var r in due.Where(r => r.OneShot))
        {
            _active.Remove(r.Name);
        }

        return due;
    }

    /// <summary>
    /// While set, what registering or removing a reminder throws, as the sidecar answers when the scheduler is down
    /// (reminders live there since 1.15); timers live in the sidecar and still work.
    /// </summary>
    public Exception? SchedulerDown { get; set; }

    /// <summary>The timers registered now, with their callbacks.</summary>
    public IReadOnlyDictionary<string, string> TimerCallbacks => _callbacks;

    private readonly Dictionary<string, string> _callbacks = new(StringComparer.Ordinal);

    public override Task RegisterReminderAsync(ActorReminder reminder)
    {
        if (SchedulerDown is { } down)
        {
            return Task.FromException(down);
        }

        var registered = new RegisteredReminder(reminder.Name, reminder.DueTime, reminder.Period, reminder.State, clock.GetUtcNow());
        _registered.Add(registered);
        _active[reminder.Name] = registered;
        return Task.CompletedTask;
    }

    public override Task<IActorReminder> GetReminderAsync(ActorReminderToken reminder) =>
        Task.FromResult<IActorReminder>(_active.TryGetValue(reminder.Name, out var r)
            ? new ActorReminder(reminder.ActorType, reminder.ActorId, r.Name, r.State, r.DueTime, r.Period)
            : null!);

    public override Task UnregisterReminderAsync(ActorReminderToken reminder)
    {
        if (SchedulerDown is { } down)
        {
            return Task.FromException(down);
        }

        _active.Remove(reminder.Name);
        return Task.CompletedTask;
    }

    public override Task RegisterTimerAsync(ActorTimer timer)
    {
        _timers.Add(timer.Name);
        _callbacks[timer.Name] = timer.TimerCallback;
        return Task.CompletedTask;
    }

    public override Task UnregisterTimerAsync(ActorTimerToken timer)
    {
        _timers.Remove(timer.Name);
        _callbacks.Remove(timer.Name);
        return Task.CompletedTask;
    }
}
