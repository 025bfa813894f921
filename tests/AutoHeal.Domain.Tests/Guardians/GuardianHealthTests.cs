namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianHealthTests
{
    [Fact]
    public void Decide_heals_an_unhealthy_container_at_once()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(45);

        story.TurnsUnhealthy(detail: "curl: (7) connection refused");

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Unhealthy, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(1, job.Attempt);
        Assert.True(job.ExpectHealthy);
        Assert.Contains("connection refused", job.Detail);
        Assert.Equal(Condition.Unhealthy, story.State.Condition);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
        Assert.Equal([EventKind.HealScheduled], story.EventKinds);
    }

    [Fact]
    public void Decide_expects_only_running_from_a_container_without_a_health_check()
    {
        var story = new Story();
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.False(story.StartedJob.ExpectHealthy);
    }

    [Fact]
    public void Decide_marks_a_container_stable_when_it_turns_healthy()
    {
        var story = new Story();
        story.Facts = story.Facts with { HasHealthCheck = true, Health = HealthStatus.Starting };
        story.Signal(SignalKind.Created);
        Assert.Null(story.State.StableSince);
        story.AdvanceSeconds(5);

        story.TurnsHealthy();

        Assert.Equal(story.Now, story.State.StableSince);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.True(story.State.HasHealthCheck);
        Assert.Empty(story.Last.Decisions);
    }

    [Fact]
    public void Decide_keeps_the_first_stable_time_when_healthy_repeats()
    {
        var story = new Story();
        story.Starts();
        var stableSince = story.Now;
        story.AdvanceSeconds(30);

        story.TurnsHealthy();

        Assert.Equal(stableSince, story.State.StableSince);
    }

    [Fact]
    public void Decide_ignores_an_unhealthy_event_from_before_the_latest_start()
    {
        var story = new Story();
        story.Starts();
        var before = story.Now;
        story.AdvanceSeconds(10);
        story.Starts();

        story.TurnsUnhealthy(at: before.AddSeconds(9));

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Null(story.State.ActiveHeal);
    }

    [Fact]
    public void Decide_ignores_a_healthy_event_from_before_the_latest_start()
    {
        var story = new Story();
        story.Starts();
        var before = story.Now;
        story.AdvanceSeconds(10);
        story.Starts();
        story.AdvanceSeconds(1);
        story.TurnsUnhealthy();
        story.Report(HealStep.Cancelled, detail: "runner stopped");
        Assert.Equal(Condition.Unknown, story.State.Condition);

        story.TurnsHealthy(at: before.AddSeconds(1));

        Assert.Equal(Condition.Unknown, story.State.Condition);
        Assert.Null(story.State.StableSince);
    }

    [Fact]
    public void Decide_does_not_heal_an_unhealthy_container_twice()
    {
        var story = new Story();
        story.Starts();
        story.TurnsUnhealthy();
        var job = story.StartedJob;
        story.AdvanceSeconds(30);

        story.TurnsUnhealthy();

        Assert.Empty(story.Last.Decisions);
        Assert.Same(job, story.State.ActiveHeal);
    }

    [Fact]
    public void Decide_calls_off_an_active_heal_when_the_container_is_paused()
    {
        var story = new Story();
        story.Starts();
        story.TurnsUnhealthy();
        var job = story.StartedJob;
        story.AdvanceSeconds(2);

        story.Facts = story.Facts with { Status = ContainerStatus.Paused };
        story.Signal(SignalKind.Paused);

        var cancel = Assert.Single(story.CancelHeals);
        Assert.Equal(job.Id, cancel.JobId);
        Assert.Contains("paused", cancel.Reason);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Paused, story.State.Phase);
        Assert.Equal(Condition.Paused, story.State.Condition);
        Assert.Equal([EventKind.HealCancelled], story.EventKinds);
    }

    [Fact]
    public void Decide_does_not_heal_a_paused_container_that_turns_unhealthy()
    {
        var story = new Story();
        story.Starts();
        story.Signal(SignalKind.Paused);
        story.AdvanceSeconds(60);

        story.TurnsUnhealthy();

        Assert.Empty(story.StartHeals);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Paused, story.State.Phase);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("paused", skipped.Message);
    }

    [Fact]
    public void Decide_heals_a_container_still_unhealthy_when_it_is_unpaused()
    {
        var story = new Story();
        story.Starts();
        story.Signal(SignalKind.Paused);
        story.AdvanceSeconds(60);

        story.Facts = story.Facts with { HasHealthCheck = true, Health = HealthStatus.Unhealthy };
        story.Signal(SignalKind.Unpaused);

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Unhealthy, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
        Assert.Equal(Condition.Unhealthy, story.State.Condition);
    }

    [Fact]
    public void Decide_only_watches_a_healthy_container_that_is_unpaused()
    {
        var story = new Story();
        story.Starts();
        story.Signal(SignalKind.Paused);

        story.Facts = story.Facts with { HasHealthCheck = true, Health = HealthStatus.Healthy };
        story.Signal(SignalKind.Unpaused);

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Equal(Condition.Running, story.State.Condition);
    }
}
