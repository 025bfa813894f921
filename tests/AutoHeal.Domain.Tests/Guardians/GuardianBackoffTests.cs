namespace AutoHeal.Domain.Tests.Guardians;

public sealed class GuardianBackoffTests
{
    /// <summary>Defaults, but with room for many heals so quarantine stays out of the way.</summary>
    private static readonly HealPolicy ManyRestarts = HealPolicy.Default with { MaxRestarts = 100 };

    [Fact]
    public void Decide_waits_ten_seconds_from_the_last_heal_before_the_second_heal()
    {
        var story = new Story();
        story.Starts();
        story.AdvanceSeconds(30);
        story.Dies(exitCode: 1);
        story.AdvanceSeconds(4);
        story.BeginRestart();
        var firstHeal = story.Now;
        story.AdvanceSeconds(1);
        story.Restarted();
        story.AdvanceSeconds(2);
        story.Report(HealStep.Healed);
        story.AdvanceSeconds(2);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(2, job.Attempt);
        Assert.Equal(firstHeal.AddSeconds(10), job.DueAt);
        Assert.Equal(story.Now, job.DetectedAt);
        var scheduled = Assert.Single(story.Last.Events);
        Assert.Contains("in 5s (backoff)", scheduled.Message);
        Assert.Contains("attempt 2", scheduled.Message);
    }

    [Fact]
    public void Decide_heals_at_once_when_the_backoff_since_the_last_heal_has_already_passed()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        story.AdvanceSeconds(30);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(2, job.Attempt);
        Assert.Equal(story.Now, job.DueAt);
    }

    [Fact]
    public void Decide_doubles_the_backoff_after_each_failed_heal_up_to_five_minutes()
    {
        var story = new Story(ManyRestarts);
        story.Starts();
        story.Dies(exitCode: 1);
        var waits = new List<double>();

        for (var i = 0; i < 8; i++)
        {
            story.BeginRestart();
            var healedAt = story.Now;
            story.AdvanceSeconds(1);
            story.Restarted();
            story.AdvanceSeconds(2);
            story.Report(HealStep.VerifyFailed, detail: "still exited");
            waits.Add((story.StartedJob.DueAt - healedAt).TotalSeconds);
        }

        Assert.Equal([10, 20, 40, 80, 160, 300, 300, 300], waits);
        Assert.Equal(9, story.Job.Attempt);
        Assert.Null(story.State.Quarantine);
    }

    [Fact]
    public void Decide_waits_the_cooldown_when_it_is_longer_than_the_backoff()
    {
        var story = new Story(ManyRestarts with { Cooldown = TimeSpan.FromSeconds(60) });
        story.Starts();
        story.Dies(exitCode: 1);
        var waits = new List<double>();

        for (var i = 0; i < 5; i++)
        {
            story.BeginRestart();
            var healedAt = story.Now;
            story.AdvanceSeconds(3);
            story.Report(HealStep.VerifyFailed);
            waits.Add((story.StartedJob.DueAt - healedAt).TotalSeconds);
        }

        Assert.Equal([60, 60, 60, 80, 160], waits);
    }

    [Fact]
    public void Decide_keeps_the_backoff_when_a_failure_comes_before_ten_minutes_of_stable_running()
    {
        var story = new Story(ManyRestarts with { BackoffInitial = TimeSpan.FromSeconds(120), BackoffMax = TimeSpan.FromHours(1) });
        story.Starts();
        story.Dies(exitCode: 1);
        story.BeginRestart();
        var firstHeal = story.Now;
        story.AdvanceSeconds(3);
        story.Report(HealStep.Healed);
        story.AdvanceSeconds(100);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(2, job.Attempt);
        Assert.Equal(firstHeal.AddSeconds(120), job.DueAt);
        Assert.Equal(1, story.State.HealsInIncident);
    }

    [Fact]
    public void Decide_starts_a_new_incident_after_ten_minutes_of_stable_running()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        story.AdvanceTo(story.State.StableSince!.Value + HealPolicy.Default.BackoffReset);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(1, job.Attempt);
        Assert.Equal(story.Now, job.DueAt);
        Assert.Equal(0, story.State.HealsInIncident);
    }

    [Fact]
    public void Decide_heals_at_once_after_the_backoff_reset_even_when_the_old_backoff_has_not_run_out()
    {
        var story = new Story(ManyRestarts with { BackoffInitial = TimeSpan.FromSeconds(120), BackoffReset = TimeSpan.FromSeconds(60) });
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        story.AdvanceSeconds(61);

        story.TurnsUnhealthy();

        var job = story.StartedJob;
        Assert.Equal(1, job.Attempt);
        Assert.Equal(story.Now, job.DueAt);
    }

    [Fact]
    public void Decide_keeps_the_cooldown_between_two_heals_even_across_incidents()
    {
        // A new incident resets the backoff, but not the least time between two heals.
        var story = new Story(ManyRestarts with { Cooldown = TimeSpan.FromHours(1), BackoffReset = TimeSpan.FromSeconds(600) });
        story.Starts();
        story.Dies(exitCode: 1);
        story.RunHeal();
        var firstHeal = story.State.LastHealAt!.Value;
        story.AdvanceSeconds(700);

        story.Dies(exitCode: 1);

        var job = story.StartedJob;
        Assert.Equal(1, job.Attempt);
        Assert.Equal(firstHeal + TimeSpan.FromHours(1), job.DueAt);
    }

    [Fact]
    public void Decide_marks_a_healed_container_stable_from_the_moment_it_was_healed()
    {
        var story = new Story();
        story.Starts();
        story.Dies(exitCode: 1);
        Assert.Null(story.State.StableSince);

        story.RunHeal();

        Assert.Equal(story.Now, story.State.StableSince);
        Assert.Equal(Condition.Running, story.State.Condition);
        Assert.Equal(GuardianPhase.Watching, story.State.Phase);
        Assert.Equal(EventKind.Healed, Assert.Single(story.Last.Events).Kind);
    }
}
