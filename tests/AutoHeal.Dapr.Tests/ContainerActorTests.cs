using System.Reflection;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The distributed guardian (<see cref="ContainerActor"/>) against the embedded one (<c>GuardianMailboxes</c>): the same
/// signals, reports and commands, on the same clock, must leave the same state, tell the same events and carry out the
/// same decisions — heal jobs as workflows instead of in-process runs, wake-ups as reminders instead of timers.
/// </summary>
public sealed class ContainerActorTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly ContainerKey Web = new("host-1", "web");
    private static readonly TimeSpan Probation = TimeSpan.FromMinutes(30);

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public async Task The_actor_decides_like_the_embedded_guardian(string name)
    {
        var @case = Cases[name];
        var clock = new FakeTimeProvider(T0);
        var settings = new FixedSettingsSource(@case.Policy);
        await using var embedded = await ActorEmbeddedGuardianRig.StartAsync(Web, clock, settings);
        await using var actor = new ActorGuardianRig(Web, clock, settings);
        var container = new ContainerModel(clock);

        foreach (var step in @case.Steps)
        {
            if (step is Wait wait)
            {
                clock.Advance(wait.By);
                await embedded.ClockMovedAsync();
                await actor.ClockMovedAsync();
                continue;
            }

            var activeJob = (await actor.StateAsync())?.ActiveHeal;
            Assert.Equal(activeJob?.Id, (await embedded.StateAsync())?.ActiveHeal?.Id);
            var input = container.Input(step, activeJob);
            await embedded.TellAsync(input);
            await actor.TellAsync(input);
        }

        var expected = await embedded.RecordAsync();
        var actual = await actor.RecordAsync();
        Assert.Equal(expected.StateJson, actual.StateJson);
        Assert.Equal(expected.Events, actual.Events);
        Assert.Equal(expected.StartedJobs, actual.StartedJobs);
        Assert.Equal(expected.CancelledJobs, actual.CancelledJobs);
        Assert.Equal(expected.Wakes, actual.Wakes);
        Assert.Empty(actor.Timers.Timers); // wake-ups must survive a restart of the healer: reminders, never actor timers
        @case.Expect(actor, await actor.StateAsync());
    }

    [Fact]
    public async Task An_input_for_another_container_is_refused_and_saves_nothing()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var other = new ContainerKey("host-1", "db");
        var input = new ContainerModel(clock) { Key = other }.Input(new Crash(1), null);

        var thrown = await Assert.ThrowsAsync<ArgumentException>(() => actor.Actor.TellAsync(input));

        Assert.Contains("host-1/db", thrown.Message);
        Assert.Contains("host-1:web", thrown.Message);
        Assert.Empty(actor.State.Persisted);
        Assert.Equal(0, actor.State.Saves);
        Assert.Empty(actor.Workflows.Calls);
        Assert.Empty(actor.Sink.Events);
    }

    [Fact]
    public async Task The_same_container_name_on_another_host_is_another_actor()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var input = new ContainerModel(clock) { Key = new ContainerKey("host-2", "web") }.Input(new Crash(1), null);

        await Assert.ThrowsAsync<ArgumentException>(() => actor.Actor.TellAsync(input));

        Assert.Empty(actor.State.Persisted);
        Assert.NotEqual(DaprIds.Actor(Web), DaprIds.Actor(new ContainerKey("host-2", "web")));
    }

    // Dapr activates an actor through its internal ActorManager (reached only over the sidecar's HTTP calls), so there
    // is no public path to activation here: the test calls the protected OnActivateAsync by reflection, as the
    // runtime's activation does after clearing the state cache.
    [Fact]
    public async Task On_activation_a_saved_heal_gets_its_workflow_if_it_has_none()
    {
        var clock = new FakeTimeProvider(T0);
        await using var first = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await first.TellAsync(container.Input(new Observe(), null));
        await first.TellAsync(container.Input(new Crash(1), null));
        var saved = first.State.Read<GuardianState>(ContainerActor.StateName)!.ActiveHeal!;

        // The healer died after saving the decision: a new activation of the actor finds the heal in its state.
        await using var next = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        next.State.Seed(ContainerActor.StateName, first.State.Read<GuardianState>(ContainerActor.StateName));
        await ActivateAsync(next.Actor);

        var ensured = Assert.Single(next.Workflows.Calls);
        Assert.Equal(RecordingHealWorkflows.Ensure, ensured.Kind);
        Assert.Equal("host-1/web#1", ensured.JobId);
        Assert.Equal(DaprIds.Workflow(saved.Id), ensured.InstanceId);
        Assert.Equal(saved, ensured.Job);
    }

    [Fact]
    public async Task On_activation_an_actor_without_a_heal_under_way_starts_no_workflow()
    {
        var clock = new FakeTimeProvider(T0);
        await using var healthy = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        await healthy.TellAsync(new ContainerModel(clock).Input(new Observe(), null));
        await using var empty = new ActorGuardianRig(new ContainerKey("host-1", "db"), clock, new FixedSettingsSource());

        await ActivateAsync(healthy.Actor);
        await ActivateAsync(empty.Actor);

        Assert.Empty(healthy.Workflows.Calls);
        Assert.Empty(empty.Workflows.Calls);
        Assert.Empty(empty.State.Persisted);
    }

    [Fact]
    public async Task On_activation_an_unreachable_workflow_engine_does_not_fail_the_actor()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));
        await actor.TellAsync(container.Input(new Crash(1), null));
        actor.Workflows.EnsureFailure = new HttpRequestException("connection refused (127.0.0.1:50001)");

        await ActivateAsync(actor.Actor);

        Assert.Single(actor.Workflows.Of(RecordingHealWorkflows.Ensure));
        Assert.Equal("host-1/web#1", actor.State.Read<GuardianState>(ContainerActor.StateName)!.ActiveHeal!.Id);
    }

    [Fact]
    public async Task A_workflow_that_cannot_be_started_is_retried_by_a_durable_reminder_and_the_failure_is_still_told()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));
        actor.Workflows.StartFailure = new TaskCanceledException("the workflow engine did not answer within 15 s");

        await actor.TellAsync(container.Input(new Crash(1), null));

        // The decision is saved and told even though the workflow engine did not answer.
        Assert.Equal("host-1/web#1", actor.State.Read<GuardianState>(ContainerActor.StateName)!.ActiveHeal!.Id);
        Assert.Contains(actor.Sink.Events, e => e.Kind == EventKind.HealScheduled);
        var retry = Assert.Single(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder);
        Assert.False(retry.OneShot); // periodic: it keeps trying until the engine answers

        actor.Workflows.StartFailure = null;
        await actor.Actor.ReceiveReminderAsync(ContainerActor.EnsureHealReminder, [], retry.DueTime, retry.Period);

        var ensured = Assert.Single(actor.Workflows.Of(RecordingHealWorkflows.Ensure));
        Assert.Equal("host-1/web#1", ensured.JobId);
        // Still under way: the watchdog stays until the heal ends.
        Assert.Contains(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder);
    }

    /// <summary>One heal allowed, then quarantine for an hour: a quarantine with an end, which a wake-up reminder ends.</summary>
    private static readonly FixedSettingsSource QuarantinedForAnHour =
        new(HealPolicy.Default with { MaxRestarts = 1, QuarantineProbation = TimeSpan.FromHours(1) });

    /// <summary>The scheduler (reminders, workflow starts) fails with <paramref name="failure"/>; null: it is back.</summary>
    private static void SchedulerDown(ActorGuardianRig actor, Exception? failure)
    {
        actor.Timers.SchedulerDown = failure;
        actor.Workflows.StartFailure = failure;
    }

    /// <summary>One heal, then (the scheduler failing with <paramref name="failure"/>) the second failure, which quarantines.</summary>
    private static async Task QuarantineWhileTheSchedulerIsDownAsync(ActorGuardianRig actor, TimeProvider clock, Exception failure)
    {
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));
        await actor.TellAsync(container.Input(new Crash(1), null));
        var job = actor.State.Read<GuardianState>(ContainerActor.StateName)!.ActiveHeal!;
        await actor.TellAsync(new HealReport(Web, job.Id, HealStep.BeginRestart));
        await actor.TellAsync(new HealReport(Web, job.Id, HealStep.Restarted) { ContainerStartedAt = clock.GetUtcNow() });
        await actor.TellAsync(new HealReport(Web, job.Id, HealStep.Healed) { Detail = "healed" });
        actor.Timers.SchedulerDown = failure;
        await actor.TellAsync(container.Input(new Crash(1), null)); // quarantined; its wake-up cannot be registered
    }

    [Fact]
    public async Task A_heal_decided_while_the_scheduler_is_down_gets_its_workflow_once_it_is_back_the_turn_never_throws()
    {
        // dapr/dapr: workflows (orchestrator/create.go) and reminders need the scheduler since 1.15; actorRetry re-runs a
        // call that threw, which would find the heal saved and decide nothing new.
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));
        SchedulerDown(actor, new InvalidOperationException("rpc error: code = Unavailable desc = scheduler not ready"));

        await actor.TellAsync(container.Input(new Crash(1), null)); // does not throw

        Assert.Equal("host-1/web#1", actor.State.Read<GuardianState>(ContainerActor.StateName)!.ActiveHeal!.Id);
        Assert.DoesNotContain(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder);
        Assert.Equal(nameof(ContainerActor.RepairFromTimerAsync), actor.Timers.TimerCallbacks[ContainerActor.RepairTimer]); // in the sidecar's memory

        // Still down at the timer: nothing yet, and the timer stays.
        await actor.Actor.RepairFromTimerAsync();
        Assert.Empty(actor.Workflows.Of(RecordingHealWorkflows.Ensure));

        SchedulerDown(actor, null);
        await actor.Actor.RepairFromTimerAsync();

        var ensured = Assert.Single(actor.Workflows.Of(RecordingHealWorkflows.Ensure));
        Assert.Equal("host-1/web#1", ensured.JobId);
        Assert.Contains(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder); // the watchdog, durable at last
        Assert.DoesNotContain(ContainerActor.RepairTimer, actor.Timers.Timers);
    }

    [Fact]
    public async Task A_retried_call_after_the_scheduler_came_back_starts_the_saved_heal_though_it_decides_nothing_new()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));
        SchedulerDown(actor, new InvalidOperationException("scheduler not ready"));
        var crash = container.Input(new Crash(1), null);
        await actor.TellAsync(crash);

        SchedulerDown(actor, null);
        await actor.TellAsync(crash); // the same signal again (a redelivery)

        Assert.Single(actor.Workflows.Of(RecordingHealWorkflows.Ensure));
        Assert.Contains(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder);
    }

    [Fact]
    public async Task A_wake_up_that_cannot_be_registered_is_registered_once_the_scheduler_is_back()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, QuarantinedForAnHour);
        // A time-out, too, is no reason to throw after the save.
        await QuarantineWhileTheSchedulerIsDownAsync(actor, clock, new TaskCanceledException("the sidecar did not answer within 100 s"));

        Assert.NotNull(actor.State.Read<GuardianState>(ContainerActor.StateName)!.Quarantine);
        Assert.DoesNotContain(actor.Timers.Active, r => r.Name == ContainerActor.WakeReminder);

        actor.Timers.SchedulerDown = null;
        await actor.Actor.RepairFromTimerAsync();

        var wake = Assert.Single(actor.Timers.Active, r => r.Name == ContainerActor.WakeReminder);
        Assert.Equal(TimeSpan.FromHours(1), wake.DueTime);
        Assert.DoesNotContain(ContainerActor.RepairTimer, actor.Timers.Timers);
    }

    [Fact]
    public async Task An_actor_activated_again_registers_what_the_last_activation_could_not_the_heals_watchdog_and_the_quarantines_end()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, QuarantinedForAnHour);
        await QuarantineWhileTheSchedulerIsDownAsync(actor, clock, new InvalidOperationException("scheduler not ready"));

        // The healer restarts (or the actor moves) before the scheduler is back: that activation's memory is gone.
        actor.Timers.SchedulerDown = null;
        var again = new ContainerActor(actor.Host, new GuardianTurn(QuarantinedForAnHour, actor.Sink, clock), actor.Workflows, clock, actor.State);
        await ActivateAsync(again);

        var wake = Assert.Single(actor.Timers.Active, r => r.Name == ContainerActor.WakeReminder);
        Assert.Equal(TimeSpan.FromHours(1), wake.DueTime);
    }

    [Fact]
    public async Task A_failure_held_back_by_maintenance_gets_its_wake_up_at_the_holds_end_and_again_on_activation()
    {
        var clock = new FakeTimeProvider(T0);
        var settings = new FixedSettingsSource { Maintenance = new HoldBack(T0.AddMinutes(30), "maintenance (db upgrade)") };
        await using var actor = new ActorGuardianRig(Web, clock, settings);
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));

        await actor.TellAsync(container.Input(new Crash(1), null));

        Assert.Empty(actor.Workflows.Calls); // no heal during maintenance
        Assert.Equal(T0.AddMinutes(30), actor.State.Read<GuardianState>(ContainerActor.StateName)!.HeldUntil);
        Assert.Equal(TimeSpan.FromMinutes(30), Assert.Single(actor.Timers.Active, r => r.Name == ContainerActor.WakeReminder).DueTime);

        // A new activation (the healer restarted) sets it again from the saved state, in case the last one could not.
        var registered = actor.Timers.Registered.Count(r => r.Name == ContainerActor.WakeReminder);
        var again = new ContainerActor(actor.Host, new GuardianTurn(settings, actor.Sink, clock), actor.Workflows, clock, actor.State);
        await ActivateAsync(again);
        Assert.Equal(registered + 1, actor.Timers.Registered.Count(r => r.Name == ContainerActor.WakeReminder));

        clock.Advance(TimeSpan.FromMinutes(30));
        settings.Maintenance = null;
        await again.ReceiveReminderAsync(ContainerActor.WakeReminder, [], TimeSpan.Zero, TimeSpan.Zero);
        Assert.Single(actor.Workflows.Of(RecordingHealWorkflows.Start)); // healed at the hold's end
    }

    [Fact]
    public async Task Every_heal_is_watched_by_a_durable_reminder_until_it_ends()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));

        await actor.TellAsync(container.Input(new Crash(1), null));

        var job = actor.State.Read<GuardianState>(ContainerActor.StateName)!.ActiveHeal!;
        var watchdog = Assert.Single(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder);
        // First look once the heal should long be over: after its backoff, the stop and the verification.
        Assert.Equal(job.DueAt + job.StopTimeout + job.VerifyTimeout + TimeSpan.FromMinutes(2), watchdog.DueAt);
        Assert.False(watchdog.OneShot);

        await actor.TellAsync(new HealReport(Web, job.Id, HealStep.BeginRestart));
        await actor.TellAsync(new HealReport(Web, job.Id, HealStep.Restarted) { ContainerStartedAt = clock.GetUtcNow() });
        await actor.TellAsync(new HealReport(Web, job.Id, HealStep.Healed) { Detail = "healed" });

        Assert.DoesNotContain(actor.Timers.Active, r => r.Name == ContainerActor.EnsureHealReminder);
    }

    [Fact]
    public async Task On_activation_a_heal_whose_workflow_ended_without_reporting_is_called_off()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());
        var container = new ContainerModel(clock);
        await actor.TellAsync(container.Input(new Observe(), null));
        await actor.TellAsync(container.Input(new Crash(1), null));
        actor.Workflows.EnsureAnswer = false; // the instance exists, but failed or was terminated

        await ActivateAsync(actor.Actor);

        var state = actor.State.Read<GuardianState>(ContainerActor.StateName)!;
        Assert.Null(state.ActiveHeal); // not left "healing" for ever: the next failure is healed again
        Assert.NotEqual(GuardianPhase.Healing, state.Phase);
    }

    [Fact]
    public async Task A_reminder_that_fires_for_an_actor_without_state_saves_nothing()
    {
        var clock = new FakeTimeProvider(T0);
        await using var actor = new ActorGuardianRig(Web, clock, new FixedSettingsSource());

        await actor.Actor.ReceiveReminderAsync(ContainerActor.WakeReminder, [], TimeSpan.Zero, TimeSpan.FromMilliseconds(-1));

        Assert.Empty(actor.State.Persisted);
        Assert.Null(await actor.Actor.GetGuardianAsync());
    }

    private static async Task ActivateAsync(ContainerActor actor)
    {
        var activate = typeof(global::Dapr.Actors.Runtime.Actor).GetMethod("OnActivateAsync", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new MissingMethodException("Actor.OnActivateAsync");
        await actor.StateManager.ClearCacheAsync();
        await (Task)activate.Invoke(actor, null)!;
    }

    // ---- the shared table of cases ----

    private sealed record GuardianCase(HealPolicy Policy, IReadOnlyList<Step> Steps, Action<ActorGuardianRig, GuardianState?> Expect);

    private static readonly Dictionary<string, GuardianCase> Cases = new()
    {
        ["a crash of a monitored container: heal"] = new(
            HealPolicy.Default,
            [new Observe(), new Wait(TimeSpan.FromSeconds(30)), new Crash(1)],
            (actor, state) =>
            {
                var job = state!.ActiveHeal!;
                Assert.Equal(GuardianPhase.Healing, state.Phase);
                Assert.Equal(T0 + TimeSpan.FromSeconds(30), job.DueAt); // the first heal of an incident does not wait
                var started = Assert.Single(actor.Workflows.Calls);
                Assert.Equal(RecordingHealWorkflows.Start, started.Kind);
                Assert.Equal("heal-host-1_2fweb_231", started.InstanceId); // host-1/web#1
                Assert.Equal(DaprIds.Workflow(job.Id), started.InstanceId);
                Assert.Equal(job, started.Job);
                Assert.Equal([EventKind.HealScheduled], actor.Sink.Events.Select(e => e.Kind));
            }),

        ["an operator stop, exit 137: not healed"] = new(
            HealPolicy.Default,
            [new Observe(), new Wait(TimeSpan.FromSeconds(30)), new StopRequest(), new Crash(137)],
            (actor, state) => NotHealed(actor, state!, "stopped on purpose (docker stop/kill): left down until it is started again")),

        ["an operator stop, exit 0: not healed"] = new(
            HealPolicy.Default,
            [new Observe(), new Wait(TimeSpan.FromSeconds(30)), new StopRequest(), new Crash(0)],
            (actor, state) => NotHealed(actor, state!, "stopped on purpose (docker stop/kill): left down until it is started again")),

        ["an unmonitored container: no state"] = new(
            HealPolicy.Default,
            [new Observe(Monitored: false), new Wait(TimeSpan.FromSeconds(30)), new Crash(1, Monitored: false)],
            (actor, state) =>
            {
                Assert.Null(state);
                Assert.Empty(actor.State.Persisted);
                Assert.Equal(0, actor.State.Saves);
                Assert.Empty(actor.Workflows.Calls);
                Assert.Empty(actor.Sink.Events);
            }),

        ["quarantined, released by a reminder"] = new(
            HealPolicy.Default with { QuarantineProbation = Probation },
            [
                new Observe(), new Wait(TimeSpan.FromSeconds(30)),
                .. HealCycles(5),
                new Crash(1), // the sixth failure within the window
                new Wait(Probation - TimeSpan.FromMinutes(1)),
                new Wait(TimeSpan.FromMinutes(1)),
            ],
            (actor, state) =>
            {
                var quarantined = Assert.Single(actor.Sink.Events, e => e.Kind == EventKind.Quarantined);
                var reminder = Assert.Single(actor.Timers.Registered, r => r.Name == ContainerActor.WakeReminder);
                Assert.Equal(quarantined.At, reminder.RegisteredAt);
                Assert.Equal(Probation, reminder.DueTime);
                Assert.True(reminder.OneShot);
                Assert.DoesNotContain(actor.Timers.Active, r => r.Name == ContainerActor.WakeReminder); // fired once, and gone
                // Only the new heal's watchdog is left.
                Assert.Equal(ContainerActor.EnsureHealReminder, Assert.Single(actor.Timers.Active).Name);
                var released = Assert.Single(actor.Sink.Events, e => e.Kind == EventKind.Released);
                Assert.Equal(quarantined.At + Probation, released.At); // not a minute early
                Assert.Equal("released after its probation time", released.Message);
                Assert.Null(state!.Quarantine);

                // Still crashed when released: healed again, as a new incident.
                Assert.Equal(EventKind.HealScheduled, actor.Sink.Events[^1].Kind);
                Assert.StartsWith("still crashed when released", actor.Sink.Events[^1].Message);
                Assert.Equal("host-1/web#6", state.ActiveHeal!.Id);
                Assert.Equal(DaprIds.Workflow("host-1/web#6"), actor.Workflows.Calls[^1].InstanceId);
                Assert.Equal(6, actor.Workflows.Of(RecordingHealWorkflows.Start).Count);
            }),

        ["quarantined, released by an operator"] = new(
            HealPolicy.Default,
            [
                new Observe(), new Wait(TimeSpan.FromSeconds(30)),
                .. HealCycles(5),
                new Crash(1),
                new Wait(TimeSpan.FromHours(6)),
                new Command(OperatorAction.Release),
            ],
            (actor, state) =>
            {
                Assert.DoesNotContain(actor.Timers.Registered, r => r.Name == ContainerActor.WakeReminder);
                Assert.Equal(6, actor.Timers.Registered.Count(r => r.Name == ContainerActor.EnsureHealReminder)); // one watchdog per heal
                var kinds = actor.Sink.Events.Select(e => e.Kind).ToList();
                Assert.Equal([EventKind.Quarantined, EventKind.Released, EventKind.HealScheduled], kinds[^3..]);
                Assert.Equal("released by ops@example.com", actor.Sink.Events[^2].Message);
                Assert.Equal(T0 + TimeSpan.FromSeconds(30 + (5 * 20)) + TimeSpan.FromHours(6), actor.Sink.Events[^2].At);
                Assert.Null(state!.Quarantine);
                Assert.Equal(6, actor.Workflows.Of(RecordingHealWorkflows.Start).Count);
            }),

        ["a die event from before the last start: ignored"] = new(
            HealPolicy.Default,
            [
                new Observe(), new Wait(TimeSpan.FromSeconds(30)),
                new Start(), new Wait(TimeSpan.FromSeconds(5)),
                new LateDied(Age: TimeSpan.FromSeconds(25), ExitCode: 1),
            ],
            (actor, state) =>
            {
                Assert.Empty(actor.Workflows.Calls);
                Assert.DoesNotContain(actor.Sink.Events, e => e.Kind == EventKind.HealScheduled);
                Assert.Equal(Condition.Running, state!.Condition);
                Assert.Null(state.LastExitCode);
                Assert.Null(state.ActiveHeal);
            }),

        ["an operator stop in the backoff: heal called off"] = new(
            HealPolicy.Default,
            [
                new Observe(), new Wait(TimeSpan.FromSeconds(30)),
                .. HealCycles(1),
                new Crash(1), // attempt 2 waits out its backoff
                new Wait(TimeSpan.FromSeconds(2)),
                new StopRequest(),
                new Crash(143),
            ],
            (actor, state) =>
            {
                var cancelled = Assert.Single(actor.Workflows.Of(RecordingHealWorkflows.Cancel));
                Assert.Equal("host-1/web#2", cancelled.JobId);
                Assert.Equal(DaprIds.Workflow("host-1/web#2"), cancelled.InstanceId);
                Assert.Equal("an operator stopped the container", cancelled.Reason);
                Assert.Equal(GuardianPhase.Stopped, state!.Phase);
                Assert.Null(state.ActiveHeal);
            }),

        ["an operator's restart: a manual heal"] = new(
            HealPolicy.Default,
            [new Observe(), new Wait(TimeSpan.FromSeconds(30)), new Command(OperatorAction.Restart)],
            (actor, state) =>
            {
                var started = Assert.Single(actor.Workflows.Calls);
                Assert.Equal(FailureKind.Manual, started.Job!.Reason);
                Assert.Equal(DaprIds.Workflow(started.JobId), started.InstanceId);
                Assert.Equal(started.Job, state!.ActiveHeal);
            }),
    };

    private static void NotHealed(ActorGuardianRig actor, GuardianState state, string why)
    {
        Assert.Empty(actor.Workflows.Calls);
        Assert.Empty(actor.Timers.Registered);
        Assert.Equal(GuardianPhase.Stopped, state.Phase);
        Assert.Null(state.ActiveHeal);
        var skipped = Assert.Single(actor.Sink.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Equal(why, skipped.Message);
    }

    /// <summary>A crash healed by its job's reports, then 20 s of running.</summary>
    private static IEnumerable<Step> HealCycles(int count) => Enumerable.Range(0, count).SelectMany(_ => (Step[])
    [
        new Crash(1),
        new Report(HealStep.BeginRestart),
        new Report(HealStep.Restarted, "restarted"),
        new Report(HealStep.Healed, "healed: running again 0.4s after the failure was seen (attempt 1)"),
        new Wait(TimeSpan.FromSeconds(20)),
    ]);

    // ---- the steps, and the container that turns them into inputs ----

    private abstract record Step;

    private sealed record Observe(bool Monitored = true) : Step;

    private sealed record Crash(int ExitCode, bool Monitored = true) : Step;

    private sealed record StopRequest : Step;

    private sealed record Start : Step;

    private sealed record LateDied(TimeSpan Age, int ExitCode) : Step;

    private sealed record Report(HealStep Step, string? Detail = null) : Step;

    private sealed record Command(OperatorAction Action) : Step;

    private sealed record Wait(TimeSpan By) : Step;

    /// <summary>The container as the watcher sees it: each step changes it, and becomes the one input both guardians get.</summary>
    private sealed class ContainerModel(TimeProvider clock)
    {
        private ContainerFacts _facts = new()
        {
            Id = "web-id",
            ImageId = "sha256:web",
            Status = ContainerStatus.Running,
            StartedAt = clock.GetUtcNow(),
            Labels = new Dictionary<string, string> { ["autoheal"] = "true" },
            Monitored = true,
            SelectionReason = "label autoheal=true",
        };

        public ContainerKey Key { get; init; } = Web;

        public GuardianInput Input(Step step, HealJob? activeJob)
        {
            var now = clock.GetUtcNow();
            switch (step)
            {
                case Observe o:
                    _facts = _facts with { Monitored = o.Monitored, SelectionReason = o.Monitored ? "label autoheal=true" : "no autoheal label" };
                    return Signal(SignalKind.Observed, now);
                case Crash c:
                    _facts = _facts with { Status = ContainerStatus.Exited, ExitCode = c.ExitCode, Monitored = c.Monitored };
                    return Signal(SignalKind.Died, now) with { ExitCode = c.ExitCode };
                case StopRequest:
                    return Signal(SignalKind.StopRequested, now);
                case Start:
                    _facts = _facts with { Status = ContainerStatus.Running, ExitCode = 0, StartedAt = now };
                    return Signal(SignalKind.Started, now);
                case LateDied late:
                    return Signal(SignalKind.Died, now - late.Age) with { ExitCode = late.ExitCode };
                case Report r:
                    var job = activeJob ?? throw new InvalidOperationException($"no heal under way to report {r.Step} for");
                    if (r.Step == HealStep.Restarted)
                    {
                        _facts = _facts with { Status = ContainerStatus.Running, ExitCode = 0, StartedAt = now };
                    }

                    return new HealReport(Key, job.Id, r.Step)
                    {
                        Detail = r.Detail,
                        ContainerStartedAt = r.Step == HealStep.Restarted ? now : null,
                    };
                case Command cmd:
                    return new OperatorCommand(Key, cmd.Action) { By = "ops@example.com", Facts = _facts };
                default:
                    throw new ArgumentOutOfRangeException(nameof(step), step, "not an input");
            }
        }

        private ContainerSignal Signal(SignalKind kind, DateTimeOffset at) => new(Key, kind, at, _facts);
    }
}
