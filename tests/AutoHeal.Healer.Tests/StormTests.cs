namespace AutoHeal.Healer.Tests;

/// <summary>The storm breaker as heals meet it: many containers failing at once are healed after a cool-down, one at a time.</summary>
public sealed class StormTests
{
    [Fact]
    public async Task Twelve_containers_crashing_at_once_get_at_most_the_threshold_of_restarts_then_one_storm_event_then_are_healed_one_at_a_time()
    {
        await using var h = await HealerHarness.StartAsync();
        var cooldown = TimeSpan.FromSeconds(120);
        h.Settings.Storm = new StormRule(5, TimeSpan.FromSeconds(60), cooldown);
        var names = Enumerable.Range(1, 12).Select(i => $"app-{i}").ToList();
        foreach (var name in names)
        {
            await h.AddRunningAsync(name);
        }

        await Task.WhenAll(names.Select(name => h.CrashAsync(name)));

        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.HealScheduled)).Count == 12, "all twelve heals to be scheduled");
        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.Storm)).Count == 1, "the storm");
        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.Healed)).Count == 5, "the five heals before the storm");
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 5, "no more restarts during the cool-down");
        var storm = Assert.Single(await h.AllEventsAsync(EventKind.Storm));
        Assert.Contains("6 containers failed within 60s", storm.Message, StringComparison.Ordinal);
        Assert.Null(storm.Key); // the host's, not a container's

        await h.Clock.AdvanceWhenWaitedOnAsync(cooldown);

        foreach (var name in names)
        {
            await h.WaitForEventAsync(name, EventKind.Healed);
        }

        Assert.Equal(12, h.Runtime.Restarts.Count);
        Assert.Empty(await h.AllEventsAsync(EventKind.Quarantined));
        await h.Clock.AdvanceWhenWaitedOnAsync(TimeSpan.FromSeconds(60));
        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.StormEnded)).Count == 1, "the storm to end once quiet");
    }

    [Fact]
    public async Task While_a_storm_drains_its_heals_restart_one_at_a_time()
    {
        await using var h = await HealerHarness.StartAsync(maxConcurrentRestarts: 4);
        var cooldown = TimeSpan.FromSeconds(30);
        h.Settings.Storm = new StormRule(1, TimeSpan.FromSeconds(60), cooldown);
        var names = Enumerable.Range(1, 4).Select(i => $"db-{i}").ToList();
        foreach (var name in names)
        {
            await h.AddRunningAsync(name);
        }

        h.Runtime.BlockRestarts();
        await Task.WhenAll(names.Select(name => h.CrashAsync(name)));
        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.Storm)).Count == 1, "the storm");
        h.Runtime.ReleaseRestarts(); // the one heal that went before the storm
        await Eventually.TrueAsync(async () => (await h.AllEventsAsync(EventKind.Healed)).Count == 1, "the heal before the storm");
        h.Runtime.BlockRestarts();

        await h.Clock.AdvanceWhenWaitedOnAsync(cooldown);
        await Eventually.TrueAsync(() => h.Runtime.RestartsInFlight == 1, "one restart after the cool-down");
        await Eventually.StaysTrueAsync(() => h.Runtime.RestartsInFlight == 1 && h.Runtime.Restarts.Count == 2, "no second one beside it");
        h.Runtime.ReleaseRestarts();

        foreach (var name in names)
        {
            await h.WaitForEventAsync(name, EventKind.Healed);
        }
    }

    [Fact]
    public async Task A_parent_with_many_dependents_restarting_them_all_is_no_storm()
    {
        await using var h = await HealerHarness.StartAsync();
        h.Settings.Storm = new StormRule(2, TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120));
        var names = Enumerable.Range(1, 6).Select(i => $"behind-vpn-{i}").ToList();
        foreach (var name in names)
        {
            await h.AddRunningAsync(name);
        }

        h.Clock.Advance(TimeSpan.FromSeconds(30)); // the parent starts again after them
        await Task.WhenAll(names.Select(name => h.SignalAsync(name, SignalKind.ParentRestarted, detail: "vpn started again and it shares the network namespace of vpn")));

        foreach (var name in names)
        {
            await h.WaitForEventAsync(name, EventKind.Healed);
        }

        Assert.Empty(await h.AllEventsAsync(EventKind.Storm));
        Assert.All(await h.AllEventsAsync(EventKind.HealScheduled), e => Assert.Equal(FailureKind.Dependency, e.Reason));
    }
}
