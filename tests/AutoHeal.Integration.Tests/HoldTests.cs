using System.Globalization;
using Refit;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// Holding heals back on the real engine: maintenance started over the API, a snooze by the API and by a label. A
/// failure meanwhile is recorded (AutoHeal's own skipped event is the positive sign that it decided), not healed; the
/// container is healed at once when the hold ends.
/// </summary>
public sealed class HoldTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    // Runs until a test touches /tmp/crash, then exits with code 9; after a restart it runs again.
    private const string CrashOnTrigger = DockerCli.CrashOnTrigger;

    [Fact]
    public async Task A_crash_during_maintenance_is_recorded_not_healed_and_healed_at_once_when_maintenance_ends()
    {
        var name = Docker.Name("maint");
        await using var removal = DockerCli.RemoveAtEnd(name); // its polling loop would load the rest of the run
        await StartListedAsync(name);

        var started = await Api.StartMaintenanceAsync(new HoldRequest(1800, "db upgrade"));
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Skipped) == 1, Soon, "the crash to be recorded and held");

        Assert.True(started.Active);
        Assert.Equal("db upgrade", started.Reason);
        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal(0, await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Restarting));
        var skipped = (await EventLog.ReadAsync(Autoheal.DataDir, name)).Single(e => e.Kind == EventKind.Skipped);
        Assert.Contains("maintenance (db upgrade)", skipped.Message, StringComparison.Ordinal);
        var listed = (await Api.ListContainersAsync()).Single(c => c.Name == name);
        Assert.Equal("maintenance (db upgrade)", listed.Hold?.Why);
        Assert.True((await Api.GetMaintenanceAsync()).Active);
        Assert.Equal(1, await HostEventsAsync(EventKind.MaintenanceStarted));

        var ended = await Api.EndMaintenanceAsync();

        Assert.False(ended.Active);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the crash to be healed once maintenance ended");
        Assert.Equal("running", await DockerCli.StateAsync(name));
        Assert.Equal(1, await HostEventsAsync(EventKind.MaintenanceEnded));
        Assert.Contains("when the hold ended", (await EventLog.ReadAsync(Autoheal.DataDir, name)).Single(e => e.Kind == EventKind.HealScheduled).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_extended_and_a_crash_it_holds_survive_a_restart_of_autoheal()
    {
        var name = Docker.Name("maint-restart");
        await using var removal = DockerCli.RemoveAtEnd(name); // its polling loop would load the rest of the run
        await StartListedAsync(name);
        var first = await Api.StartMaintenanceAsync(new HoldRequest(604800, "first"));
        var extended = await Api.StartMaintenanceAsync(new HoldRequest(604800, "extended")); // past 7 days from its start
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Skipped) == 1, Soon, "the crash to be held");

        await Autoheal.KillAsync();
        await using var again = Autoheal.OnSameData();
        await again.StartAsync();

        var after = await again.Api.GetMaintenanceAsync();
        Assert.True(after.Active); // the document was readable: nothing set aside
        Assert.Equal("extended", after.Reason);
        Assert.True(extended.Until > first.Until);
        Assert.Equal("exited", await DockerCli.StateAsync(name));
        await again.Api.EndMaintenanceAsync();
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(again.DataDir, name, EventKind.Healed) == 1, Soon, "the held crash to be healed after the restart");
    }

    [Fact]
    public async Task Maintenance_that_runs_out_ends_by_itself_and_the_failure_it_held_is_healed()
    {
        var name = Docker.Name("maint-timed");
        await using var removal = DockerCli.RemoveAtEnd(name); // its polling loop would load the rest of the run
        await StartListedAsync(name);

        await Api.StartMaintenanceAsync(new HoldRequest(6, null)); // long enough for the crash to land inside it on a slow machine
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Skipped) == 1, Soon, "the crash to be held");

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the crash to be healed at the maintenance's end");
        await Eventually.HoldsAsync(async () => await HostEventsAsync(EventKind.MaintenanceEnded) == 1, Soon, "the end of maintenance to be said");
        Assert.False((await Api.GetMaintenanceAsync()).Active);
    }

    [Fact]
    public async Task A_scheduled_window_created_a_few_seconds_ahead_holds_back_a_crash_by_itself_and_the_crash_is_healed_after_it()
    {
        var name = Docker.Name("window");
        await using var removal = DockerCli.RemoveAtEnd(name); // its polling loop would load the rest of the run
        await StartListedAsync(name);
        var start = DateTimeOffset.UtcNow.AddSeconds(3);
        var cron = string.Create(CultureInfo.InvariantCulture, $"{start.Second} {start.Minute} {start.Hour} * * *"); // seconds first: once a day, from 3 s from now

        var saved = await Api.PutConfigAsync(new { maintenance = new { windows = new[] { new { cron, time_zone = "UTC", duration_seconds = 10, reason = "test window" } } } });
        await Eventually.HoldsAsync(async () => (await Api.GetMaintenanceAsync()).Active, Soon, "the window to begin");
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Skipped) == 1, Soon, "the crash to be held by the window");

        Assert.Equal(cron, Assert.Single(saved.Maintenance.Windows).Cron);
        Assert.True((await Api.GetMaintenanceAsync()).Scheduled);
        Assert.Contains("maintenance (scheduled window: test window)", (await EventLog.ReadAsync(Autoheal.DataDir, name)).Single(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the crash to be healed after the window");
        await Eventually.HoldsAsync(async () => await HostEventsAsync(EventKind.MaintenanceEnded) == 1, Soon, "the window's end to be said");
        Assert.Equal(1, await HostEventsAsync(EventKind.MaintenanceStarted));
        var exported = await (await Api.ExportConfigAsync()).Content.ReadAsStringAsync();
        Assert.Contains(cron, exported, StringComparison.Ordinal); // exported (and imported) with the rest
    }

    [Fact]
    public async Task A_snoozed_container_is_held_back_alone_and_healed_when_its_snooze_is_ended()
    {
        var snoozed = Docker.Name("snoozed");
        await using var snoozedRemoval = DockerCli.RemoveAtEnd(snoozed); // its polling loop would load the rest of the run
        var other = Docker.Name("not-snoozed");
        await using var otherRemoval = DockerCli.RemoveAtEnd(other); // its polling loop would load the rest of the run
        await Docker.StartAsync(snoozed, CrashOnTrigger, Autoheal.OptIn);
        await Docker.StartAsync(other, CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == snoozed || c.Name == other) == 2, Soon, "both listed");

        var view = await Api.SnoozeAsync(snoozed, new HoldRequest(600, "deploy"));
        await DockerCli.TriggerCrashAsync(snoozed);
        await DockerCli.TriggerCrashAsync(other);

        Assert.Equal("snoozed (deploy)", view.Hold?.Why);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, other, EventKind.Healed) == 1, Soon, "the other container to be healed");
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, snoozed, EventKind.Skipped) == 1, Soon, "the snoozed crash to be held");
        Assert.Equal("exited", await DockerCli.StateAsync(snoozed));
        Assert.Equal(1, await EventLog.CountAsync(Autoheal.DataDir, snoozed, EventKind.Snoozed));

        var after = await Api.EndSnoozeAsync(snoozed);

        Assert.Null(after.Hold);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, snoozed, EventKind.Healed) == 1, Soon, "the snoozed container to be healed once its snooze ended");
        var again = await Assert.ThrowsAnyAsync<ApiException>(() => Api.EndSnoozeAsync(snoozed));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, again.StatusCode);
    }

    [Fact]
    public async Task A_snooze_label_from_a_deploy_script_holds_heals_back_until_its_time()
    {
        var name = Docker.Name("label-snooze");
        await using var removal = DockerCli.RemoveAtEnd(name); // its polling loop would load the rest of the run
        var until = DateTimeOffset.UtcNow.AddSeconds(8).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
        await Docker.StartAsync(name, CrashOnTrigger, [.. Autoheal.OptIn, "--label", $"autoheal.snooze_until={until}"]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "autoheal to list the container");

        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Skipped) == 1, Soon, "the crash to be held by the label");

        Assert.Contains("snoozed by its label autoheal.snooze_until", (await EventLog.ReadAsync(Autoheal.DataDir, name)).Single(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the crash to be healed at the label's time");
    }

    [Theory]
    [InlineData("""{"duration_seconds": 0}""", "duration_seconds")]
    [InlineData("""{"duration_seconds": 604801}""", "duration_seconds")]
    [InlineData("""{"reason": "no duration"}""", "duration_seconds")]
    [InlineData("""{"duration_seconds": 60, "until": "2030-01-01T00:00:00Z"}""", "until")]
    [InlineData("""{"duration_seconds": 60, "reason": "line\nbreak"}""", "reason")]
    public async Task A_bad_maintenance_request_names_its_field_and_changes_nothing(string body, string field)
    {
        using var http = Autoheal.AuthorizedHttp();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var answer = await http.PostAsync(new Uri("/api/maintenance", UriKind.Relative), content);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains(field, await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.False((await Api.GetMaintenanceAsync()).Active);
    }

    private async Task<int> HostEventsAsync(EventKind kind) => (await EventLog.ReadAsync(Autoheal.DataDir)).Count(e => e.Kind == kind && e.Key is null);

    /// <summary>Starts <paramref name="name"/> (opted in, crashes on demand) and waits for AutoHeal to list it.</summary>
    private async Task StartListedAsync(string name, params string[] extra)
    {
        await Docker.StartAsync(name, CrashOnTrigger, [.. Autoheal.OptIn, .. extra]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "autoheal to list the container");
    }
}
