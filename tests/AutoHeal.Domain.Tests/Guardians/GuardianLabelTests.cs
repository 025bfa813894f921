namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianLabelTests
{
    private static Story Labelled(params (string Key, string Value)[] labels)
    {
        var story = new Story();
        story.Facts = story.Facts with { Labels = labels.ToDictionary(l => l.Key, l => l.Value) };
        return story;
    }

    [Fact]
    public void Decide_restarts_with_the_stop_timeout_from_the_containers_label()
    {
        var story = Labelled(("autoheal", "true"), ("autoheal.stop.timeout", "30s"));
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Equal(TimeSpan.FromSeconds(30), story.StartedJob.StopTimeout);
    }

    [Fact]
    public void Decide_verifies_for_as_long_as_the_containers_label_says()
    {
        var story = Labelled(("autoheal.verify.timeout", "2m"));
        story.Starts();

        story.TurnsUnhealthy();

        Assert.Equal(TimeSpan.FromMinutes(2), story.StartedJob.VerifyTimeout);
    }

    [Fact]
    public void Decide_quarantines_on_the_third_failure_of_a_container_labelled_with_two_max_restarts()
    {
        var story = Labelled(("autoheal.max_restarts", "2"));
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal(HealStep.VerifyFailed);
        Assert.Null(story.State.Quarantine);

        story.RunHeal(HealStep.VerifyFailed);

        Assert.NotNull(story.State.Quarantine);
        Assert.Contains("2 heals", story.State.Quarantine.Reason);
        Assert.Equal([EventKind.HealFailed, EventKind.Quarantined], story.EventKinds);
        Assert.Equal(2, story.Started.Count);
    }

    [Fact]
    public void Decide_follows_the_mode_label_of_the_container()
    {
        var story = Labelled(("autoheal.mode", "health"));
        story.Starts();

        story.Dies(exitCode: 1);

        Assert.Empty(story.StartHeals);
        Assert.Contains("mode health", Assert.Single(story.Last.Events).Message);
    }

    [Fact]
    public void Decide_waits_the_cooldown_from_the_containers_label()
    {
        var story = Labelled(("autoheal.cooldown", "1m"));
        story.Starts();
        story.Dies(exitCode: 1);
        story.BeginRestart();
        var healed = story.Now;

        story.AdvanceSeconds(3);
        story.Report(HealStep.VerifyFailed);

        Assert.Equal(healed.AddMinutes(1), story.StartedJob.DueAt);
    }

    [Fact]
    public void Decide_uses_labels_changed_since_the_last_signal()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(10);

        story.Facts = story.Facts with { Labels = new Dictionary<string, string> { ["autoheal.stop.timeout"] = "45" } };
        story.Dies(exitCode: 1);

        Assert.Equal(TimeSpan.FromSeconds(45), story.StartedJob.StopTimeout);
        Assert.Equal("45", story.State.Labels["autoheal.stop.timeout"]);
    }

    [Fact]
    public void Decide_reports_a_bad_label_by_name_and_heals_with_the_global_value()
    {
        var story = Labelled(("autoheal.stop.timeout", "forever"));

        story.Starts();
        var invalid = Assert.Single(story.Last.Events);
        story.Dies(exitCode: 1);

        Assert.Equal(EventKind.LabelInvalid, invalid.Kind);
        Assert.Contains("autoheal.stop.timeout=forever", invalid.Message);
        Assert.Equal(story.Policy.StopTimeout, story.StartedJob.StopTimeout);
    }

    [Fact]
    public void Decide_reports_a_bad_label_when_the_labels_change_to_it()
    {
        var story = Labelled(("autoheal.max_restarts", "3"));
        story.Starts();
        Assert.Empty(story.Last.Events);
        story.AdvanceSeconds(5);

        story.Facts = story.Facts with { Labels = new Dictionary<string, string> { ["autoheal.max_restarts"] = "lots" } };
        story.Observed();

        var invalid = Assert.Single(story.Last.Events);
        Assert.Equal(EventKind.LabelInvalid, invalid.Kind);
        Assert.Contains("autoheal.max_restarts", invalid.Message);
        Assert.Contains("lots", invalid.Message);
    }

    [Fact]
    public void Decide_reports_a_bad_label_only_when_the_labels_change()
    {
        var story = Labelled(("autoheal.backoff.multiplier", "0.5"));
        story.Starts();
        Assert.Equal(EventKind.LabelInvalid, Assert.Single(story.Last.Events).Kind);
        story.AdvanceSeconds(5);

        story.Observed();
        story.TurnsHealthy();

        Assert.DoesNotContain(EventKind.LabelInvalid, story.EventKinds);
        Assert.Single(story.Events, e => e.Kind == EventKind.LabelInvalid);
    }

    [Fact]
    public void Decide_drops_the_label_policy_of_a_container_redeployed_without_labels()
    {
        var story = Labelled(("autoheal.stop.timeout", "30s"));
        story.Starts();
        story.AdvanceSeconds(60);

        story.Facts = Story.Running(id: "c0ffee02", image: "sha256:image-2") with { Status = ContainerStatus.Exited, ExitCode = 1 };
        story.Observed();

        Assert.Contains(EventKind.HistoryReset, story.EventKinds);
        Assert.Equal(story.Policy.StopTimeout, story.StartedJob.StopTimeout);
    }
}
