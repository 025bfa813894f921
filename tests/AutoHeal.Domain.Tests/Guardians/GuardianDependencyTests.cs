namespace AutoHeal.Domain.Tests.Guardians;

/// <summary>A parent's new start cuts off a dependent still running from before: its guardian heals it, whatever its mode.</summary>
public sealed class GuardianDependencyTests
{
    [Fact]
    public void A_dependent_running_from_before_its_parents_new_start_is_healed_with_the_reason_and_at_once()
    {
        var story = new Story { Policy = HealPolicy.Default with { Mode = HealMode.Health } }; // not even crashes: this is neither
        story.Starts();
        story.AdvanceSeconds(60);

        story.Signal(SignalKind.ParentRestarted, at: story.Now.AddSeconds(-2), detail: "vpn started again and it shares the network namespace of vpn: restarted with it");

        var job = story.StartedJob;
        Assert.Equal(FailureKind.Dependency, job.Reason);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(story.Now.AddSeconds(-2), job.EngineSeenAt); // the parent's start: the recheck compares the dependent's with it
        Assert.Contains("vpn started again", Assert.Single(story.Last.Events).Message);
    }

    [Fact]
    public void A_dependent_started_after_its_parent_or_not_running_is_left_alone()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(60);

        story.Signal(SignalKind.ParentRestarted, at: Story.Start.AddSeconds(-5), detail: "vpn started again"); // it started after that
        Assert.Empty(story.Started);

        story.StopRequested();
        story.Dies(exitCode: 143);
        story.Signal(SignalKind.ParentRestarted, at: story.Now, detail: "vpn started again"); // stopped on purpose

        Assert.Empty(story.Started);
        Assert.Equal(GuardianPhase.Stopped, story.State.Phase);
    }
}
