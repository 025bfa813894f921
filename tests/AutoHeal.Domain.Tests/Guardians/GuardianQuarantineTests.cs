namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianQuarantineTests
{
    /// <summary>
    /// A container that crashes and is healed five times with the default backoff: heals begin
    /// 0, 10, 30, 70 and 150 seconds after the first crash. Returns when the first heal began.
    /// </summary>
    private static DateTimeOffset FiveHealedCrashes(Story story)
    {
        story.Starts();
        story.Dies(exitCode: 1);
        var first = story.Now;
        story.RunHeal();
        for (var i = 0; i < 4; i++)
        {
            story.Dies(exitCode: 1);
            story.RunHeal();
        }

        Assert.Equal(5, story.State.RecentHeals.Count);
        Assert.Equal(first.AddSeconds(150), story.State.LastHealAt);
        return first;
    }

    private static Story QuarantinedAfterFiveFailedHeals(HealPolicy? policy = null) => Story.QuarantinedAfterFiveFailedHeals(policy);

    [Fact]
    public void Decide_quarantines_the_sixth_failure_within_ten_minutes()
    {
        var story = new Story();
        var first = FiveHealedCrashes(story);
        story.AdvanceSeconds(10);

        story.Dies(exitCode: 1);

        Assert.Empty(story.Last.Decisions);
        Assert.Null(story.State.ActiveHeal);
        var quarantine = story.State.Quarantine;
        Assert.NotNull(quarantine);
        Assert.Equal(story.Now, quarantine.Since);
        Assert.Null(quarantine.Until);
        Assert.Contains("5 heals within 600s", quarantine.Reason);
        Assert.True(story.State.IsQuarantined);
        var quarantined = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Quarantined, quarantined.Kind);
        Assert.Equal(quarantine.Reason, quarantined.Message);
        Assert.Equal(5, story.Started.Count);
        Assert.True(story.Now - first < TimeSpan.FromSeconds(600));
    }

    [Fact]
    public void Decide_quarantines_when_the_fifth_heal_in_a_row_fails_to_bring_the_container_back()
    {
        var story = QuarantinedAfterFiveFailedHeals();

        Assert.Equal([EventKind.HealFailed, EventKind.Quarantined], story.EventKinds);
        Assert.Empty(story.StartHeals);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(5, story.State.TotalHeals);
        Assert.Equal([1, 2, 3, 4, 5], story.Started.Select(j => j.Attempt));
    }

    [Fact]
    public void Decide_no_longer_counts_a_heal_exactly_ten_minutes_old()
    {
        var story = new Story();
        var first = FiveHealedCrashes(story);
        story.AdvanceTo(first + HealPolicy.Default.MaxRestartsWindow);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(story.Now, job.DueAt);
        Assert.Null(story.State.Quarantine);
        Assert.Equal(4, story.State.RecentHeals.Count);
        Assert.DoesNotContain(first, story.State.RecentHeals);
    }

    [Fact]
    public void Decide_still_counts_a_heal_a_millisecond_short_of_ten_minutes_old()
    {
        var story = new Story();
        var first = FiveHealedCrashes(story);
        story.AdvanceTo(first + HealPolicy.Default.MaxRestartsWindow - TimeSpan.FromMilliseconds(1));

        story.Dies(exitCode: 1);

        Assert.Empty(story.StartHeals);
        Assert.NotNull(story.State.Quarantine);
        Assert.Equal([EventKind.Quarantined], story.EventKinds);
    }

    [Fact]
    public void Decide_skips_a_crash_while_quarantined()
    {
        var story = QuarantinedAfterFiveFailedHeals();
        var since = story.State.Quarantine!.Since;
        story.AdvanceSeconds(60);
        story.Starts();
        story.AdvanceSeconds(5);

        story.Dies(exitCode: 1);

        Assert.Empty(story.Last.Decisions);
        Assert.Null(story.State.ActiveHeal);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("quarantined", skipped.Message);
        Assert.Equal(since, story.State.Quarantine!.Since);
    }

    [Fact]
    public void Decide_skips_an_unhealthy_container_while_quarantined()
    {
        var story = QuarantinedAfterFiveFailedHeals();
        story.AdvanceSeconds(60);
        story.Starts();

        story.TurnsUnhealthy();

        Assert.Empty(story.Last.Decisions);
        Assert.Equal(EventKind.Skipped, Assert.Single(story.Last.Events).Kind);
    }

    [Fact]
    public void Decide_releases_a_quarantine_by_hand_and_heals_a_still_crashed_container_at_once()
    {
        var story = QuarantinedAfterFiveFailedHeals();
        story.AdvanceSeconds(120);

        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Release) { By = "alice" });

        Assert.Null(story.State.Quarantine);
        Assert.Empty(story.State.RecentHeals);
        Assert.Equal(0, story.State.HealsInIncident);
        var released = story.Last.Events[0];
        Assert.Equal(EventKind.Released, released.Kind);
        Assert.Contains("alice", released.Message);
        var job = story.StartedJob;
        Assert.Equal(1, job.Attempt);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(FailureKind.Crash, job.Reason);
        Assert.Equal([EventKind.Released, EventKind.HealScheduled], story.EventKinds);
    }

    [Fact]
    public void Decide_releases_and_heals_a_container_still_unhealthy()
    {
        var story = new Story();
        story.Starts();
        story.TurnsUnhealthy();
        for (var i = 0; i < 5; i++)
        {
            story.RunHeal(HealStep.VerifyFailed);
        }
        Assert.NotNull(story.State.Quarantine);

        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Release));

        Assert.Equal(FailureKind.Unhealthy, story.StartedJob.Reason);
        Assert.Equal(1, story.StartedJob.Attempt);
    }

    [Fact]
    public void Decide_releases_a_container_that_runs_again_without_healing_it()
    {
        var story = QuarantinedAfterFiveFailedHeals();
        story.AdvanceSeconds(30);
        story.Starts();

        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Release));

        Assert.Null(story.State.Quarantine);
        Assert.Empty(story.Last.Decisions);
        Assert.Equal([EventKind.Released], story.EventKinds);
    }

    [Fact]
    public void Decide_ignores_a_release_of_a_container_that_is_not_quarantined()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal(HealStep.VerifyFailed);
        var before = story.State;

        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Release));

        Assert.Same(before, story.State);
        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
    }

    [Fact]
    public void Decide_asks_to_be_woken_at_the_end_of_a_quarantine_probation()
    {
        var story = QuarantinedAfterFiveFailedHeals(HealPolicy.Default with { QuarantineProbation = TimeSpan.FromMinutes(30) });

        var wake = Assert.IsType<WakeAt>(Assert.Single(story.Last.Decisions));
        Assert.Equal(story.Now.AddMinutes(30), wake.At);
        Assert.Equal(story.Now.AddMinutes(30), story.State.Quarantine!.Until);
    }

    [Fact]
    public void Decide_does_not_ask_to_be_woken_without_a_probation()
    {
        var story = QuarantinedAfterFiveFailedHeals();

        Assert.Empty(story.Last.Decisions.OfType<WakeAt>());
        Assert.Null(story.State.Quarantine!.Until);
    }

    [Fact]
    public void Decide_keeps_the_quarantine_when_woken_before_the_probation_ends()
    {
        var story = QuarantinedAfterFiveFailedHeals(HealPolicy.Default with { QuarantineProbation = TimeSpan.FromMinutes(30) });
        var until = story.State.Quarantine!.Until!.Value;
        story.AdvanceTo(until - TimeSpan.FromSeconds(1));
        var before = story.State;

        story.Feed(new Wake(Story.Key));

        Assert.Same(before, story.State);
        Assert.Empty(story.Last.Decisions);
        Assert.Empty(story.Last.Events);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(90)]
    public void Decide_releases_and_heals_when_woken_at_or_after_the_probation_end(int secondsLate)
    {
        var story = QuarantinedAfterFiveFailedHeals(HealPolicy.Default with { QuarantineProbation = TimeSpan.FromMinutes(30) });
        story.AdvanceTo(story.State.Quarantine!.Until!.Value + TimeSpan.FromSeconds(secondsLate));

        story.Feed(new Wake(Story.Key));

        Assert.Null(story.State.Quarantine);
        Assert.Equal([EventKind.Released, EventKind.HealScheduled], story.EventKinds);
        Assert.Contains("probation", story.Last.Events[0].Message);
        Assert.Equal(1, story.StartedJob.Attempt);
        Assert.Equal(story.Now, story.StartedJob.DueAt);
    }

    [Fact]
    public void Decide_ignores_a_wake_for_a_quarantine_kept_until_released_by_hand()
    {
        var story = QuarantinedAfterFiveFailedHeals();
        story.Advance(TimeSpan.FromDays(2));

        story.Feed(new Wake(Story.Key));

        Assert.NotNull(story.State.Quarantine);
        Assert.Empty(story.Last.Events);
    }

    [Fact]
    public void Decide_keeps_a_quarantine_when_the_container_is_recreated_from_the_same_image()
    {
        var story = QuarantinedAfterFiveFailedHeals();
        story.AdvanceSeconds(30);
        story.Facts = Story.Running(id: "c0ffee02") with { Status = ContainerStatus.Created };

        story.Signal(SignalKind.Created);
        story.Starts();
        story.Dies(exitCode: 1);

        Assert.NotNull(story.State.Quarantine);
        Assert.Equal("c0ffee02", story.State.ContainerId);
        Assert.Empty(story.StartHeals);
        Assert.Equal(EventKind.Skipped, Assert.Single(story.Last.Events).Kind);
    }
}
