namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianManualRestartTests
{
    private static GuardianResult AskRestart(Story story, ContainerFacts? facts = null) =>
        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Restart) { By = "alice", Facts = facts });

    [Fact]
    public void Decide_restarts_a_container_at_once_when_an_operator_asks()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(30);

        var result = AskRestart(story);

        Assert.True(result.Accepted);
        var job = story.StartedJob;
        Assert.Equal(FailureKind.Manual, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(1, job.Attempt);
        Assert.Equal(Story.ContainerId, job.ContainerId);
        Assert.Contains("alice", job.Detail);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
        var scheduled = Assert.Single(result.Events);
        Assert.Equal(EventKind.HealScheduled, scheduled.Kind);
        Assert.Equal(job.Id, scheduled.JobId);
        Assert.Equal(story.Now, scheduled.DetectedAt);
    }

    [Fact]
    public void Decide_does_not_count_a_manual_restart_toward_backoff_or_quarantine()
    {
        var story = new Story();
        story.Starts();
        AskRestart(story);

        story.RunHeal();

        Assert.Equal(1, story.State.TotalHeals);
        Assert.Empty(story.State.RecentHeals);
        Assert.Equal(0, story.State.HealsInIncident);
        Assert.Null(story.State.LastHealAt);
    }

    [Fact]
    public void Decide_heals_a_crash_at_once_after_many_manual_restarts()
    {
        var story = new Story();
        story.Starts();
        for (var i = 0; i < 6; i++)
        {
            AskRestart(story);
            story.RunHeal();
            story.AdvanceSeconds(5);
        }

        story.Dies(exitCode: 1);

        Assert.Null(story.State.Quarantine);
        var job = story.StartedJob;
        Assert.Equal(1, job.Attempt);
        Assert.Equal(story.Now, job.DueAt);
    }

    [Fact]
    public void Decide_treats_stop_and_death_events_of_a_manual_restart_as_its_own()
    {
        var story = new Story();
        story.Starts();
        AskRestart(story);
        story.BeginRestart();

        story.StopRequested();
        story.Dies(exitCode: 143);

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.NotEqual(GuardianPhase.Stopped, story.State.Phase);
        Assert.NotNull(story.State.ActiveHeal);
    }

    [Fact]
    public void Decide_refuses_a_manual_restart_while_a_heal_is_under_way()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        var before = story.State;

        var result = AskRestart(story);

        Assert.False(result.Accepted);
        Assert.Empty(result.Decisions);
        Assert.Equal(before, story.State);
    }

    [Theory]
    [InlineData(true)] // known, then removed
    [InlineData(false)] // never seen
    public void Decide_refuses_a_manual_restart_of_a_container_that_is_not_there(bool removed)
    {
        var story = new Story();
        if (removed)
        {
            story.Starts();
            story.Signal(SignalKind.Removed);
        }

        var result = AskRestart(story);

        Assert.False(result.Accepted);
        Assert.Empty(result.Decisions);
    }

    [Fact]
    public void Decide_restarts_a_container_it_first_learns_of_from_the_command()
    {
        var story = new Story();

        var result = AskRestart(story, Story.Running() with { HasHealthCheck = true });

        Assert.True(result.Accepted);
        Assert.Equal(Story.ContainerId, story.StartedJob.ContainerId);
        Assert.True(story.StartedJob.ExpectHealthy);
        Assert.Equal(Story.ContainerId, story.State.ContainerId);
    }

    [Fact]
    public void Decide_heals_a_container_a_manual_restart_did_not_bring_back()
    {
        var story = new Story();
        story.Starts();
        AskRestart(story);

        story.RunHeal(HealStep.VerifyFailed);

        Assert.Equal([EventKind.HealFailed, EventKind.HealScheduled], story.EventKinds);
        Assert.Equal(FailureKind.Crash, story.StartedJob.Reason);
    }
}
