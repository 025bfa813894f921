namespace AutoHeal.Healer.Tests;

/// <summary>The host-wide cap on restarts in flight, as heal jobs meet it.</summary>
public sealed class RestartGateTests
{
    [Fact]
    public async Task Six_containers_crashing_at_once_are_restarted_at_most_two_at_a_time_and_all_of_them_in_the_end()
    {
        await using var h = await HealerHarness.StartAsync(maxConcurrentRestarts: 2);
        h.Settings.Storm = h.Settings.Storm with { Threshold = 0 }; // six at once would be a storm: StormTests'
        var names = Enumerable.Range(1, 6).Select(i => $"app-{i}").ToList();
        foreach (var name in names)
        {
            await h.AddRunningAsync(name);
        }

        h.Runtime.BlockRestarts();

        await Task.WhenAll(names.Select(name => h.CrashAsync(name)));

        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.HealScheduled)).Count == 6, "all six heals to be scheduled");
        await Eventually.TrueAsync(() => h.Runtime.RestartsInFlight == 2, "two restarts in flight");
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 2, "no third restart while two are in flight");
        // A heal waiting for a slot has not begun its restart (an operator's stop meanwhile is still honoured).
        Assert.Equal(2, (await h.AllEventsAsync(EventKind.Restarting)).Count);

        h.Runtime.ReleaseRestarts();

        foreach (var name in names)
        {
            await h.WaitForEventAsync(name, EventKind.Healed);
        }

        Assert.Equal(names.Select(HealerHarness.IdOf).Order(), h.Runtime.Restarts.Select(r => r.Id).Order());
        Assert.Equal(2, h.Runtime.MaxRestartsInFlight);
    }

    [Fact]
    public async Task An_operator_stop_while_a_heal_waits_for_a_restart_slot_is_honoured()
    {
        await using var h = await HealerHarness.StartAsync(maxConcurrentRestarts: 1);
        await h.AddRunningAsync("busy");
        await h.AddRunningAsync("api", hasHealthCheck: true);
        h.Runtime.BlockRestarts();
        await h.CrashAsync("busy");
        await Eventually.TrueAsync(() => h.Runtime.RestartsInFlight == 1, "busy's restart to take the only slot");
        await h.TurnUnhealthyAsync("api");
        await h.WaitForEventAsync("api", EventKind.HealScheduled);
        await Eventually.StaysTrueAsync(() => h.RestartsOf("api") == 0, "api's heal to wait for the slot");

        // The operator stops api while its heal waits for the slot.
        await h.SignalAsync("api", SignalKind.StopRequested);
        h.Runtime.Exit("api", 143);
        await h.SignalAsync("api", SignalKind.Died, exitCode: 143);
        h.Runtime.ReleaseRestarts();
        await h.WaitForEventAsync("busy", EventKind.Healed);

        await Eventually.StaysTrueAsync(() => h.RestartsOf("api") == 0, "no restart of a container an operator stopped");
        var state = await h.StateAsync("api");
        Assert.Equal(GuardianPhase.Stopped, state.Phase);
        Assert.Null(state.ActiveHeal);
    }

    [Fact]
    public async Task A_heal_whose_restart_cannot_be_recorded_gives_its_slot_back_and_the_next_heal_goes_ahead()
    {
        await using var h = await HealerHarness.StartAsync(maxConcurrentRestarts: 1, guardianStore: s => new RestartsUnsavable(s, "db"));
        await h.AddRunningAsync("db");
        await h.AddRunningAsync("web");
        await h.CrashAsync("db"); // its heal takes the only slot, then cannot save "restarting"
        await h.CrashAsync("web");

        // It tries three times, a second and two apart, holding the slot.
        await h.Clock.AdvanceWhenWaitedOnAsync(TimeSpan.FromSeconds(1));
        await h.Clock.AdvanceWhenWaitedOnAsync(TimeSpan.FromSeconds(2));

        await h.WaitForEventAsync("web", EventKind.Healed);
        var cancelled = Assert.Single(await h.EventsAsync("db", EventKind.HealCancelled));
        Assert.StartsWith("heal job failed: the restart could not be recorded (disk full)", cancelled.Message);
        Assert.Equal(0, h.RestartsOf("db")); // nothing restarted that the guardian did not know of
        Assert.Null((await h.StateAsync("db")).ActiveHeal);
    }

    /// <summary>A store that cannot save one container's guardian once its heal is restarting (a full disk at that moment).</summary>
    private sealed class RestartsUnsavable(IGuardianStore inner, string name) : IGuardianStore
    {
        public Task<GuardianState?> LoadGuardianAsync(ContainerKey key, CancellationToken cancellationToken) => inner.LoadGuardianAsync(key, cancellationToken);

        public Task<IReadOnlyList<GuardianState>> LoadGuardiansAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken) =>
            inner.LoadGuardiansAsync(keys, cancellationToken);

        public Task<IReadOnlyList<GuardianState>> LoadAllGuardiansAsync(CancellationToken cancellationToken) => inner.LoadAllGuardiansAsync(cancellationToken);

        public Task<IReadOnlyList<ContainerKey>> ForgetRemovedAsync(DateTimeOffset removedBefore, CancellationToken cancellationToken) =>
            inner.ForgetRemovedAsync(removedBefore, cancellationToken);

        public Task<IReadOnlyList<AutoHealEvent>> SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken) =>
            state.Key.Name == name && state.ActiveHeal is { Stage: HealStage.Restarting }
                ? throw new IOException("disk full")
                : inner.SaveAsync(state, events, cancellationToken);
    }
}
