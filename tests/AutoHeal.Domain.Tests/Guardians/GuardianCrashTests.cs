namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianCrashTests
{
    [Fact]
    public void Decide_heals_a_crash_at_once_as_attempt_one()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(30);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(FailureKind.Crash, job.Reason);
        Assert.Equal(Story.ContainerId, job.ContainerId);
        Assert.Equal("host-1/web#1", job.Id);
        Assert.Equal(HealPolicy.Default.StopTimeout, job.StopTimeout);
        Assert.Equal(HealPolicy.Default.VerifyTimeout, job.VerifyTimeout);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
        Assert.Equal(Condition.Crashed, story.State.Condition);
        Assert.Equal(1, story.State.LastExitCode);
        Assert.Same(job, story.State.ActiveHeal);
        var scheduled = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.HealScheduled, scheduled.Kind);
        Assert.Equal(1, scheduled.Attempt);
        Assert.Equal(job.Id, scheduled.JobId);
        Assert.Contains("exit code 1", scheduled.Message);
    }

    [Fact]
    public void Decide_gives_a_heal_the_engines_time_of_the_failure_so_the_recheck_never_mixes_clocks()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(30);
        var engineTime = story.Now.AddSeconds(-7); // the Docker host's clock runs behind the guardian's

        story.Dies(exitCode: 1, at: engineTime);

        Assert.Equal(engineTime, story.StartedJob.EngineSeenAt);
        Assert.Equal(story.Now, story.StartedJob.DetectedAt);
    }

    [Fact]
    public void Decide_gives_the_next_heal_after_a_failed_verification_the_restarts_engine_time()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(30);
        story.Dies(exitCode: 1);
        story.BeginRestart();
        var restartedAt = story.Now.AddSeconds(-3);
        story.Report(HealStep.Restarted, startedAt: restartedAt);
        story.AdvanceSeconds(5);

        story.Report(HealStep.VerifyFailed, detail: "exited again with code 1");

        // Just after AutoHeal's own restart: the container still in that run is not "started again since".
        Assert.Equal(restartedAt.AddTicks(1), story.StartedJob.EngineSeenAt);
    }

    [Fact]
    public void Decide_names_the_oom_killer_in_a_crash_it_heals()
    {
        var story = new Story();
        story.Starts();

        story.Dies(exitCode: 137, oomKilled: true);

        Assert.Contains("killed for lack of memory", story.StartedJob.Detail);
    }

    [Fact]
    public void Decide_does_not_heal_an_exit_with_code_zero()
    {
        var story = new Story();
        story.Starts();

        story.Dies(exitCode: 0);

        Assert.Empty(story.StartHeals);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
        Assert.Equal(Condition.Exited, story.State.Condition);
        Assert.Null(story.State.ActiveHeal);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("code 0", skipped.Message);
    }

    [Fact]
    public void Decide_does_not_heal_a_container_stopped_on_purpose()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(60);

        story.StopRequested();
        Assert.Empty(story.Last.Decisions);
        story.AdvanceSeconds(10);
        story.Dies(exitCode: 137);

        Assert.Empty(story.StartHeals);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
        Assert.Equal(Condition.Exited, story.State.Condition);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("stopped on purpose", skipped.Message);
    }

    [Fact]
    public void Decide_leaves_a_deliberately_stopped_container_down_on_later_sweeps()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Dies(exitCode: 1);
        story.AdvanceSeconds(30);

        story.Observed();

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
    }

    [Fact]
    public void Decide_heals_a_crash_again_once_a_stopped_container_was_started()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Dies(exitCode: 143);
        story.AdvanceSeconds(20);

        story.Starts();
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Null(story.State.StopRequestedAt);
        story.AdvanceSeconds(20);
        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
    }

    [Fact]
    public void Decide_forgets_a_stop_request_once_the_container_starts_again()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.AdvanceSeconds(5);
        story.Starts(); // its die event was never seen: the stream was down

        Assert.Null(story.State.StopRequestedAt);
        story.AdvanceSeconds(5);
        story.Dies(exitCode: 1);

        Assert.Equal(1, story.StartedJob.Attempt);
        Assert.Equal(Condition.Crashed, story.State.Condition);
    }

    [Fact]
    public void Decide_heals_a_crash_long_after_a_stop_request_that_did_not_stop_it()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Advance(HealPolicy.Default.StopIntentWindow + TimeSpan.FromSeconds(1));

        story.Dies(exitCode: 1);

        Assert.Equal(1, story.StartedJob.Attempt);
        Assert.Equal(Condition.Crashed, story.State.Condition);
    }

    [Fact]
    public void Decide_still_treats_a_death_exactly_at_the_end_of_the_stop_intent_window_as_deliberate()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Advance(HealPolicy.Default.StopIntentWindow);

        story.Dies(exitCode: 1);

        Assert.Empty(story.StartHeals);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
    }

    [Fact]
    public void Decide_ignores_a_death_from_before_the_latest_start()
    {
        var story = new Story();
        story.Starts();
        var firstStart = story.Now;
        story.AdvanceSeconds(10);
        story.Starts();

        story.Dies(exitCode: 1, at: firstStart.AddSeconds(5));

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Null(story.State.LastExitCode);
    }

    [Fact]
    public void Decide_does_not_start_a_second_heal_for_a_repeated_death_while_one_waits()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        var job = story.StartedJob;
        story.AdvanceSeconds(1);

        story.Dies(exitCode: 1, at: job.DetectedAt);

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Same(job, story.State.ActiveHeal);
    }
}
