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
    private static readonly TimeSpan EnsureHealRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WatchdogSlack = TimeSpan.FromMinutes(2);

    private readonly GuardianTurn _turn;
    private readonly IHealWorkflows _workflows;
    private readonly TimeProvider _time;

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

        var result = await _turn.TakeAsync(this, input, CancellationToken.None);
        return new ActorReply(result.Accepted, result.State);
    }

    public async Task<GuardianState?> GetGuardianAsync()
    {
        var stored = await StateManager.TryGetStateAsync<GuardianState>(StateName);
        return stored.HasValue ? stored.Value : null;
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
        // A durable watchdog first: whatever happens to the workflow (never started, its last report lost,
        // terminated), the heal is not left "under way" for ever.
        try
        {
            await RegisterReminderAsync(EnsureHealReminder, null, WatchdogDue(job), EnsureHealRetry);
        }
        catch (Exception ex)
        {
            Log.WatchdogFailed(Logger, Id.ToString(), job.Id, ex); // the heal itself still starts
        }

        try
        {
            await _workflows.StartAsync(job, cancellationToken);
        }
        catch (Exception ex)
        {
            // The job is saved; a redelivered signal would decide nothing new: the watchdog starts the
            // workflow once the engine answers again, soon.
            Log.WorkflowStartFailed(Logger, Id.ToString(), job.Id, ex);
            await RegisterReminderAsync(EnsureHealReminder, null, EnsureHealRetry, EnsureHealRetry);
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
        var due = at - _time.GetUtcNow();
        await RegisterReminderAsync(WakeReminder, null, due > TimeSpan.Zero ? due : TimeSpan.Zero, TimeSpan.FromMilliseconds(-1));
    }

    Task IGuardianHome.HealEndedAsync(CancellationToken cancellationToken) => StopWatchdogAsync();

    /// <summary>
    /// A heal decided and saved just before the healer died may not have reached the workflow engine:
    /// on activation, the heal in the saved state gets its workflow if it has none.
    /// </summary>
    protected override async Task OnActivateAsync()
    {
        try
        {
            await EnsureHealAsync();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.WorkflowCheckFailed(Logger, Id.ToString(), "(saved)", ex);
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
