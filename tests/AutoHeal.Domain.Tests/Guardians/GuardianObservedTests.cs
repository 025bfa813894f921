namespace AutoHeal.Domain.Tests.Guardians;

/// <summary>The reconcile sweep: a fresh look at a container, with no event to say what happened.</summary>
public sealed class GuardianObservedTests
{
    private static Story FoundExited(int exitCode, bool oomKilled = false, RestartPolicy? restartPolicy = null)
    {
        var story = new Story();
        story.Facts = story.Facts with
        {
            Status = ContainerStatus.Exited,
            ExitCode = exitCode,
            OomKilled = oomKilled,
            RestartPolicy = restartPolicy ?? RestartPolicy.No,
        };
        story.Observed();
        return story;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(139)]
    [InlineData(255)]
    public void Decide_heals_a_container_found_exited_with_a_crash_code(int exitCode)
    {
        var story = FoundExited(exitCode);

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Crash, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(1, job.Attempt);
        Assert.Contains($"exit code {exitCode}", job.Detail);
        Assert.Equal(Condition.Crashed, story.State.Condition);
        Assert.Equal(exitCode, story.State.LastExitCode);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(130)]
    [InlineData(137)]
    [InlineData(143)]
    public void Decide_treats_a_container_found_exited_by_a_stop_signal_as_stopped_on_purpose(int exitCode)
    {
        var story = FoundExited(exitCode);

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
        Assert.Equal(Condition.Exited, story.State.Condition);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("deliberate stop", skipped.Message);
    }

    [Fact]
    public void Decide_heals_a_container_found_killed_by_the_oom_killer()
    {
        var story = FoundExited(137, oomKilled: true);

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Crash, job.Reason);
        Assert.Contains("killed for lack of memory", job.Detail);
    }

    [Fact]
    public void Decide_leaves_a_container_found_exited_to_its_own_on_failure_policy_while_retries_remain()
    {
        var story = FoundExited(1, restartPolicy: new RestartPolicy("on-failure", 3));

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(Condition.Crashed, story.State.Condition);
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
    }

    [Theory]
    [InlineData("always")]
    [InlineData("unless-stopped")]
    public void Decide_takes_an_always_restarted_container_found_exited_as_stopped_by_an_operator(string policy)
    {
        // Docker restarts these after any exit but one an operator asked for.
        var story = FoundExited(1, restartPolicy: new RestartPolicy(policy));

        Assert.Empty(story.Last.Decisions);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(Condition.Exited, story.State.Condition);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
    }

    [Fact]
    public void Decide_does_not_heal_a_container_found_exited_after_a_stop_it_saw_asked_for()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Advance(TimeSpan.FromHours(1));

        story.Facts = story.Facts with { Status = ContainerStatus.Exited, ExitCode = 1 };
        story.Observed();

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
    }

    [Fact]
    public void Decide_does_not_heal_again_a_crash_it_already_knows_of()
    {
        var story = new Story();
        story.Starts();
        story.Facts = story.Facts with { RestartPolicy = new RestartPolicy("on-failure", 1) };
        story.Dies(exitCode: 1);
        Assert.Empty(story.StartHeals);
        story.AdvanceSeconds(60);

        story.Observed();

        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
    }

    [Fact]
    public void Decide_heals_a_container_found_running_unhealthy_once()
    {
        var story = new Story();
        story.Facts = story.Facts with { HasHealthCheck = true, Health = HealthStatus.Unhealthy };

        story.Observed();
        var job = story.StartedJob;
        story.AdvanceSeconds(30);
        story.Observed();

        Assert.Equal(FailureKind.Unhealthy, job.Reason);
        Assert.Equal(1, job.Attempt);
        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Single(story.Started);
        Assert.Same(job, story.State.ActiveHeal);
    }

    [Fact]
    public void Decide_does_not_heal_a_container_again_for_an_unhealthy_it_already_skipped()
    {
        var story = new Story(HealPolicy.Default with { Mode = HealMode.OnFailure });
        story.Facts = story.Facts with { HasHealthCheck = true, Health = HealthStatus.Unhealthy };
        story.Observed();
        Assert.Equal(EventKind.Skipped, Assert.Single(story.Last.Events).Kind);
        story.AdvanceSeconds(30);

        story.Observed();

        Assert.Empty(story.Last.Events);
        Assert.Equal(Condition.Unhealthy, story.State.Condition);
    }

    [Fact]
    public void Decide_takes_a_container_found_running_for_a_start_it_missed()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Dies(exitCode: 0);
        story.AdvanceSeconds(120);

        story.Facts = story.Facts with { Status = ContainerStatus.Running, StartedAt = story.Now.AddSeconds(-30) };
        story.Observed();

        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Equal(story.Now.AddSeconds(-30), story.State.LastStartedAt);
        Assert.Empty(story.Last.Decisions);
    }

    [Fact]
    public void Decide_finds_a_running_healthy_container_stable()
    {
        var story = new Story();
        story.Facts = story.Facts with { HasHealthCheck = true, Health = HealthStatus.Healthy };

        story.Observed();

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Equal(story.Now, story.State.StableSince);
        Assert.Equal(Story.Start, story.State.LastStartedAt);
    }

    [Fact]
    public void Decide_finds_a_paused_container_paused()
    {
        var story = new Story();
        story.Facts = story.Facts with { Status = ContainerStatus.Paused, Health = HealthStatus.Unhealthy };

        story.Observed();

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(GuardianPhase.Paused, story.State.Phase);
        Assert.Equal(Condition.Paused, story.State.Condition);
    }

    [Fact]
    public void Decide_watches_again_a_container_found_running_after_a_missed_unpause()
    {
        var story = new Story();
        story.Starts();
        story.Signal(SignalKind.Paused);
        story.AdvanceSeconds(60);

        story.Facts = story.Facts with { Status = ContainerStatus.Running };
        story.Observed();
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        story.AdvanceSeconds(5);
        story.TurnsUnhealthy();

        Assert.Equal(FailureKind.Unhealthy, story.StartedJob.Reason);
    }

    [Fact]
    public void Decide_leaves_a_heal_under_way_alone_on_a_sweep()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.BeginRestart();
        var job = story.Job;

        story.Observed();

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(job, story.State.ActiveHeal);
    }
}
