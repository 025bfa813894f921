namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianIdentityTests
{
    private const string NewId = "c0ffee02";

    [Fact]
    public void Decide_adopts_the_first_container_it_hears_of()
    {
        var story = new Story();

        story.Starts();

        Assert.Equal(Story.ContainerId, story.State.ContainerId);
        Assert.Equal(Story.ImageId, story.State.ImageId);
        Assert.Equal(Story.Key, story.State.Key);
        Assert.True(story.State.Monitored);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Equal(story.Now, story.State.LastStartedAt);
        Assert.Equal(story.Now, story.State.StableSince);
    }

    [Fact]
    public void Decide_keeps_the_history_of_a_container_recreated_from_the_same_image()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        var lastHeal = story.State.LastHealAt;
        story.AdvanceSeconds(20);

        story.Facts = Story.Running(id: NewId) with { Status = ContainerStatus.Created };
        story.Signal(SignalKind.Created);

        Assert.Equal(NewId, story.State.ContainerId);
        Assert.Equal(1, story.State.TotalHeals);
        Assert.Single(story.State.RecentHeals);
        Assert.Equal(lastHeal, story.State.LastHealAt);
        Assert.Equal(1, story.State.JobSequence);
        Assert.DoesNotContain(EventKind.HistoryReset, story.EventKinds);
        Assert.Equal(Condition.Created, story.State.Condition);
    }

    [Fact]
    public void Decide_starts_a_fresh_history_for_a_container_redeployed_from_another_image()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        story.AdvanceSeconds(20);

        story.Facts = Story.Running(id: NewId, image: "sha256:image-2") with { Status = ContainerStatus.Created };
        story.Signal(SignalKind.Created);

        Assert.Equal([EventKind.HistoryReset], story.EventKinds);
        Assert.Equal(NewId, story.Last.Events[0].ContainerId);
        Assert.Equal(NewId, story.State.ContainerId);
        Assert.Equal("sha256:image-2", story.State.ImageId);
        Assert.Equal(0, story.State.TotalHeals);
        Assert.Empty(story.State.RecentHeals);
        Assert.Null(story.State.LastHealAt);
        Assert.Equal(0, story.State.HealsInIncident);
        Assert.True(story.State.Monitored);
    }

    [Fact]
    public void Decide_gives_a_redeployed_container_new_job_ids()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        story.Facts = Story.Running(id: NewId, image: "sha256:image-2");
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Equal("host-1/web#2", story.StartedJob.Id);
        Assert.Equal(1, story.StartedJob.Attempt);
    }

    [Fact]
    public void Decide_lifts_a_quarantine_when_the_container_is_redeployed_from_another_image()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        for (var i = 0; i < 5; i++)
        {
            story.RunHeal(HealStep.VerifyFailed);
        }
        Assert.NotNull(story.State.Quarantine);

        story.Facts = Story.Running(id: NewId, image: "sha256:image-2");
        story.Starts();
        story.AdvanceSeconds(5);
        story.Dies(exitCode: 1);

        Assert.Null(story.State.Quarantine);
        Assert.Equal(1, story.StartedJob.Attempt);
    }

    [Fact]
    public void Decide_ignores_a_late_death_of_the_container_a_name_no_longer_refers_to()
    {
        var story = new Story();
        story.Starts();
        story.Facts = Story.Running(id: NewId);
        story.AdvanceSeconds(5);
        story.Starts();
        var before = story.State;

        story.Feed(new ContainerSignal(Story.Key, SignalKind.Died, story.Now, Story.Running() with { Status = ContainerStatus.Exited, ExitCode = 1 })
        {
            ExitCode = 1,
        });

        Assert.Same(before, story.State);
        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
        Assert.Equal(NewId, story.State.ContainerId);
    }

    [Fact]
    public void Decide_calls_off_a_heal_of_a_container_that_was_replaced()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        var job = story.Job;

        story.Facts = Story.Running(id: NewId) with { Status = ContainerStatus.Created };
        story.Signal(SignalKind.Created);

        var cancel = Assert.Single(story.CancelHeals);
        Assert.Equal(job.Id, cancel.JobId);
        Assert.Contains("replaced", cancel.Reason);
        Assert.Null(story.State.ActiveHeal);
    }

    [Fact]
    public void Decide_calls_off_an_active_heal_when_the_container_is_removed()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        var job = story.Job;
        story.AdvanceSeconds(1);

        story.Signal(SignalKind.Removed);

        var cancel = Assert.Single(story.CancelHeals);
        Assert.Equal(job.Id, cancel.JobId);
        Assert.Contains("removed", cancel.Reason);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(GuardianPhase.Removed, story.State.Phase);
        Assert.Equal(Condition.Removed, story.State.Condition);
        Assert.Equal([EventKind.HealCancelled], story.EventKinds);
    }

    [Fact]
    public void Decide_watches_a_container_recreated_under_a_removed_name()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.Dies(exitCode: 0);
        story.Signal(SignalKind.Removed);
        story.AdvanceSeconds(3);

        story.Facts = Story.Running(id: NewId);
        story.Starts();
        story.AdvanceSeconds(3);
        story.Dies(exitCode: 1);

        Assert.Equal(NewId, story.StartedJob.ContainerId);
        Assert.Equal(GuardianPhase.Healing, story.State.Phase);
    }

    [Fact]
    public void Decide_forgets_a_stop_request_made_to_the_container_a_name_no_longer_refers_to()
    {
        var story = new Story();
        story.Starts();
        story.StopRequested();
        story.AdvanceSeconds(2);

        story.Facts = Story.Running(id: NewId);
        story.Starts();
        story.AdvanceSeconds(2);
        story.Dies(exitCode: 1);

        Assert.Null(story.State.StopRequestedAt);
        Assert.Equal(NewId, story.StartedJob.ContainerId);
    }
}
