using System.Text.Json;
using AutoHeal.Sqlite;

namespace AutoHeal.Healer.Tests;

/// <summary>The embedded guardians: decided, saved, carried out, published.</summary>
public sealed class GuardianMailboxesTests
{
    [Fact]
    public async Task A_guardian_reads_back_the_same_from_a_reopened_store_after_a_heal()
    {
        using var folder = new TempFolder();
        var key = HealerHarness.Key("web");
        GuardianState live;
        await using (var h = await HealerHarness.StartAsync(dataDir: folder.Path))
        {
            await h.AddRunningAsync("web");
            await h.CrashAndHealAsync("web");
            await Eventually.TrueAsync(
                async () => await h.Guardians.GetAsync(key, CancellationToken.None) is { ActiveHeal: null, TotalHeals: 1 },
                "the guardian's view to show the heal");
            live = (await h.Guardians.GetAsync(key, CancellationToken.None))!;
        }

        await using var reopened = await SqliteStore.OpenAsync(folder.Path, retention: 10_000, CancellationToken.None);
        var saved = await reopened.LoadGuardianAsync(key, CancellationToken.None);

        Assert.NotNull(saved);
        Assert.Equal(1, saved.TotalHeals);
        Assert.Equal(HealerHarness.Start, Assert.Single(saved.RecentHeals));
        Assert.Equal(live.RecentHeals, saved.RecentHeals);
        Assert.Equal(JsonSerializer.Serialize(live, SqliteStore.Json), JsonSerializer.Serialize(saved, SqliteStore.Json));
        var events = await reopened.ReadEventsAsync(new EventQuery { Container = "web" }, CancellationToken.None);
        Assert.Equal([EventKind.Healed, EventKind.Restarting, EventKind.HealScheduled], events.Select(e => e.Kind));
    }

    [Fact]
    public async Task After_a_restart_of_AutoHeal_a_new_crash_continues_the_incident_with_its_backoff()
    {
        using var folder = new TempFolder();
        await using (var first = await HealerHarness.StartAsync(dataDir: folder.Path))
        {
            await first.AddRunningAsync("web");
            await first.CrashAndHealAsync("web");
        }

        await using var second = await HealerHarness.StartAsync(dataDir: folder.Path, now: HealerHarness.Start + TimeSpan.FromSeconds(2));
        second.Runtime.Add(second.Runtime.Running(HealerHarness.IdOf("web"), "web") with { StartedAt = HealerHarness.Start });

        await second.CrashAsync("web");

        var job = (await second.StateAsync("web")).ActiveHeal;
        Assert.NotNull(job);
        Assert.Equal("host-1/web#2", job.Id);
        Assert.Equal(2, job.Attempt);
        Assert.Equal(HealerHarness.Start + HealPolicy.Default.DelayBeforeHeal(1), job.DueAt);
        await Eventually.StaysTrueAsync(() => second.Runtime.Restarts.Count == 0, "no restart before the backoff has passed");
    }

    [Fact]
    public async Task Saved_events_reach_the_event_sinks_with_their_store_ids()
    {
        await using var h = await HealerHarness.StartAsync();
        await h.AddRunningAsync("web");

        await h.CrashAndHealAsync("web");
        var saved = await h.EventsAsync("web");
        await Eventually.TrueAsync(() => h.Sink.Events.Count == saved.Count, "every saved event to be published");
        Assert.Equal(saved.Select(e => (e.Id, e.Kind)), h.Sink.Events.Select(e => (e.Id, e.Kind)));
        Assert.All(h.Sink.Events, e => Assert.True(e.Id > 0));
    }

    [Fact]
    public async Task A_container_nobody_monitors_leaves_no_trace()
    {
        await using var h = await HealerHarness.StartAsync();
        h.Runtime.Add(h.Runtime.Running("db-id", "db"));
        h.Runtime.Exit("db", 1);

        await h.Guardians.TellAsync(
            new ContainerSignal(HealerHarness.Key("db"), SignalKind.Died, h.Clock.GetUtcNow(), h.Facts("db") with { Monitored = false, SelectionReason = "no autoheal label" }) { ExitCode = 1 },
            CancellationToken.None);

        Assert.Null(await h.Store.LoadGuardianAsync(HealerHarness.Key("db"), CancellationToken.None));
        Assert.Empty(await h.EventsAsync("db"));
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 0, "no restart");
    }
}
