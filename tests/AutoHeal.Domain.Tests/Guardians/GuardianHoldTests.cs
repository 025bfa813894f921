namespace AutoHeal.Domain.Tests.Guardians;

/// <summary>
/// Holding heals back (maintenance, a snooze): a failure meanwhile is recorded, not healed, and the container is
/// healed when the hold ends if it is still failing; a heal waiting for its backoff waits for the hold too; manual
/// restarts still go.
/// </summary>
public sealed class GuardianHoldTests
{
    private static HoldBack Maintenance(Story story, double seconds) => new(story.Now.AddSeconds(seconds), "maintenance (db upgrade)");

    [Fact]
    public void A_crash_during_maintenance_is_recorded_and_healed_when_it_ends()
    {
        var story = new Story();
        story.Starts();
        var hold = Maintenance(story, 600);
        story.Policy = HealPolicy.Default with { Hold = hold };

        story.Dies(exitCode: 1);

        Assert.Empty(story.Started); // not healed
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(Condition.Crashed, story.State.Condition);
        var skipped = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.Skipped, skipped.Kind);
        Assert.Contains("not healed now: maintenance (db upgrade) until", skipped.Message, StringComparison.Ordinal);
        Assert.Equal([new WakeAt(hold.Until)], story.Last.Decisions); // it wakes at the end by itself

        story.AdvanceTo(hold.Until);
        story.Feed(new Wake(Story.Key)); // the hold's wake-up: the hold is over now

        var job = Assert.Single(story.Started);
        Assert.Equal(FailureKind.Crash, job.Reason);
        Assert.Equal(story.Now, job.DueAt); // at once
        Assert.Contains("still crashed when the hold ended", job.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Maintenance_ended_early_heals_at_the_next_wake_and_the_held_wake_up_then_finds_nothing_to_do()
    {
        var story = new Story();
        story.Starts();
        var hold = Maintenance(story, 600);
        story.Policy = HealPolicy.Default with { Hold = hold };
        story.TurnsUnhealthy();
        story.AdvanceSeconds(30);

        story.Policy = HealPolicy.Default; // DELETE /api/maintenance, then the API's nudge
        story.Feed(new Wake(Story.Key));

        Assert.Equal(FailureKind.Unhealthy, Assert.Single(story.Started).Reason);
        story.RunHeal();
        story.AdvanceTo(hold.Until);
        story.Feed(new Wake(Story.Key)); // the wake-up registered for the old end

        Assert.Single(story.Started);
        Assert.Empty(story.Last.Events);
    }

    [Fact]
    public void A_failure_seen_again_during_the_same_hold_is_said_once()
    {
        var story = new Story();
        story.Starts();
        story.Policy = HealPolicy.Default with { Hold = Maintenance(story, 600) };
        story.TurnsUnhealthy();
        story.AdvanceSeconds(5);

        story.TurnsUnhealthy();

        Assert.Empty(story.Last.Events);
        Assert.Empty(story.Last.Decisions);
    }

    [Fact]
    public void A_heal_waiting_for_its_backoff_when_maintenance_begins_waits_for_its_end()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        story.Dies(exitCode: 1); // the second heal of the incident waits for its backoff
        var waiting = story.Job;
        Assert.True(waiting.DueAt > story.Now);

        var hold = Maintenance(story, 600);
        story.Policy = HealPolicy.Default with { Hold = hold };
        story.Feed(new Wake(Story.Key)); // the API's nudge when maintenance starts

        Assert.Null(story.State.ActiveHeal);
        Assert.Contains(new CancelHeal(waiting.Id, hold.Why), story.Last.Decisions);
        Assert.Contains(new WakeAt(hold.Until), story.Last.Decisions);
        Assert.Equal(EventKind.HealCancelled, Assert.Single(story.Last.Events).Kind);

        story.AdvanceTo(hold.Until);
        story.Feed(new Wake(Story.Key));

        Assert.Equal(2, story.State.ActiveHeal?.Attempt); // the same incident goes on: attempt 2
    }

    [Fact]
    public void A_heal_already_restarting_is_not_called_off_by_a_hold()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.BeginRestart();
        story.Policy = HealPolicy.Default with { Hold = Maintenance(story, 600) };

        story.Feed(new Wake(Story.Key));

        Assert.Equal(HealStage.Restarting, story.State.ActiveHeal?.Stage);
        Assert.Empty(story.Last.Decisions);
    }

    [Fact]
    public void A_manual_restart_goes_ahead_during_maintenance()
    {
        var story = new Story();
        story.Starts();
        story.Policy = HealPolicy.Default with { Hold = Maintenance(story, 600) };

        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Restart) { By = "the API" });

        Assert.Equal(FailureKind.Manual, Assert.Single(story.Started).Reason);
    }

    [Fact]
    public void An_extended_snooze_moves_the_wake_up_to_its_new_end()
    {
        var story = new Story();
        story.Starts();
        var first = new HoldBack(story.Now.AddSeconds(60), "snoozed (deploy)");
        story.Policy = HealPolicy.Default with { Hold = first };
        story.Dies(exitCode: 1);

        var longer = first with { Until = first.Until.AddSeconds(300) };
        story.Policy = HealPolicy.Default with { Hold = longer };
        story.AdvanceTo(first.Until);
        story.Feed(new Wake(Story.Key));

        Assert.Empty(story.Started);
        Assert.Equal([new WakeAt(longer.Until)], story.Last.Decisions);
        story.AdvanceTo(longer.Until);
        story.Feed(new Wake(Story.Key));
        Assert.Single(story.Started);
    }

    [Fact]
    public void A_snooze_label_holds_heals_back_until_its_time()
    {
        var story = new Story();
        var until = story.Now.AddMinutes(10);
        story.Facts = story.Facts with { Labels = new Dictionary<string, string> { ["autoheal.snooze_until"] = until.ToString("O", System.Globalization.CultureInfo.InvariantCulture) } };
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Empty(story.Started);
        Assert.Contains("snoozed by its label autoheal.snooze_until", Assert.Single(story.Last.Events).Message, StringComparison.Ordinal);
        story.AdvanceTo(until);
        story.Feed(new Wake(Story.Key));
        Assert.Single(story.Started);
    }

    [Theory]
    [InlineData("tomorrow")]
    [InlineData("2025-01-06T12:10:00")] // no offset: another instant on every host
    [InlineData("2025-02-06T12:00:00Z")] // a month ahead: more than the 7 days a label may snooze
    public void A_snooze_label_that_cannot_be_used_is_reported_and_heals_go_on(string value)
    {
        var story = new Story();
        story.Facts = story.Facts with { Labels = new Dictionary<string, string> { ["autoheal.snooze_until"] = value } };

        story.Starts();
        var reported = Assert.Single(story.Last.Events);
        story.Dies(exitCode: 1);

        Assert.Equal(EventKind.LabelInvalid, reported.Kind);
        Assert.Contains("autoheal.snooze_until", reported.Message, StringComparison.Ordinal);
        Assert.Single(story.Started);
    }

    [Fact]
    public void A_container_released_from_quarantine_during_maintenance_is_healed_when_it_ends()
    {
        var story = Story.QuarantinedAfterFiveFailedHeals();
        var heals = story.Started.Count;
        var hold = Maintenance(story, 60);
        story.Policy = HealPolicy.Default with { Hold = hold };

        story.Feed(new OperatorCommand(Story.Key, OperatorAction.Release) { By = "the API" });

        Assert.Null(story.State.Quarantine);
        Assert.Equal(heals, story.Started.Count); // released, but still failing: held
        Assert.Contains(story.Last.Events, e => e.Kind == EventKind.Skipped && e.Message.Contains("still crashed when released", StringComparison.Ordinal));
        story.AdvanceTo(hold.Until);
        story.Feed(new Wake(Story.Key));
        Assert.Equal(heals + 1, story.Started.Count);
    }

    [Fact]
    public void A_heal_whose_verification_fails_during_a_hold_is_tried_again_when_the_hold_ends()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.BeginRestart();
        story.AdvanceSeconds(1);
        story.Restarted(); // running again, as far as the engine's start event says
        var hold = Maintenance(story, 120);
        story.Policy = HealPolicy.Default with { Hold = hold };

        story.Report(HealStep.VerifyFailed, detail: "not running after 60s");

        Assert.Single(story.Started); // not tried again during the hold
        Assert.Equal(Condition.Crashed, story.State.Condition); // what it failed with is kept for the hold's end
        story.AdvanceTo(hold.Until);
        story.Feed(new Wake(Story.Key));
        Assert.Equal(2, story.Started.Count);
    }

    [Fact]
    public void A_restart_due_during_a_hold_the_guardian_had_not_been_told_of_is_refused_and_held()
    {
        // On Dapr the healer reads the holds every few seconds: the heal was scheduled before it knew of this maintenance.
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        var job = story.Job;
        var hold = Maintenance(story, 300);
        story.Policy = HealPolicy.Default with { Hold = hold };

        var refused = story.Report(HealStep.BeginRestart);

        Assert.False(refused.Accepted); // the heal runner stops: no restart
        Assert.Contains(new CancelHeal(job.Id, hold.Why), refused.Decisions);
        Assert.Null(story.State.ActiveHeal);
        Assert.Equal(0, story.State.TotalHeals);
        story.AdvanceTo(hold.Until);
        story.Feed(new Wake(Story.Key));
        Assert.Equal(2, story.Started.Count);
    }

    [Fact]
    public void A_sweep_after_the_hold_ended_heals_a_failure_whose_wake_up_was_lost()
    {
        var story = new Story();
        story.Starts();
        var hold = Maintenance(story, 60);
        story.Policy = HealPolicy.Default with { Hold = hold };
        story.Dies(exitCode: 1);
        story.Policy = HealPolicy.Default;
        story.AdvanceTo(hold.Until.AddSeconds(5)); // AutoHeal restarted meanwhile: its in-memory wake-up is gone

        story.Observed(); // the next reconcile sweep

        Assert.Single(story.Started);
    }

    [Fact]
    public void A_snooze_label_is_limited_to_7_days_after_the_container_started_not_after_each_look()
    {
        var story = new Story();
        var until = story.Now.AddDays(9).ToString("O", System.Globalization.CultureInfo.InvariantCulture); // an image's label, say
        story.Facts = story.Facts with { Labels = new Dictionary<string, string> { ["autoheal.snooze_until"] = until } };
        story.Starts();
        story.Advance(TimeSpan.FromDays(3)); // now within 7 days of the label's time, but not of the start

        story.Dies(exitCode: 1);

        Assert.Single(story.Started);
    }
}
