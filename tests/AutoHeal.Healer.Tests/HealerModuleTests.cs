namespace AutoHeal.Healer.Tests;

/// <summary>The healer as <see cref="HealerModule.AddHealer"/> composes it, started and stopped as the host does.</summary>
public sealed class HealerModuleTests
{
    [Fact]
    public async Task Stopping_the_healer_while_a_heal_waits_out_its_backoff_keeps_the_job_saved_at_its_stage_and_reports_nothing()
    {
        using var folder = new TempFolder();
        await using var h = await HealerHarness.StartAsync(dataDir: folder.Path);
        await h.AddRunningAsync("web");
        await h.CrashAndHealAsync("web");
        h.Clock.Advance(TimeSpan.FromSeconds(2));
        await h.CrashAsync("web"); // attempt 2 waits out its backoff
        await Eventually.TrueAsync(() => h.Clock.PendingTimers > 0, "attempt 2 waiting out its backoff");

        await h.StopAsync();

        await using var reopened = await Sqlite.SqliteStore.OpenAsync(folder.Path, 10_000, CancellationToken.None);
        var saved = await reopened.LoadGuardianAsync(HealerHarness.Key("web"), CancellationToken.None);
        Assert.Equal((2, HealStage.Waiting), (saved?.ActiveHeal?.Attempt, saved?.ActiveHeal?.Stage));
        var kinds = (await reopened.ReadEventsAsync(new Domain.Ports.EventQuery { Container = "web" }, CancellationToken.None)).Select(e => e.Kind);
        Assert.Equal([EventKind.HealScheduled, EventKind.Healed, EventKind.Restarting, EventKind.HealScheduled], kinds);
        Assert.Single(h.Runtime.Restarts);
    }
}
