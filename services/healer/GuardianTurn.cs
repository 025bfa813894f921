namespace AutoHeal.Healer;

/// <summary>
/// Where one container's guardian lives, and what it can make happen: embedded, a mailbox over the SQLite
/// store and the in-process heal runner; on Dapr, the container's actor with its state, reminders and
/// workflows.
/// </summary>
internal interface IGuardianHome
{
    /// <summary>The guardian's saved state, or null if it has none.</summary>
    Task<GuardianState?> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Saves the state and its events, together; returns the events as saved.</summary>
    Task<IReadOnlyList<AutoHealEvent>> SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken);

    /// <summary>Runs a heal job (it waits for its own due time).</summary>
    Task StartHealAsync(HealJob job, CancellationToken cancellationToken);

    /// <summary>Calls a heal job off, if it still runs.</summary>
    Task CancelHealAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken);

    /// <summary>Sends the guardian a <see cref="Wake"/> at <paramref name="at"/>.</summary>
    Task WakeAtAsync(ContainerKey key, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The heal that was under way is over (the actor's watchdog can go).</summary>
    Task HealEndedAsync(CancellationToken cancellationToken);
}

/// <summary>
/// One input to one container's guardian, the same in both modes: load the state, decide with the pure
/// <see cref="Guardian.Decide"/>, save, publish the events, carry out the decisions. Published once
/// saved and before anything is carried out, so what the guardian decided is told even if carrying it out
/// fails. The mailbox and the actor run one turn at a time per container.
/// </summary>
internal sealed class GuardianTurn(ISettingsSource settings, IEventSink sink, TimeProvider time, AutoHeal.Core.Containers.EngineAccess? access = null)
{
    public async Task<GuardianResult> TakeAsync(IGuardianHome home, GuardianInput input, CancellationToken cancellationToken)
    {
        var stored = await home.LoadAsync(cancellationToken);

        // A container nobody monitors, and that never was, leaves no trace.
        if (stored is null && input is ContainerSignal { Facts.Monitored: false })
        {
            return new GuardianResult(GuardianState.New(input.Key), [], [], Accepted: false);
        }

        var before = stored ?? GuardianState.New(input.Key);
        var now = time.GetUtcNow();
        // An engine that refuses restarts (known where its host's watcher runs) holds its containers' heals back: notify-only.
        var policy = settings.Policy with { Hold = AutoHeal.Domain.Policies.HoldBack.Longer(settings.HoldFor(input.Key, now), access?.Hold(input.Key, now)) };
        var result = Guardian.Decide(before, input, policy, now);
        result = result with { Events = await home.SaveAsync(result.State, result.Events, cancellationToken) };
        if (result.Events.Count > 0)
        {
            await sink.PublishAsync(result.Events, cancellationToken);
        }

        foreach (var decision in result.Decisions)
        {
            switch (decision)
            {
                case StartHeal start:
                    await home.StartHealAsync(start.Job, cancellationToken);
                    break;
                case CancelHeal cancel:
                    await home.CancelHealAsync(input.Key, cancel.JobId, cancel.Reason, cancellationToken);
                    break;
                case WakeAt wake:
                    await home.WakeAtAsync(input.Key, wake.At, cancellationToken);
                    break;
            }
        }

        if (before.ActiveHeal is not null && result.State.ActiveHeal is null)
        {
            await home.HealEndedAsync(cancellationToken);
        }

        return result;
    }
}
