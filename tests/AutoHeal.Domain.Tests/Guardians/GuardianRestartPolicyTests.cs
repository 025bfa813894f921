namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianRestartPolicyTests
{
    [Theory]
    [InlineData("always", 0, 0)]
    [InlineData("unless-stopped", 0, 0)]
    [InlineData("on-failure", 0, 7)]
    [InlineData("on-failure", 3, 0)]
    [InlineData("on-failure", 3, 2)]
    public void Decide_leaves_a_crash_to_the_containers_own_restart_policy(string name, int maxRetries, int restartCount)
    {
        var story = new Story();
        story.Facts = story.Facts with { RestartPolicy = new RestartPolicy(name, maxRetries), RestartCount = restartCount };
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Empty(story.Last.Decisions);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains($"restart policy '{name}'", skipped.Message);
    }

    [Theory]
    [InlineData(3, 3)]
    [InlineData(3, 4)]
    [InlineData(1, 1)]
    public void Decide_heals_a_crash_once_on_failure_has_used_up_its_retries(int maxRetries, int restartCount)
    {
        var story = new Story();
        story.Facts = story.Facts with { RestartPolicy = new RestartPolicy("on-failure", maxRetries), RestartCount = restartCount };
        story.Starts();

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Crash, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
    }

    [Theory]
    [InlineData("no")]
    [InlineData("")]
    public void Decide_heals_a_crash_of_a_container_without_a_restart_policy(string name)
    {
        var story = new Story();
        story.Facts = story.Facts with { RestartPolicy = new RestartPolicy(name) };
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Equal(1, story.StartedJob.Attempt);
    }

    [Theory]
    [InlineData("always")]
    [InlineData("unless-stopped")]
    [InlineData("on-failure")]
    public void Decide_still_heals_an_unhealthy_container_whatever_its_restart_policy(string name)
    {
        var story = new Story();
        story.Facts = story.Facts with { RestartPolicy = new RestartPolicy(name) };
        story.Starts();

        story.TurnsUnhealthy();

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Unhealthy, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
    }

    [Fact]
    public void Decide_does_not_heal_a_clean_exit_of_an_always_restarted_container_and_watches_it_again_when_docker_restarts_it()
    {
        var story = new Story();
        story.Facts = story.Facts with { RestartPolicy = new RestartPolicy("always") };
        story.Starts();
        story.Dies(exitCode: 0);
        Assert.Empty(story.StartHeals);
        story.AdvanceSeconds(1);

        story.Facts = story.Facts with { RestartCount = 1 };
        story.Starts();

        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Equal(Condition.Running, story.State.Condition);
    }
}
