using Microsoft.Extensions.DependencyInjection;
namespace AutoHeal.Healer.Tests;

/// <summary>Heal jobs from a guardian's decision to their outcome: wait, recheck, restart, verify.</summary>
public sealed class InProcessHealRunnerTests
{
    private static readonly TimeSpan Backoff = HealPolicy.Default.DelayBeforeHeal(1);

    [Fact]
    public async Task A_crash_is_healed_by_exactly_one_restart_and_a_healed_event()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        var crashedAt = h.Clock.GetUtcNow();

        await h.CrashAsync("web", exitCode: 1);

        await h.WaitForEventAsync("web", EventKind.Healed);
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "exactly one restart");
        var restart = Assert.Single(h.Runtime.Restarts);
        Assert.Equal(HealerHarness.IdOf("web"), restart.Id);
        Assert.Equal(crashedAt, restart.At); // the first heal of an incident does not wait
        Assert.Equal(HealPolicy.Default.StopTimeout, restart.StopTimeout);
        var events = await h.EventsAsync("web");
        Assert.Equal([EventKind.HealScheduled, EventKind.Restarting, EventKind.Healed], events.Select(e => e.Kind));
        var healed = events[^1];
        Assert.Equal("healed: running again 0.0s after the failure was seen (attempt 1)", healed.Message); // the clock stood still
        Assert.Equal(1, healed.Attempt);
        Assert.Equal(FailureKind.Crash, healed.Reason);
        var state = await h.StateAsync("web");
        Assert.Equal(GuardianPhase.Watching, state.Phase);
        Assert.Equal(Condition.Running, state.Condition);
        Assert.Null(state.ActiveHeal);
        Assert.Equal(1, state.TotalHeals);
        Assert.Equal(restart.At, state.LastStartedAt);
    }

    [Fact]
    public async Task The_restarting_event_keeps_the_exit_code_and_log_tail_the_restart_destroys()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Runtime.Logs[HealerHarness.IdOf("web")] = [.. Enumerable.Range(1, 40).Select(i => $"line {i}"), "panic: out of cheese"];

        await h.CrashAsync("web", exitCode: 42);

        await h.WaitForEventAsync("web", EventKind.Healed);
        var restarting = (await h.EventsAsync("web", EventKind.Restarting)).Single();
        var d = restarting.Diagnostics!;
        Assert.Equal(42, d.ExitCode);
        Assert.False(d.OomKilled);
        Assert.Equal(HealSteps.LogLines, d.LogTail.Count);
        Assert.Equal("panic: out of cheese", d.LogTail[^1]);
        Assert.Equal("line 12", d.LogTail[0]);
    }

    [Fact]
    public async Task A_second_crash_in_the_incident_is_not_restarted_until_its_backoff_has_passed()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        await h.CrashAndHealAsync("web");
        var firstHeal = h.Runtime.Restarts[0].At;
        h.Clock.Advance(TimeSpan.FromSeconds(2));

        await h.CrashAsync("web");

        var job = (await h.StateAsync("web")).ActiveHeal!;
        Assert.Equal(2, job.Attempt);
        Assert.Equal(firstHeal + Backoff, job.DueAt);
        await h.Clock.AdvanceWhenWaitedOnAsync(Backoff - TimeSpan.FromSeconds(3)); // 1 s short of the due time
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "no restart before the backoff has passed");

        h.Clock.Advance(TimeSpan.FromSeconds(1));

        await h.WaitForEventAsync("web", EventKind.Healed, count: 2);
        Assert.Equal(2, h.Runtime.Restarts.Count);
        Assert.Equal(firstHeal + Backoff, h.Runtime.Restarts[1].At);
        Assert.Equal(2, (await h.StateAsync("web")).TotalHeals);
    }

    [Fact]
    public async Task An_unhealthy_container_counts_as_healed_only_once_its_health_check_passes_after_the_restart()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("api", hasHealthCheck: true);

        await h.TurnUnhealthyAsync("api");

        // The restart leaves it running with its health check still starting: not healed yet.
        await Eventually.TrueAsync(() => h.RestartsOf("api") == 1, "the restart");
        await h.Clock.AdvanceWhenWaitedOnAsync(TimeSpan.FromSeconds(5));
        await Eventually.StaysTrueAsync(
            async () => (await h.EventsAsync("api", EventKind.Healed)).Count == 0, "no heal while the health check is starting");
        Assert.Equal(1, h.RestartsOf("api"));
        Assert.Equal(HealStage.Verifying, (await h.StateAsync("api")).ActiveHeal?.Stage);

        await h.PassHealthCheckAfterRestartAsync("api");

        var healed = Assert.Single(await h.EventsAsync("api", EventKind.Healed));
        // Running at once (the clock stood still), healthy once the check passed: after the 5 s and the poll that saw it.
        Assert.Equal($"healed: running again 0.0s after the failure was seen, healthy after {(TimeSpan.FromSeconds(5) + HealSteps.VerifyPoll).TotalSeconds:0.0}s (attempt 1)", healed.Message);
        Assert.Equal(FailureKind.Unhealthy, healed.Reason);
        Assert.Equal(1, h.RestartsOf("api"));
    }

    [Fact]
    public async Task A_restarted_container_not_healthy_within_the_verify_timeout_fails_and_is_tried_again_after_the_backoff()
    {
        await using var h = await HealerHarness.StartAsync(HealPolicy.Default with { VerifyTimeout = TimeSpan.FromSeconds(5) });
        await h.AddRunningAsync("db", hasHealthCheck: true);
        var crashedAt = h.Clock.GetUtcNow();

        // Restarted, it stays "starting" until past the verify timeout.
        var (failed, next) = await CrashAndOutwaitVerifyAsync(h, "db");

        Assert.Contains("not healthy within the verify timeout of 5.0s", failed.Message);
        Assert.Equal(1, failed.Attempt);
        Assert.Equal(crashedAt + Backoff, next.DueAt);
        Assert.Contains("attempt 2", (await h.EventsAsync("db", EventKind.HealScheduled))[^1].Message);
        Assert.Equal(1, h.RestartsOf("db"));

        // By its due time the check has failed outright: the second attempt restarts it.
        h.Runtime.SetHealth("db", HealthStatus.Unhealthy);
        await h.Clock.AdvanceWhenWaitedOnAsync(next.DueAt - h.Clock.GetUtcNow());

        await Eventually.TrueAsync(() => h.RestartsOf("db") == 2, "the second attempt's restart");
        Assert.Equal(crashedAt + Backoff, h.Runtime.Restarts[1].At);
    }

    [Fact]
    public async Task A_restarted_container_not_running_within_the_verify_timeout_fails_and_waits_for_the_backoff()
    {
        await using var h = await HealerHarness.StartAsync(HealPolicy.Default with { VerifyTimeout = TimeSpan.FromSeconds(5) });
        await h.AddRunningAsync("web");
        h.Runtime.AfterRestart = c => c with { Status = ContainerStatus.Restarting };
        var crashedAt = h.Clock.GetUtcNow();

        var (failed, next) = await CrashAndOutwaitVerifyAsync(h, "web");

        Assert.Contains("not running within the verify timeout", failed.Message);
        Assert.Equal(crashedAt + Backoff, next.DueAt);
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "no second restart before the backoff has passed");
    }

    [Fact]
    public async Task A_container_that_exits_again_right_after_its_restart_fails_without_waiting_for_the_verify_timeout()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("worker");
        h.Runtime.ExitAfterRestart(exitCode: 3);
        var crashedAt = h.Clock.GetUtcNow();

        await h.CrashAsync("worker");

        // The clock never moves: a verification that waited for its 60 s timeout would never end.
        await h.WaitForEventAsync("worker", EventKind.HealFailed);
        var failed = Assert.Single(await h.EventsAsync("worker", EventKind.HealFailed));
        Assert.Contains("exited again with code 3", failed.Message);
        Assert.Empty(await h.EventsAsync("worker", EventKind.Healed));
        var next = (await h.StateAsync("worker")).ActiveHeal;
        Assert.NotNull(next);
        Assert.Equal(2, next.Attempt);
        Assert.Equal(crashedAt + Backoff, next.DueAt);
        Assert.Equal(1, h.RestartsOf("worker"));
    }

    [Fact]
    public async Task A_container_running_again_on_its_own_by_the_due_time_is_not_restarted()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        await h.CrashAndHealAsync("web");
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        await h.CrashAsync("web"); // attempt 2 waits out its backoff

        h.Clock.Advance(TimeSpan.FromSeconds(3));
        h.Runtime.StartAgain("web");
        await h.SignalAsync("web", SignalKind.Started);
        await h.Clock.AdvanceWhenWaitedOnAsync(Backoff);

        await h.WaitForEventAsync("web", EventKind.HealCancelled);
        var cancelled = Assert.Single(await h.EventsAsync("web", EventKind.HealCancelled));
        Assert.Equal("heal not needed: it is running again on its own", cancelled.Message);
        Assert.Equal(2, cancelled.Attempt);
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "no restart of a running container");
        var state = await h.StateAsync("web");
        Assert.Null(state.ActiveHeal);
        Assert.Equal(GuardianPhase.Watching, state.Phase);
        Assert.Equal(1, state.TotalHeals);
    }

    [Fact]
    public async Task A_heal_is_called_off_while_the_engine_is_unreachable_and_scheduled_again_once_it_is_back()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Runtime.Unreachable = true;

        await h.CrashAsync("web", exitCode: 2);

        await h.WaitForEventAsync("web", EventKind.HealCancelled);
        var cancelled = Assert.Single(await h.EventsAsync("web", EventKind.HealCancelled));
        Assert.Contains("engine", cancelled.Message);
        Assert.Contains("unreachable", cancelled.Message);
        Assert.Empty(h.Runtime.Restarts);
        Assert.Null((await h.StateAsync("web")).ActiveHeal);

        // The engine is back; the watcher's sweep finds the container still exited with its crash code.
        h.Runtime.Unreachable = false;
        h.Clock.Advance(TimeSpan.FromSeconds(30));
        await h.SignalAsync("web", SignalKind.Observed);

        await h.WaitForEventAsync("web", EventKind.Healed);
        Assert.Equal(2, (await h.EventsAsync("web", EventKind.HealScheduled)).Count);
        var restart = Assert.Single(h.Runtime.Restarts);
        Assert.Equal(h.Clock.GetUtcNow(), restart.At);
    }

    [Fact]
    public async Task An_operator_stop_during_the_backoff_calls_the_heal_off_for_good()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("api", hasHealthCheck: true);
        await h.TurnUnhealthyAsync("api");
        await h.PassHealthCheckAfterRestartAsync("api");
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        await h.TurnUnhealthyAsync("api"); // attempt 2 waits out its backoff
        await Eventually.TrueAsync(() => h.Clock.PendingTimers > 0, "attempt 2 waiting out its backoff");

        h.Clock.Advance(TimeSpan.FromSeconds(1));
        await h.SignalAsync("api", SignalKind.StopRequested);
        h.Runtime.Exit("api", 143);
        await h.SignalAsync("api", SignalKind.Died, exitCode: 143);
        h.Clock.Advance(TimeSpan.FromMinutes(10));

        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "no restart of a container an operator stopped");
        var cancelled = Assert.Single(await h.EventsAsync("api", EventKind.HealCancelled));
        Assert.Contains("an operator stopped the container", cancelled.Message);
        Assert.Equal(2, cancelled.Attempt);
        var state = await h.StateAsync("api");
        Assert.Equal(GuardianPhase.Stopped, state.Phase);
        Assert.Null(state.ActiveHeal);
    }

    [Fact]
    public async Task The_stop_and_die_events_of_its_own_restart_are_not_taken_for_an_operator_stop()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Runtime.BlockRestarts();
        await h.CrashAsync("web");
        await Eventually.TrueAsync(() => h.Runtime.RestartsInFlight == 1, "the restart under way");

        // Docker's restart stops the container first: the watcher reports those events while it runs.
        await h.SignalAsync("web", SignalKind.StopRequested);
        await h.SignalAsync("web", SignalKind.Died, exitCode: 143);
        h.Runtime.ReleaseRestarts();
        await h.WaitForEventAsync("web", EventKind.Healed);
        await h.SignalAsync("web", SignalKind.Started);

        Assert.Equal([EventKind.HealScheduled, EventKind.Restarting, EventKind.Healed], (await h.EventsAsync("web")).Select(e => e.Kind));
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "exactly one restart");
        var state = await h.StateAsync("web");
        Assert.Equal(GuardianPhase.Watching, state.Phase);
        Assert.Equal(Condition.Running, state.Condition);
    }

    [Fact]
    public async Task Docker_refusing_the_restart_gives_a_heal_failed_event_and_a_next_attempt()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Runtime.RestartFailure = new InvalidOperationException("cannot start: port is already allocated");

        await h.CrashAsync("web");

        await h.WaitForEventAsync("web", EventKind.HealFailed);
        var failed = Assert.Single(await h.EventsAsync("web", EventKind.HealFailed));
        Assert.Contains("Docker refused the restart: cannot start: port is already allocated", failed.Message);
        Assert.Equal(2, (await h.StateAsync("web")).ActiveHeal?.Attempt);
        Assert.Single(h.Runtime.Restarts);
    }

    [Fact]
    public async Task A_container_that_keeps_crashing_after_each_restart_is_quarantined_after_five_heals()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Runtime.ExitAfterRestart(exitCode: 1);

        await h.CrashAsync("web");
        for (var attempt = 2; attempt <= 5; attempt++)
        {
            await h.WaitForEventAsync("web", EventKind.HealFailed, count: attempt - 1);
            var job = (await h.StateAsync("web")).ActiveHeal!;
            Assert.Equal(attempt, job.Attempt);
            await h.Clock.AdvanceWhenWaitedOnAsync(job.DueAt - h.Clock.GetUtcNow());
        }

        await h.WaitForEventAsync("web", EventKind.Quarantined);
        h.Clock.Advance(TimeSpan.FromHours(1));
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 5, "no restart while quarantined");
        var state = await h.StateAsync("web");
        Assert.True(state.IsQuarantined);
        Assert.Null(state.ActiveHeal);
        Assert.Equal(5, state.TotalHeals);
    }

    [Fact]
    public async Task A_restart_that_never_finishes_fails_at_its_deadline_and_the_heal_is_tried_again()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");
        h.Runtime.BlockRestarts(); // Docker never finishes: a container that does not die
        await h.CrashAsync("web");
        await Eventually.TrueAsync(() => h.Runtime.RestartsInFlight == 1, "the restart under way");

        await h.Clock.AdvanceWhenWaitedOnAsync(HealPolicy.Default.StopTimeout + TimeSpan.FromSeconds(30));

        await h.WaitForEventAsync("web", EventKind.HealFailed);
        var failed = Assert.Single(await h.EventsAsync("web", EventKind.HealFailed));
        Assert.Contains("the restart did not finish within 40s (its stop timeout of 10s and 30s)", failed.Message);
        // Its wait is over by then: attempt 2 restarts again (and, Docker still stuck, waits in its turn).
        await Eventually.TrueAsync(() => h.Runtime.Restarts.Count == 2 && h.Runtime.RestartsInFlight == 1, "attempt 2's restart, and attempt 1's given up");
        Assert.Equal(2, (await h.StateAsync("web")).ActiveHeal?.Attempt);
    }

    [Fact]
    public async Task A_container_removed_long_ago_is_let_go_from_memory_and_after_a_week_forgotten()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("gone");
        await h.AddRunningAsync("kept");
        await h.SignalAsync("gone", SignalKind.Removed);
        var forgetter = h.Host.Services.GetRequiredService<GuardianForgetter>();
        var mailboxes = h.Host.Services.GetRequiredService<GuardianMailboxes>();
        Assert.Equal(2, mailboxes.Count);

        h.Clock.Advance(GuardianForgetter.MailboxIdle + TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(async () =>
        {
            await forgetter.PruneAsync(CancellationToken.None); // (a mailbox counts its last input done a moment after answering)
            return mailboxes.Count == 1;
        }, "its mailbox let go"); // its guardian stays in the store
        Assert.Equal(GuardianPhase.Removed, (await h.StateAsync("gone")).Phase);

        h.Clock.Advance(GuardianForgetter.ForgetAfter);
        await forgetter.PruneAsync(CancellationToken.None);

        Assert.Null(await h.Store.LoadGuardianAsync(HealerHarness.Key("gone"), CancellationToken.None));
        Assert.NotNull(await h.Store.LoadGuardianAsync(HealerHarness.Key("kept"), CancellationToken.None));
        Assert.Equal(GuardianPhase.Watching, (await h.SignalAsync("gone", SignalKind.Observed)).State.Phase); // a container run again under the name starts afresh
    }

    [Fact]
    public async Task The_mailbox_of_a_container_never_monitored_is_let_go_once_idle_it_left_no_trace_to_keep()
    {
        await using var h = await HealerHarness.StartAsync();
        h.Runtime.Add(h.Runtime.Running(HealerHarness.IdOf("job-1"), "job-1")); // a `docker run --rm` job, no label
        var unmonitored = new AutoHeal.Domain.Selection.SelectionVerdict(false, "no label autoheal=true");
        var seen = await h.Guardians.TellAsync(
            new ContainerSignal(HealerHarness.Key("job-1"), SignalKind.Observed, h.EngineClock.GetUtcNow(), h.Runtime.Get("job-1").ToFacts(unmonitored)),
            CancellationToken.None);
        await h.AddRunningAsync("kept");
        var mailboxes = h.Host.Services.GetRequiredService<GuardianMailboxes>();
        Assert.Equal(2, mailboxes.Count);
        Assert.Null(await h.Store.LoadGuardianAsync(HealerHarness.Key("job-1"), CancellationToken.None)); // no trace in the store

        h.Clock.Advance(GuardianForgetter.MailboxIdle + TimeSpan.FromMinutes(1));
        var forgetter = h.Host.Services.GetRequiredService<GuardianForgetter>();

        // (A mailbox answers a moment before it counts the input done: a prune in between leaves it for the next one.)
        await Eventually.TrueAsync(async () =>
        {
            await forgetter.PruneAsync(CancellationToken.None);
            return mailboxes.Count == 1;
        }, "the idle mailbox let go");
        Assert.False(seen.State.Monitored);
    }

    /// <summary>
    /// Crashes <paramref name="name"/> and, once it is restarted, moves the clock past the 5 s verify timeout: the heal
    /// fails, and its guardian schedules attempt 2. (The restart is waited for first: before it, the timer waited on may
    /// be the diagnostics' time-box, not verification's.)
    /// </summary>
    private static async Task<(AutoHealEvent Failed, HealJob Next)> CrashAndOutwaitVerifyAsync(HealerHarness h, string name)
    {
        await h.CrashAsync(name);
        await Eventually.TrueAsync(() => h.RestartsOf(name) == 1, "the restart");
        await h.Clock.AdvanceWhenWaitedOnAsync(TimeSpan.FromSeconds(5));
        await h.WaitForEventAsync(name, EventKind.HealFailed);
        var failed = Assert.Single(await h.EventsAsync(name, EventKind.HealFailed));
        var next = (await h.StateAsync(name)).ActiveHeal;
        Assert.NotNull(next);
        Assert.Equal(2, next.Attempt);
        return (failed, next);
    }
}
