using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// The distributed guardian of one container. Like the embedded mailbox it only loads its state, calls
/// the pure <see cref="Guardian.Decide"/>, saves, and carries out the decisions: heals run as
/// <see cref="HealWorkflow"/> instances, watched by a durable reminder until they end, and wake-ups are
/// durable reminders too (they survive a restart of the healer, unlike actor timers). Dapr runs one call
/// at a time per actor, so inputs never interleave.
/// </summary>
internal sealed class ContainerActor : Actor, IContainerActor, IRemindable
{
    internal const string StateName = "guardian";
    internal const string WakeReminder = "wake";
    internal const string EnsureHealReminder = "ensure-heal";
    private static readonly TimeSpan EnsureHealRetry = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan WatchdogSlack = TimeSpan.FromMinutes(2);

    private readonly ISettingsSource _settings;
    private readonly IHealWorkflows _workflows;
    private readonly IEventSink _events;
    private readonly TimeProvider _time;

    /// <summary>The constructor Dapr activates the actor with.</summary>
    public ContainerActor(ActorHost host, ISettingsSource settings, IHealWorkflows workflows, IEventSink events, TimeProvider time)
        : base(host)
    {
        _settings = settings;
        _workflows = workflows;
        _events = events;
        _time = time;
    }

    /// <summary>For tests: the state manager cannot be set from outside an actor.</summary>
    internal ContainerActor(ActorHost host, ISettingsSource settings, IHealWorkflows workflows, IEventSink events, TimeProvider time, IActorStateManager state)
        : this(host, settings, workflows, events, time) => StateManager = state;

    public async Task<ActorReply> TellAsync(GuardianInput input)
    {
        ArgumentNullException.ThrowIfNull(input);
        if (DaprIds.Actor(input.Key) != Id)
        {
            throw new ArgumentException($"an input for {input.Key} reached the actor {Id}", nameof(input));
        }

        var stored = await StateManager.TryGetStateAsync<GuardianState>(StateName);

        // A container nobody monitors, and that never was, leaves no trace.
        if (!stored.HasValue && input is ContainerSignal { Facts.Monitored: false })
        {
            return new ActorReply(false, GuardianState.New(input.Key));
        }

        var before = stored.HasValue ? stored.Value : GuardianState.New(input.Key);
        var result = Guardian.Decide(before, input, _settings.Policy, _time.GetUtcNow());
        await StateManager.SetStateAsync(StateName, result.State);
        await StateManager.SaveStateAsync();

        // Saved: tell it before anything below can fail.
        if (result.Events.Count > 0)
        {
            await _events.PublishAsync(result.Events, CancellationToken.None);
        }

        foreach (var decision in result.Decisions)
        {
            switch (decision)
            {
                case StartHeal start:
                    // A durable watchdog first: whatever happens to the workflow (never started, its last
                    // report lost, terminated), the heal is not left "under way" for ever.
                    try
                    {
                        await RegisterReminderAsync(EnsureHealReminder, null, WatchdogDue(start.Job), EnsureHealRetry);
                    }
                    catch (Exception ex)
                    {
                        Log.WatchdogFailed(Logger, Id.ToString(), start.Job.Id, ex); // the heal itself still starts
                    }

                    try
                    {
                        await _workflows.StartAsync(start.Job, CancellationToken.None);
                    }
                    catch (Exception ex)
                    {
                        // The job is saved; a redelivered signal would decide nothing new: the watchdog
                        // starts the workflow once the engine answers again, soon.
                        Log.WorkflowStartFailed(Logger, Id.ToString(), start.Job.Id, ex);
                        await RegisterReminderAsync(EnsureHealReminder, null, EnsureHealRetry, EnsureHealRetry);
                    }

                    break;
                case CancelHeal cancel:
                    try
                    {
                        await _workflows.CancelAsync(cancel.JobId, cancel.Reason, CancellationToken.None);
                    }
                    catch (Exception ex)
                    {
                        // Harmless if it runs on: the guardian no longer accepts its reports, so it restarts nothing.
                        Log.WorkflowCancelFailed(Logger, Id.ToString(), cancel.JobId, ex);
                    }

                    break;
                case WakeAt wake:
                    var due = wake.At - _time.GetUtcNow();
                    await RegisterReminderAsync(WakeReminder, null, due > TimeSpan.Zero ? due : TimeSpan.Zero, TimeSpan.FromMilliseconds(-1));
                    break;
            }
        }

        if (before.ActiveHeal is not null && result.State.ActiveHeal is null)
        {
            await StopWatchdogAsync();
        }

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
