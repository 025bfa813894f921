using AutoHeal.Sqlite;

namespace AutoHeal.Integration.Tests;

/// <summary>The SQLite store on a real file.</summary>
public sealed class SqliteStoreTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"ahstore-{Guid.NewGuid():N}");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_guardian_with_a_heal_in_flight_and_a_quarantine_survives_a_reopen()
    {
        var key = new ContainerKey("local", "web");
        var state = GuardianState.New(key) with
        {
            ContainerId = "abc",
            ImageId = "sha256:1",
            Phase = GuardianPhase.Healing,
            Condition = Condition.Crashed,
            Labels = new Dictionary<string, string> { ["autoheal"] = "true" },
            RecentHeals = [T0, T0.AddSeconds(10)],
            HealsInIncident = 2,
            LastHealAt = T0.AddSeconds(10),
            Quarantine = new Quarantine(T0, "too many", T0.AddHours(1)),
            ActiveHeal = new HealJob
            {
                Id = "local/web#3",
                Key = key,
                ContainerId = "abc",
                Reason = FailureKind.Crash,
                Detail = "crashed",
                Attempt = 3,
                DetectedAt = T0,
                DueAt = T0.AddSeconds(20),
                StopTimeout = TimeSpan.FromSeconds(10),
                VerifyTimeout = TimeSpan.FromSeconds(60),
                ExpectHealthy = true,
                Stage = HealStage.Restarting,
                RestartIssuedAt = T0.AddSeconds(20),
            },
        };
        await using (var store = await SqliteStore.OpenAsync(_dir, 1000, CancellationToken.None))
        {
            await store.SaveAsync(state, [], CancellationToken.None);
        }

        await using var reopened = await SqliteStore.OpenAsync(_dir, 1000, CancellationToken.None);
        var loaded = await reopened.LoadGuardianAsync(key, CancellationToken.None);

        Assert.NotNull(loaded);
        Assert.Equal(state.ActiveHeal, loaded.ActiveHeal);
        Assert.Equal(state.Quarantine, loaded.Quarantine);
        Assert.Equal(state.RecentHeals, loaded.RecentHeals);
        Assert.Equal("true", loaded.Labels["autoheal"]);
        Assert.Equal((GuardianPhase.Healing, Condition.Crashed, 2), (loaded.Phase, loaded.Condition, loaded.HealsInIncident));
        Assert.Single(await reopened.LoadAllGuardiansAsync(CancellationToken.None));
    }

    [Fact]
    public async Task The_guardians_of_some_containers_are_read_without_the_others()
    {
        await using var store = await SqliteStore.OpenAsync(_dir, 1000, CancellationToken.None);
        var keys = Enumerable.Range(1, 5).Select(i => new ContainerKey(i % 2 == 0 ? "web2" : "local", $"app-{i}")).ToList();
        foreach (var key in keys)
        {
            await store.SaveAsync(GuardianState.New(key) with { TotalHeals = keys.IndexOf(key) }, [], CancellationToken.None);
        }

        var some = await store.LoadGuardiansAsync([keys[1], keys[4], new ContainerKey("local", "never-seen"), new ContainerKey("web2", "app-1")], CancellationToken.None);

        Assert.Equal([(keys[4], 4), (keys[1], 1)], some.Select(s => (s.Key, s.TotalHeals)).OrderBy(s => s.Key.Host).ThenBy(s => s.Key.Name));
        Assert.Empty(await store.LoadGuardiansAsync([], CancellationToken.None));
        Assert.Equal(5, (await store.LoadAllGuardiansAsync(CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Events_read_newest_first_with_filters_and_paging()
    {
        await using var store = await SqliteStore.OpenAsync(_dir, 1000, CancellationToken.None);
        var web = new ContainerKey("local", "web");
        var db = new ContainerKey("local", "db");
        for (var i = 0; i < 10; i++)
        {
            await store.SaveAsync(GuardianState.New(i % 2 == 0 ? web : db), [Event(i % 2 == 0 ? web : db, i % 3 == 0 ? EventKind.Healed : EventKind.Skipped, T0.AddMinutes(i), $"m{i}")], CancellationToken.None);
        }

        var newest = await store.ReadEventsAsync(new EventQuery { Limit = 3 }, CancellationToken.None);
        Assert.Equal(["m9", "m8", "m7"], newest.Select(e => e.Message));

        var page2 = await store.ReadEventsAsync(new EventQuery { Limit = 3, BeforeId = newest[^1].Id }, CancellationToken.None);
        Assert.Equal(["m6", "m5", "m4"], page2.Select(e => e.Message));

        var webHealed = await store.ReadEventsAsync(new EventQuery { Container = "web", Kinds = [EventKind.Healed] }, CancellationToken.None);
        Assert.Equal(["m6", "m0"], webHealed.Select(e => e.Message));

        var window = await store.ReadEventsAsync(new EventQuery { Since = T0.AddMinutes(2), Until = T0.AddMinutes(4) }, CancellationToken.None);
        Assert.Equal(["m3", "m2"], window.Select(e => e.Message));
    }

    [Fact]
    public async Task The_event_log_is_bounded_and_keeps_the_newest()
    {
        await using var store = await SqliteStore.OpenAsync(_dir, 100, CancellationToken.None);
        for (var i = 0; i < 350; i++)
        {
            await store.AppendEventsAsync([Event(null, EventKind.EngineUp, T0.AddSeconds(i), $"m{i}")], CancellationToken.None);
        }

        var all = await store.ReadEventsAsync(new EventQuery { Limit = 1000 }, CancellationToken.None);

        Assert.InRange(all.Count, 100, 110); // pruned in batches of a tenth
        Assert.Equal("m349", all[0].Message);
        Assert.Equal(Enumerable.Range(0, all.Count).Select(i => $"m{349 - i}"), all.Select(e => e.Message));
    }

    private static AutoHealEvent Event(ContainerKey? key, EventKind kind, DateTimeOffset at, string message) =>
        new() { At = at, Kind = kind, Key = key, Message = message };
}
