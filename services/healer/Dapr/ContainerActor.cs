using AutoHeal.Dapr;
using Dapr.Actors.Runtime;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// The distributed guardian of one container. Each input is the same <see cref="GuardianTurn"/> as the
/// embedded mailbox's, with the state in the actor state store: heals run as <see cref="HealWorkflow"/>
/// instances, watched by a durable reminder until they end, and wake-ups are durable reminders too (they
/// survive a restart of the healer, unlike actor timers). Dapr runs one call at a time per actor, so
/// inputs never interleave.
/// </summary>
internal sealed class ContainerActor : Actor, IContainerActor, IRemindable, IGuardianHome
{
    internal const string StateName = "guardian";
    internal const string WakeReminder = "wake";
    internal const string EnsureHealReminder = "ensure-heal";
    internal const string RepairTimer = "repair";
    private static readonly TimeSpan EnsureHealRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WatchdogSlack = TimeSpan.FromMinutes(2);

    private readonly GuardianTurn _turn;
    private readonly IHealWorkflows _workflows;
    private readonly TimeProvider _time;

    // What a turn could not make durable (the scheduler was down: no reminder, no workflow), for this activation to
    // repair at its next call or timer. Dapr runs one call at a time per actor, so no lock.
    private bool _healUnsure;
    private DateTimeOffset? _wakeUnsure;

    /// <summary>The constructor Dapr activates the actor with.</summary>
    public ContainerActor(ActorHost host, GuardianTurn turn, IHealWorkflows workflows, TimeProvider time)
        : base(host)
    {
        _turn = turn;
        _workflows = workflows;
        _time = time;
    }

    /// <summary>For tests: the state manager cannot be set from outside an actor.</summary>
    internal ContainerActor(ActorHost host, GuardianTurn turn, IHealWorkflows workflows, TimeProvider time, IActorStateManager state)
        : this(host, turn, workflows, time) => StateManager = state;

    public async Task<ActorReply> TellAsync(GuardianInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (DaprIds.Actor(input.Key) != Id)
        {
            throw new ArgumentException($"an input for {input.Key} reached the actor {Id}", nameof(input));
        }

        await RepairAsync(); // before the input: a retried call that decides nothing new still gets its heal under way
        var result = await _turn.TakeAsync(this, input, CancellationToken.None);
        return new ActorReply(result.Accepted, result.State);
    }

    public async Task<GuardianState?> GetGuardianAsync()
    {
        var stored = await StateManager.TryGetStateAsync<GuardianState>(StateName);
        return stored.HasValue ? stored.Value : null;
    }

    /// <summary>
    /// The in-memory timer of an activation whose reminders could not be registered: it tries again what the turn could
    /// not make durable, every <see cref="EnsureHealRetry"/>, until it has. (Timers live in the sidecar, not in the
    /// scheduler; they end with the activation, whose next one checks the saved heal anyway.)
    /// </summary>
    public async Task RepairFromTimerAsync()
    {
        await RepairAsync();
        if (!_healUnsure && _wakeUnsure is null)
        {
            await UnregisterTimerAsync(RepairTimer);
        }
    }

    public async Task ReceiveReminderAsync(string reminderName, byte[] state, TimeSpan dueTime, TimeSpan period)
    {
        switch (reminderName)
        {
            case WakeReminder when await GetGuardianAsync() is { } guardian:
                await TellAsync(new Wake(guardian.Key));
                break;
            case EnsureHealReminder:
                // Throws while the engine does not answer: the reminder's period tries again. While the
                // workflow runs, the watchdog keeps watching; once the heal is over, it goes.
                if (!await EnsureHealAsync() && await GetGuardianAsync() is not { ActiveHeal: not null })
                {
                    await StopWatchdogAsync(); // the heal ended: nothing left to watch
                }

                break;
        }
    }

    Task<GuardianState?> IGuardianHome.LoadAsync(CancellationToken cancellationToken) => GetGuardianAsync();

    async Task<IReadOnlyList<AutoHealEvent>> IGuardianHome.SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        // The events go with the state's turn to heal-events, where the API's log gives them their ids.
        await StateManager.SetStateAsync(StateName, state, cancellationToken);
        await StateManager.SaveStateAsync(cancellationToken);
        return events;
    }

    async Task IGuardianHome.StartHealAsync(HealJob job, CancellationToken cancellationToken)
    {
        // The state is saved: nothing here may throw, or Dapr's retry of the call finds the heal "under way" and decides
        // nothing new. A durable watchdog first: whatever happens to the workflow (never started, its last report lost,
        // terminated), the heal is not left "under way" for ever.
        var watched = await TryRegisterReminderAsync(EnsureHealReminder, WatchdogDue(job), job.Id);
        try
        {
            await _workflows.StartAsync(job, cancellationToken);
        }
        catch (Exception ex)
        {
            // Workflows need the scheduler too: the watchdog (soon) or this activation's timer starts it once it answers.
            Log.WorkflowStartFailed(Logger, Id.ToString(), job.Id, ex);
            watched = await TryRegisterReminderAsync(EnsureHealReminder, EnsureHealRetry, job.Id);
            _healUnsure = true;
        }

        if (!watched)
        {
            _healUnsure = true;
            await StartRepairTimerAsync();
        }
        else if (_healUnsure)
        {
            await StartRepairTimerAsync();
        }
    }

    async Task IGuardianHome.CancelHealAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken)
    {
        try
        {
            await _workflows.CancelAsync(key, jobId, reason, cancellationToken);
        }
        catch (Exception ex)
        {
            // Harmless if it runs on: the guardian no longer accepts its reports, so it restarts nothing.
            Log.WorkflowCancelFailed(Logger, Id.ToString(), jobId, ex);
        }
    }

    async Task IGuardianHome.WakeAtAsync(ContainerKey key, DateTimeOffset at, CancellationToken cancellationToken)
    {
        if (await TryWakeAtAsync(at))
        {
            _wakeUnsure = null; // an older one still to repair would replace this one
        }
        else
        {
            _wakeUnsure = at; // the state is saved: the wake-up is registered again at the next call or timer
            await StartRepairTimerAsync();
        }
    }

    private async Task<bool> TryWakeAtAsync(DateTimeOffset at)
    {
        var due = at - _time.GetUtcNow();
        try
        {
            await RegisterReminderAsync(WakeReminder, null, due > TimeSpan.Zero ? due : TimeSpan.Zero, TimeSpan.FromMilliseconds(-1));
            return true;
        }
        catch (Exception ex)
        {
            // Anything, a time-out included (the turn's own token is never cancelled): the state is saved already.
            Log.ReminderFailed(Logger, Id.ToString(), WakeReminder, ex);
            return false;
        }
    }

    private async Task<bool> TryRegisterReminderAsync(string name, TimeSpan due, string jobId)
    {
        try
        {
            await RegisterReminderAsync(name, null, due, EnsureHealRetry);
            return true;
        }
        catch (Exception ex)
        {
            Log.WatchdogFailed(Logger, Id.ToString(), jobId, ex);
            return false;
        }
    }

    private async Task StartRepairTimerAsync()
    {
        try
        {
            await RegisterTimerAsync(RepairTimer, nameof(RepairFromTimerAsync), null, EnsureHealRetry, EnsureHealRetry);
        }
        catch (Exception ex)
        {
            Log.ReminderFailed(Logger, Id.ToString(), RepairTimer, ex); // the next call repairs
        }
    }

    /// <summary>What an earlier turn of this activation could not make durable, tried again: the heal's workflow and watchdog, the wake-up.</summary>
    private async Task RepairAsync()
    {
        if (_wakeUnsure is { } at && await TryWakeAtAsync(at))
        {
            _wakeUnsure = null;
        }

        if (!_healUnsure)
        {
            return;
        }

        _healUnsure = false; // first: calling the heal off below is a call of this actor's own
        try
        {
            if (await GetGuardianAsync() is { ActiveHeal: { } job })
            {
                if (!await TryRegisterReminderAsync(EnsureHealReminder, EnsureHealRetry, job.Id))
                {
                    _healUnsure = true; // the scheduler is still down: next time
                    return;
                }

                await EnsureHealAsync();
            }
        }
        catch (Exception ex)
        {
            _healUnsure = true;
            Log.WorkflowCheckFailed(Logger, Id.ToString(), "(saved)", ex); // next time
        }
    }

    Task IGuardianHome.HealEndedAsync(CancellationToken cancellationToken) => StopWatchdogAsync();

    /// <summary>
    /// A heal decided and saved just before the healer died may not have reached the workflow engine:
    /// on activation, the heal in the saved state gets its workflow if it has none.
    /// </summary>
    protected override async Task OnActivateAsync()
    {
        // What an earlier activation could not make durable (the scheduler was down, then the actor moved or the
        // healer restarted) is known from the saved state alone: a heal under way wants its watchdog, a quarantine
        // with an end its wake-up.
        GuardianState? saved;
        try
        {
            saved = await GetGuardianAsync();
        }
        catch (Exception ex)
        {
            Log.WorkflowCheckFailed(Logger, Id.ToString(), "(saved)", ex); // the state store: the calls fail too, and are retried
            return;
        }

        if (saved?.ActiveHeal is not null)
        {
            _healUnsure = true;
            await RepairAsync();
            if (_healUnsure)
            {
                await StartRepairTimerAsync();
            }
        }

        if (saved is not null && HealResumer.WakeOf(saved) is { } until && !await TryWakeAtAsync(until))
        {
            _wakeUnsure = until;
            await StartRepairTimerAsync();
        }
    }

    /// <summary>When the watchdog first looks: after the backoff, the stop and the verification, with room to spare.</summary>
    private TimeSpan WatchdogDue(HealJob job)
    {
        var wait = job.DueAt - _time.GetUtcNow();
        return (wait > TimeSpan.Zero ? wait : TimeSpan.Zero) + job.StopTimeout + job.VerifyTimeout + WatchdogSlack;
    }

    private async Task StopWatchdogAsync()
    {
        try
        {
            await UnregisterReminderAsync(EnsureHealReminder);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.WatchdogNotStopped(Logger, Id, ex); // it finds no heal and goes next time
        }
    }

    /// <summary>
    /// Makes sure the saved heal has a running workflow: starts one if there is none, and calls the
    /// heal off if its workflow ended without reporting its outcome (its last report failed for good,
    /// or it was terminated), so the container is not left "healing" for ever.
    /// </summary>
    /// <returns>Whether it called the heal off (which also stops the watchdog).</returns>
    private async Task<bool> EnsureHealAsync()
    {
        if (await GetGuardianAsync() is { ActiveHeal: { } job } && !await _workflows.EnsureAsync(job, CancellationToken.None))
        {
            await TellAsync(new HealReport(job.Key, job.Id, HealStep.Cancelled) { Detail = "the heal's workflow ended without reporting its outcome" });
            return true;
        }

        return false;
    }
}
