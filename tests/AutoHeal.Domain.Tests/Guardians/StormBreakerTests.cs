namespace AutoHeal.Domain.Tests.Guardians;

/// <summary>
/// A host's storm breaker: more distinct containers than the threshold asking for a heal within the window is a
/// storm; heals wait out the cool-down, then drain, and the breaker closes after a quiet window.
/// </summary>
public sealed class StormBreakerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly StormRule Rule = new(3, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120));

    [Fact]
    public void Up_to_the_threshold_of_containers_go_and_the_next_one_opens_the_breaker_naming_them_all()
    {
        var breaker = new StormBreaker();
        foreach (var (name, i) in new[] { "h/a", "h/b", "h/c" }.Select((n, i) => (n, i)))
        {
            var (answer, news) = breaker.Ask(name, Job(name), T0.AddSeconds(i), Rule);
            Assert.True(answer.Go);
            Assert.Null(news);
        }

        var (fourth, began) = breaker.Ask("h/d", Job("h/d"), T0.AddSeconds(10), Rule);

        Assert.False(fourth.Go);
        Assert.Equal(T0.AddSeconds(130), fourth.WaitUntil);
        Assert.NotNull(began);
        Assert.True(began.Began);
        Assert.Equal(["h/a", "h/b", "h/c", "h/d"], began.Containers);
        Assert.Equal(StormPhase.Open, breaker.Phase);
    }

    [Fact]
    public void The_same_container_asking_again_counts_once()
    {
        var breaker = new StormBreaker();
        for (var i = 0; i < 10; i++)
        {
            Assert.True(breaker.Ask("h/flaky", Job("h/flaky"), T0.AddSeconds(i), Rule).Answer.Go);
        }

        Assert.Equal(StormPhase.Calm, breaker.Phase);
    }

    [Fact]
    public void A_heal_asking_again_while_it_waits_for_a_slot_counts_by_its_first_ask()
    {
        var breaker = new StormBreaker();
        for (var i = 0; i < 6; i++)
        {
            Assert.True(breaker.Ask($"h/c{i}", Job($"h/c{i}"), T0.AddSeconds(i * 61), Rule).Answer.Go); // one a minute
        }

        for (var i = 0; i < 6; i++)
        {
            Assert.True(breaker.Ask($"h/c{i}", Job($"h/c{i}"), T0.AddSeconds(400 + i), Rule).Answer.Go); // all asking again at once, as through a watcher
        }

        Assert.Equal(StormPhase.Calm, breaker.Phase);
    }

    [Fact]
    public void Failures_further_apart_than_the_window_are_no_storm()
    {
        var breaker = new StormBreaker();
        for (var i = 0; i < 8; i++)
        {
            Assert.True(breaker.Ask($"h/c{i}", Job($"h/c{i}"), T0.AddSeconds(i * 31), Rule).Answer.Go); // at most two within any 60 s
        }

        Assert.Equal(StormPhase.Calm, breaker.Phase);
    }

    [Fact]
    public void During_the_cool_down_every_heal_waits_and_after_it_they_go_and_the_breaker_drains()
    {
        var breaker = Stormy();
        var (late, news) = breaker.Ask("h/e", Job("h/e"), T0.AddSeconds(60), Rule);
        Assert.Equal(T0.AddSeconds(129), late.WaitUntil);
        Assert.Null(news); // one storm event, not one per container

        var (after, _) = breaker.Ask("h/e", Job("h/e"), T0.AddSeconds(129), Rule);

        Assert.True(after.Go);
        Assert.Equal(StormPhase.Draining, breaker.Phase);
    }

    [Fact]
    public void A_draining_breaker_closes_after_a_quiet_window_with_no_heal_restarting_and_names_what_it_held_back()
    {
        var breaker = Stormy();
        breaker.Ask("h/e", Job("h/e"), T0.AddSeconds(140), Rule);
        Assert.Null(breaker.Tick(T0.AddSeconds(150), Rule, idle: true)); // not a window since the last ask
        Assert.Equal(T0.AddSeconds(200), breaker.NextLook(Rule));
        Assert.Null(breaker.Tick(T0.AddSeconds(200), Rule, idle: false)); // a heal still restarting

        var ended = breaker.Tick(T0.AddSeconds(201), Rule, idle: true);

        Assert.NotNull(ended);
        Assert.False(ended.Began);
        Assert.Equal(["h/a", "h/b", "h/c", "h/d", "h/e"], ended.Containers);
        Assert.Equal(StormPhase.Calm, breaker.Phase);
        Assert.True(breaker.Ask("h/f", Job("h/f"), T0.AddSeconds(202), Rule).Answer.Go); // counting starts afresh
    }

    [Fact]
    public void The_cool_down_ending_with_nobody_asking_drains_and_then_closes()
    {
        var breaker = Stormy();
        Assert.Equal(T0.AddSeconds(129), breaker.NextLook(Rule));
        Assert.Null(breaker.Tick(T0.AddSeconds(129), Rule, idle: true));
        Assert.Equal(StormPhase.Draining, breaker.Phase);

        Assert.NotNull(breaker.Tick(T0.AddSeconds(189), Rule, idle: true));
    }

    [Fact]
    public void Turning_the_breaker_off_ends_a_storm_at_once()
    {
        var breaker = Stormy();
        var off = Rule with { Threshold = 0 };

        var (answer, ended) = breaker.Ask("h/e", Job("h/e"), T0.AddSeconds(20), off);

        Assert.True(answer.Go);
        Assert.NotNull(ended);
        Assert.False(ended.Began);
        Assert.Equal(StormPhase.Calm, breaker.Phase);
    }

    [Fact]
    public void An_off_breaker_never_opens()
    {
        var breaker = new StormBreaker();
        for (var i = 0; i < 50; i++)
        {
            Assert.True(breaker.Ask($"h/c{i}", Job($"h/c{i}"), T0, Rule with { Threshold = 0 }).Answer.Go);
        }

        Assert.Equal(StormPhase.Calm, breaker.Phase);
    }

    private static string Job(string container) => $"{container}#1";

    // Four containers within ten seconds, threshold three: open until T0 + 129 s.
    private static StormBreaker Stormy()
    {
        var breaker = new StormBreaker();
        foreach (var (name, i) in new[] { "h/a", "h/b", "h/c", "h/d" }.Select((n, i) => (n, i)))
        {
            breaker.Ask(name, Job(name), T0.AddSeconds(i * 3), Rule);
        }

        Assert.Equal(StormPhase.Open, breaker.Phase);
        Assert.Equal(T0.AddSeconds(129), breaker.CooldownEnds);
        return breaker;
    }
}
