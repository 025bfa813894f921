namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianHealReportTests
{
    private static Story Crashed()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(30);
        story.Dies(exitCode: 1);
        return story;
    }

    [Fact]
    public void Decide_records_a_heal_when_its_restart_begins()
    {
        var story = Crashed();
        var job = story.Job;
        story.AdvanceSeconds(1);

        var result = story.Report(HealStep.BeginRestart);

        Assert.True(result.Accepted);
        Assert.Empty(result.Decisions);
        Assert.Equal([story.Now], story.State.RecentHeals);
        Assert.Equal(1, story.State.HealsInIncident);
        Assert.Equal(story.Now, story.State.LastHealAt);
        Assert.Equal(1, story.State.TotalHeals);
        Assert.Equal(HealStage.Restarting, story.Job.Stage);
        Assert.Equal(story.Now, story.Job.RestartIssuedAt);
        Assert.Equal(job.Id, story.Job.Id);
        var restarting = Assert.Single(result.Events);
        Assert.Equal(EventKind.Restarting, restarting.Kind);
        Assert.Equal(job.Id, restarting.JobId);
        Assert.Equal(1, restarting.Attempt);
        Assert.Equal(FailureKind.Crash, restarting.Reason);
        Assert.Equal(Story.ContainerId, restarting.ContainerId);
    }

    [Fact]
    public void Decide_counts_a_restart_once_when_its_report_is_delivered_again()
    {
        var story = Crashed();
        story.AdvanceSeconds(1);
        story.Report(HealStep.BeginRestart);
        var counted = story.State;
        story.AdvanceSeconds(2);

        // A workflow activity retried after a lost answer tells the same step again.
        var again = story.Report(HealStep.BeginRestart);

        Assert.True(again.Accepted);
        Assert.Empty(again.Events);
        Assert.Empty(again.Decisions);
        Assert.Equal(counted, story.State);
        Assert.Equal(1, story.State.TotalHeals);
        Assert.Equal(1, story.State.HealsInIncident);
    }

    [Fact]
    public void Decide_keeps_a_verifying_heal_verifying_when_its_restarted_report_comes_again()
    {
        var story = Crashed();
        story.BeginRestart();
        story.AdvanceSeconds(1);
        var startedAt = story.Now;
        story.Report(HealStep.Restarted, startedAt: startedAt);
        story.AdvanceSeconds(1);

        var again = story.Report(HealStep.Restarted, startedAt: startedAt);
        var beginAgain = story.Report(HealStep.BeginRestart);

        Assert.True(again.Accepted);
        Assert.True(beginAgain.Accepted);
        Assert.Equal(HealStage.Verifying, story.Job.Stage);
        Assert.Equal(startedAt, story.Job.RestartedAt);
        Assert.Equal(1, story.State.TotalHeals);
        Assert.Empty(beginAgain.Events);
    }

    [Fact]
    public void Decide_tells_when_the_next_heal_is_allowed_once_a_heal_began()
    {
        var story = Crashed();
        Assert.Null(story.State.NextAllowedHeal(story.Policy));

        story.BeginRestart();

        Assert.Equal(story.Now.AddSeconds(10), story.State.NextAllowedHeal(story.Policy));
    }

    [Fact]
    public void Decide_refuses_a_report_from_an_unknown_job_and_changes_nothing()
    {
        var story = Crashed();
        var before = story.State;

        var result = story.Report(HealStep.BeginRestart, jobId: "host-1/web#99");

        Assert.False(result.Accepted);
        Assert.Same(before, result.State);
        Assert.Empty(result.Decisions);
        Assert.Empty(result.Events);
        Assert.Equal(0, story.State.TotalHeals);
    }

    [Fact]
    public void Decide_refuses_a_report_from_a_job_it_called_off()
    {
        var story = Crashed();
        var job = story.Job;
        story.Signal(SignalKind.Removed);
        Assert.Null(story.State.ActiveHeal);
        var before = story.State;

        var result = story.Report(HealStep.BeginRestart, jobId: job.Id);

        Assert.False(result.Accepted);
        Assert.Same(before, result.State);
        Assert.Empty(result.Events);
    }

    [Fact]
    public void Decide_refuses_a_report_from_an_earlier_job_while_a_later_one_runs()
    {
        var story = Crashed();
        var first = story.Job;
        story.RunHeal(HealStep.VerifyFailed);
        Assert.NotEqual(first.Id, story.Job.Id);
        var before = story.State;

        var result = story.Report(HealStep.Healed, jobId: first.Id);

        Assert.False(result.Accepted);
        Assert.Same(before, result.State);
    }

    [Fact]
    public void Decide_treats_stop_and_death_events_during_its_restart_as_its_own()
    {
        var story = Crashed();
        story.BeginRestart();
        var job = story.Job;

        story.StopRequested();
        Assert.Empty(story.Last.Decisions);
        story.Dies(exitCode: 137);

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Same(job, story.State.ActiveHeal);
        Assert.Null(story.State.StopRequestedAt);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
    }

    [Fact]
    public void Decide_moves_to_verifying_when_the_container_restarted()
    {
        var story = Crashed();
        story.BeginRestart();
        story.AdvanceSeconds(1);

        var result = story.Restarted();

        Assert.True(result.Accepted);
        Assert.Equal(HealStage.Verifying, story.Job.Stage);
        Assert.Equal(story.Now, story.Job.RestartedAt);
        Assert.Equal(story.Now, story.State.LastStartedAt);
        Assert.Empty(result.Decisions);
    }

    [Fact]
    public void Decide_treats_events_up_to_the_restart_as_its_own_while_verifying()
    {
        var story = Crashed();
        story.BeginRestart();
        var issued = story.Now;
        story.AdvanceSeconds(1);
        story.Restarted();
        var restartedAt = story.Now;
        story.AdvanceSeconds(3);

        var ours = new[]
        {
            story.StopRequested(at: issued),
            story.Dies(exitCode: 143, at: restartedAt.AddMilliseconds(-1)),
            story.StopRequested(at: restartedAt),
            story.Dies(exitCode: 143, at: restartedAt),
        };

        Assert.All(ours, r => Assert.Empty(r.Decisions));
        Assert.All(ours, r => Assert.Empty(r.Events));
        Assert.Equal(HealStage.Verifying, story.Job.Stage);
        Assert.Null(story.State.StopRequestedAt);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
    }

    [Fact]
    public void Decide_calls_off_the_heal_when_an_operator_stops_the_container_while_it_is_verified()
    {
        var story = Crashed();
        story.BeginRestart();
        story.AdvanceSeconds(1);
        story.Restarted();
        var job = story.Job;
        story.AdvanceSeconds(5);

        story.StopRequested();

        var cancel = Assert.Single(story.CancelHeals);
        Assert.Equal(job.Id, cancel.JobId);
        Assert.Contains("operator stopped", cancel.Reason);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(story.Now, story.State.StopRequestedAt);
        Assert.Equal([EventKind.HealCancelled], story.EventKinds);

        story.AdvanceSeconds(2);
        story.Dies(exitCode: 143);

        Assert.Empty(story.StartHeals);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
    }

    [Fact]
    public void Decide_calls_off_a_waiting_heal_when_an_operator_stops_the_container()
    {
        var story = Crashed();
        story.RunHeal();
        story.Dies(exitCode: 1);
        var job = story.Job;
        Assert.True(job.DueAt > story.Now);

        story.StopRequested();

        Assert.Equal(job.Id, Assert.Single(story.CancelHeals).JobId);
        Assert.Null(story.State.ActiveHeal);
    }

    [Fact]
    public void Decide_ends_the_heal_when_the_container_is_back()
    {
        var story = Crashed();
        var job = story.Job;

        var result = story.RunHeal(HealStep.Healed);

        Assert.True(result.Accepted);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Equal(story.Now, story.State.StableSince);
        var healed = Assert.Single(result.Events);
        Assert.Equal(EventKind.Healed, healed.Kind);
        Assert.Equal(job.Id, healed.JobId);
        Assert.Equal(1, healed.Attempt);
        Assert.Empty(result.Decisions);
    }

    [Theory]
    [InlineData(HealStep.VerifyFailed)]
    [InlineData(HealStep.RestartFailed)]
    public void Decide_schedules_the_next_attempt_with_backoff_when_a_heal_fails(HealStep failure)
    {
        var story = Crashed();
        var first = story.Job;
        story.BeginRestart();
        var healStarted = story.Now;
        story.AdvanceSeconds(3);

        var result = story.Report(failure, detail: "container exited again");

        Assert.True(result.Accepted);
        Assert.Equal([EventKind.HealFailed, EventKind.HealScheduled], story.EventKinds);
        Assert.Equal(first.Id, result.Events[0].JobId);
        Assert.Contains("container exited again", result.Events[0].Message);
        var next = story.StartedJob;
        Assert.Equal(2, next.Attempt);
        Assert.Equal(FailureKind.Crash, next.Reason);
        Assert.Equal(healStarted.AddSeconds(10), next.DueAt);
        Assert.Equal("host-1/web#2", next.Id);
        Assert.Equal(next, story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
        Assert.Equal([healStarted], story.State.RecentHeals);
    }

    [Fact]
    public void Decide_schedules_a_failed_unhealthy_heal_again_as_unhealthy()
    {
        var story = new Story();
        story.Starts();
        story.TurnsUnhealthy();

        story.RunHeal(HealStep.VerifyFailed);

        Assert.Equal(FailureKind.Unhealthy, story.StartedJob.Reason);
        Assert.True(story.StartedJob.ExpectHealthy);
    }

    [Fact]
    public void Decide_forgets_the_condition_when_a_heal_is_called_off_by_its_runner()
    {
        var story = new Story();
        story.Starts();
        story.TurnsUnhealthy();
        var job = story.Job;

        var result = story.Report(HealStep.Cancelled, detail: "engine unreachable");

        Assert.True(result.Accepted);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Equal(Condition.Unknown, story.State.Condition);
        var cancelled = Assert.Single(result.Events);
        Assert.Equal(EventKind.HealCancelled, cancelled.Kind);
        Assert.Equal(job.Id, cancelled.JobId);
        Assert.Empty(result.Decisions);
    }

    [Fact]
    public void Decide_heals_again_on_the_next_sweep_after_its_runner_called_a_heal_off()
    {
        var story = new Story();
        story.Starts();
        story.TurnsUnhealthy();
        story.Report(HealStep.Cancelled);
        story.AdvanceSeconds(30);

        story.Observed();

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Unhealthy, job.Reason);
        Assert.Equal(1, job.Attempt);
        Assert.Equal("host-1/web#2", job.Id);
    }

    [Fact]
    public void Decide_heals_a_crashed_container_on_the_next_sweep_after_its_runner_called_a_heal_off()
    {
        var story = Crashed();
        story.Report(HealStep.Cancelled);
        story.AdvanceSeconds(30);

        story.Observed();

        Assert.Equal(FailureKind.Crash, story.StartedJob.Reason);
        Assert.Equal(1, story.StartedJob.Attempt);
    }
}
