namespace AutoHeal.Domain.Tests.Guardians;

/// <summary>
/// The rungs after a refused restart: recreate (its events, and the engine's signals about the original and the new
/// container being the heal's own), then quarantine when that fails too.
/// </summary>
public sealed class GuardianRecreateTests
{
    private const string NewId = "beef0002";

    [Fact]
    public void A_recreation_is_an_event_its_containers_signals_are_its_own_and_the_new_container_keeps_the_history()
    {
        var story = Recreating(out var job);
        Assert.Equal(EventKind.Recreating, Assert.Single(story.Last.Events).Kind);
        Assert.Equal(HealStage.Recreating, story.Job.Stage);

        // The original loses its name (Removed under it), and the new one is created and started under it.
        story.Signal(SignalKind.Removed);
        story.Facts = Story.Running(NewId) with { Status = ContainerStatus.Created, StartedAt = null };
        story.Signal(SignalKind.Created);
        story.Facts = Story.Running(NewId) with { StartedAt = story.Now };
        story.Signal(SignalKind.Started);
        Assert.Equal(job.Id, story.Job.Id); // not called off
        Assert.Equal(NewId, story.State.ContainerId);
        Assert.DoesNotContain(story.Events, e => e.Kind is EventKind.HealCancelled or EventKind.HistoryReset);

        story.Feed(new HealReport(Story.Key, job.Id, HealStep.Recreated) { NewContainerId = NewId, ContainerStartedAt = story.Now, Detail = "recreated as beef0002" });
        Assert.Equal((HealStage.Verifying, NewId), (story.Job.Stage, story.Job.ContainerId));
        Assert.Equal(EventKind.Recreated, Assert.Single(story.Last.Events).Kind);

        story.Report(HealStep.Healed);
        Assert.Null(story.State.ActiveHeal);
        Assert.Single(story.State.RecentHeals); // one heal, counted once
        Assert.Equal(NewId, story.State.ContainerId);
    }

    [Fact]
    public void A_recreation_that_fails_quarantines_the_container_with_the_reason_at_once()
    {
        var story = Recreating(out _);

        story.Report(HealStep.RecreateFailed, detail: "recreating it failed: could not start the new container (cannot join network of a non running container); the original was put back as it was");

        Assert.Null(story.State.ActiveHeal);
        Assert.Equal([EventKind.HealFailed, EventKind.Quarantined], story.EventKinds);
        Assert.Contains("the restart was refused and recreating it failed", story.State.Quarantine!.Reason, StringComparison.Ordinal);
        Assert.Contains("cannot join network", story.State.Quarantine.Reason, StringComparison.Ordinal);
        Assert.Empty(story.StartHeals);
    }

    [Fact]
    public void A_manual_restart_whose_recreation_fails_is_a_failure_not_a_quarantine()
    {
        var story = new Story();
        story.Starts();
        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Restart) { By = "test" });
        story.BeginRestart();
        story.Report(HealStep.BeginRecreate, detail: "Docker refused the restart");

        story.Report(HealStep.RecreateFailed, detail: "recreating it failed");

        Assert.Null(story.State.Quarantine);
        Assert.Contains(EventKind.HealFailed, story.EventKinds);
    }

    [Fact]
    public void A_recreation_report_told_twice_changes_nothing_the_second_time()
    {
        var story = Recreating(out var job);
        story.Report(HealStep.BeginRecreate, detail: "again");
        Assert.Empty(story.Last.Events);

        story.Feed(new HealReport(Story.Key, job.Id, HealStep.Recreated) { NewContainerId = NewId, ContainerStartedAt = story.Now });
        story.Feed(new HealReport(Story.Key, job.Id, HealStep.Recreated) { NewContainerId = NewId, ContainerStartedAt = story.Now });
        Assert.Empty(story.Last.Events);
        Assert.Equal(HealStage.Verifying, story.Job.Stage);
    }

    // A container that crashed, whose restart Docker refused: the heal recreates it.
    private static Story Recreating(out HealJob job)
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(60);
        story.Dies(exitCode: 1);
        job = story.StartedJob;
        story.BeginRestart();
        story.Report(HealStep.BeginRecreate, detail: "Docker refused the restart: No such container: 0123; recreating it: it joins the network namespace of another container");
        return story;
    }
}
