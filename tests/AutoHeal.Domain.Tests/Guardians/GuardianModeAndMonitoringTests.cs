namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianModeAndMonitoringTests
{
    [Fact]
    public void Decide_in_on_failure_mode_does_not_heal_an_unhealthy_container()
    {
        var story = new Story(HealPolicy.Default with { Mode = HealMode.OnFailure });
        story.Starts();

        story.TurnsUnhealthy();

        Assert.Empty(story.Last.Decisions);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(Condition.Unhealthy, story.State.Condition);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("mode on-failure", skipped.Message);
    }

    [Fact]
    public void Decide_in_on_failure_mode_heals_a_crash()
    {
        var story = new Story(HealPolicy.Default with { Mode = HealMode.OnFailure });
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Equal(FailureKind.Crash, story.StartedJob.Reason);
    }

    [Fact]
    public void Decide_in_health_mode_does_not_heal_a_crash()
    {
        var story = new Story(HealPolicy.Default with { Mode = HealMode.Health });
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Empty(story.Last.Decisions);
        Assert.Null(story.State.ActiveHeal);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("mode health", skipped.Message);
    }

    [Fact]
    public void Decide_in_health_mode_heals_an_unhealthy_container()
    {
        var story = new Story(HealPolicy.Default with { Mode = HealMode.Health });
        story.Starts();

        story.TurnsUnhealthy();

        Assert.Equal(FailureKind.Unhealthy, story.StartedJob.Reason);
    }

    [Fact]
    public void Decide_does_not_heal_a_container_that_is_not_monitored()
    {
        var story = new Story();
        story.Facts = story.Facts with { Monitored = false, SelectionReason = "no label autoheal=true" };
        story.Starts();

        story.Dies(exitCode: 1);
        Assert.Empty(story.Last.Decisions);
        story.Starts();
        story.TurnsUnhealthy();

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Started);
        Assert.Null(story.State.ActiveHeal);
        Assert.False(story.State.Monitored);
        Assert.Equal("no label autoheal=true", story.State.SelectionReason);
        Assert.DoesNotContain(story.Events, e => e.Kind == EventKind.HealScheduled);
    }

    [Fact]
    public void Decide_calls_off_an_active_heal_when_the_container_stops_being_monitored()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        var job = story.StartedJob;
        story.AdvanceSeconds(1);

        story.Facts = story.Facts with { Monitored = false, SelectionReason = "disabled by an operator" };
        story.Observed();

        var cancel = Assert.Single(story.CancelHeals);
        Assert.Equal(job.Id, cancel.JobId);
        Assert.Contains("no longer monitored", cancel.Reason);
        Assert.Null(story.State.ActiveHeal);
        Assert.False(story.State.Monitored);
        Assert.Empty(story.StartHeals);
        Assert.Contains(EventKind.HealCancelled, story.EventKinds);
    }

    [Fact]
    public void Decide_monitors_a_container_from_the_selection_its_signal_carries()
    {
        var story = new Story();
        story.Facts = story.Facts with { Monitored = false, SelectionReason = "no label autoheal=true" };
        story.Starts();
        story.AdvanceSeconds(5);

        story.Facts = story.Facts with { Monitored = true, SelectionReason = "enabled by an operator" };
        story.Dies(exitCode: 1);

        Assert.True(story.State.Monitored);
        Assert.Equal("enabled by an operator", story.State.SelectionReason);
        Assert.Equal(1, story.StartedJob.Attempt);
    }

    [Theory]
    [InlineData(FailureKind.Crash)]
    [InlineData(FailureKind.Unhealthy)]
    public void Decide_heals_a_container_still_failing_once_it_is_monitored_again(FailureKind failure)
    {
        var story = new Story();
        story.Starts();
        if (failure == FailureKind.Crash)
        {
            story.Dies(exitCode: 1);
        }
        else
        {
            story.TurnsUnhealthy();
        }

        story.AdvanceSeconds(1);
        story.Facts = story.Facts with { Monitored = false, SelectionReason = "disabled by an operator" };
        story.Observed();
        Assert.Null(story.State.ActiveHeal);
        story.AdvanceSeconds(60);

        story.Facts = story.Facts with { Monitored = true, SelectionReason = "enabled by an operator" };
        story.Observed();

        Assert.Equal(failure, story.StartedJob.Reason);
    }

    [Fact]
    public void Decide_heals_a_container_that_crashed_while_unmonitored_once_it_is_enabled()
    {
        var story = new Story();
        story.Facts = story.Facts with { Monitored = false, SelectionReason = "no label autoheal=true" };
        story.Starts();
        story.Dies(exitCode: 1);
        Assert.Empty(story.StartHeals);
        story.AdvanceSeconds(300);

        story.Facts = story.Facts with { Monitored = true, SelectionReason = "enabled by an operator" };
        story.Observed();

        Assert.Equal(FailureKind.Crash, story.StartedJob.Reason);
    }
}
