using AutoHeal.Contracts.Api;
using AutoHeal.Core.Settings;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Core.Tests;

/// <summary>
/// Scheduled maintenance windows (<c>maintenance.windows</c>): when each is in force, in its own time zone and across
/// daylight-saving changes, whom it covers, and what the configuration refuses, by field.
/// </summary>
public sealed class MaintenanceWindowsTests
{
    private static MaintenanceWindowConfig Nightly(string cron = "0 2 * * *", string zone = "Europe/Berlin", double seconds = 3600, params string[] containers) =>
        new() { Cron = cron, TimeZone = zone, DurationSeconds = seconds, Containers = containers, Reason = "nightly backup" };

    private static DateTimeOffset Utc(int month, int day, int hour, int minute) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void A_window_runs_from_each_occurrence_in_its_own_time_zone_for_its_duration()
    {
        var window = Nightly();
        var clock = new FakeTimeProvider(Utc(1, 10, 0, 30)); // 01:30 in Berlin (CET, UTC+1)
        var seen = new List<bool>();
        for (var i = 0; i < 4; i++)
        {
            seen.Add(MaintenanceWindows.Current(window, clock.GetUtcNow()) is not null);
            clock.Advance(TimeSpan.FromMinutes(30));
        }

        Assert.Equal([false, true, true, false], seen); // 01:30, 02:00 (it begins), 02:30, 03:00 (it is over)
        Assert.Equal((Utc(1, 10, 1, 0), Utc(1, 10, 2, 0)), MaintenanceWindows.Current(window, Utc(1, 10, 1, 15)));
    }

    [Fact]
    public void On_the_night_the_clocks_go_forward_a_window_at_a_skipped_time_begins_at_the_first_valid_time_after_it()
    {
        // 2026-03-29, Berlin: 02:00 CET is followed by 03:00 CEST; 02:00 never happens.
        var span = MaintenanceWindows.Current(Nightly(), Utc(3, 29, 1, 30));

        Assert.Equal((Utc(3, 29, 1, 0), Utc(3, 29, 2, 0)), span); // 03:00 CEST = 01:00 UTC, for its hour
        Assert.Null(MaintenanceWindows.Current(Nightly(), Utc(3, 29, 0, 59)));
    }

    [Fact]
    public void On_the_night_the_clocks_go_back_a_window_at_a_time_that_happens_twice_begins_once()
    {
        // 2026-10-25, Berlin: 02:30 happens at 00:30 UTC (CEST) and again at 01:30 UTC (CET).
        var window = Nightly("30 2 * * *", seconds: 1800);

        Assert.Equal((Utc(10, 25, 0, 30), Utc(10, 25, 1, 0)), MaintenanceWindows.Current(window, Utc(10, 25, 0, 45)));
        Assert.Null(MaintenanceWindows.Current(window, Utc(10, 25, 1, 45)));
    }

    [Fact]
    public void Six_fields_put_seconds_first_and_another_zone_moves_the_window()
    {
        var everyMinute = new MaintenanceWindowConfig { Cron = "30 * * * * *", DurationSeconds = 10, TimeZone = "UTC" };
        var newYork = Nightly(zone: "America/New_York");

        Assert.NotNull(MaintenanceWindows.Current(everyMinute, Utc(1, 10, 12, 0).AddSeconds(35)));
        Assert.Null(MaintenanceWindows.Current(everyMinute, Utc(1, 10, 12, 0).AddSeconds(45)));
        Assert.Equal((Utc(1, 10, 7, 0), Utc(1, 10, 8, 0)), MaintenanceWindows.Current(newYork, Utc(1, 10, 7, 30))); // 02:00 EST
    }

    [Fact]
    public async Task A_window_with_container_patterns_holds_back_only_theirs_and_is_no_host_wide_maintenance()
    {
        using var settings = new SettingsService(new InMemoryDocumentStore());
        var now = Utc(1, 10, 1, 30);

        Assert.Empty(ConfigLimits.Validate(new AutoHealConfig { Maintenance = new MaintenanceConfig { Windows = [Nightly(containers: "db*")] } }));
        await settings.InitializeAsync(new AutoHealConfig { Maintenance = new MaintenanceConfig { Windows = [Nightly(containers: "db*")] } }, CancellationToken.None);

        Assert.Equal(new HoldBack(Utc(1, 10, 2, 0), "maintenance (scheduled window: nightly backup)"), settings.HoldFor(new ContainerKey("local", "db-main"), now));
        Assert.Null(settings.HoldFor(new ContainerKey("local", "web"), now));
        Assert.False(settings.MaintenanceAt(now).Active); // not host-wide: no banner
    }

    [Theory]
    [InlineData("0 2 * *", "Europe/Berlin", 3600, "maintenance.windows[0].cron")]
    [InlineData("61 2 * * *", "Europe/Berlin", 3600, "maintenance.windows[0].cron")]
    [InlineData("0 2 * * *", "Mars/Olympus_Mons", 3600, "maintenance.windows[0].time_zone")]
    [InlineData("0 2 * * *", "Europe/Berlin", 0, "maintenance.windows[0].duration_seconds")]
    [InlineData("0 2 * * *", "Europe/Berlin", 604801, "maintenance.windows[0].duration_seconds")]
    [InlineData("* * * * * *", "UTC", 60, "maintenance.windows[0].duration_seconds")] // a window every second, each a minute long
    [InlineData("0 2 * * *", "Europe/Berlin", 86400, "maintenance.windows[0].duration_seconds")] // longer than the 23 h of the spring-forward night
    public void A_bad_window_is_refused_naming_its_field(string cron, string zone, double seconds, string field)
    {
        var errors = ConfigLimits.Validate(new AutoHealConfig { Maintenance = new MaintenanceConfig { Windows = [Nightly(cron, zone, seconds)] } });

        Assert.Equal([field], errors.Keys);
    }
}
