using System.Text.Json;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace AutoHeal.Ui.Tests;

/// <summary>The dashboard in headless Chromium against the real autoheal and real containers.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardTests(DashboardFixture f)
{
    /// <summary>Waits for /tmp/crash, then exits 9: a crash on demand (PID 1 ignores signals from inside).</summary>
    private const string CrashOnDemand = DockerCli.CrashOnTrigger;

    private static readonly TimeSpan Live = TimeSpan.FromSeconds(25);

    private IAutoHealApi Api => f.AutoHeal.Api;

    private static ILocator Row(IPage page, string name) => page.Locator($"tr[data-name='{name}']");

    private static ILocator Cell(IPage page, string name, string col) => Row(page, name).Locator($"[data-col='{col}']");

    /// <summary>Starts <paramref name="name"/> (opted in, crashes on demand) and opens the Containers page once it shows it monitored.</summary>
    private async Task<IPage> ContainersPageWatchingAsync(string name)
    {
        await f.Docker.StartAsync(name, CrashOnDemand, f.AutoHeal.OptIn);
        var page = await f.SignedInPageAsync("containers");
        await Expect(Cell(page, name, "monitored")).ToContainTextAsync("yes", new() { Timeout = 15_000 });
        return page;
    }

    [Fact]
    public async Task Wrong_tokens_typed_in_one_tab_never_lock_out_a_signed_in_tab_and_guessing_through_the_page_is_slowed_down()
    {
        await using var own = new AutoHealProcess(f.Docker); // limits of its own: the other tests sign in from this address too
        await own.StartAsync();
        var signedIn = await f.NewPageAsync();
        await signedIn.GotoAsync(own.BaseAddress.ToString());
        await signedIn.GetByLabel("API token").FillAsync(own.Token);
        await signedIn.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(signedIn.Locator("[data-stat=engine]")).ToHaveTextAsync("connected");

        // Another visitor, from the same address (every tab's API calls come from the dashboard's one address anyway).
        var guesser = await f.NewPageAsync();
        await guesser.GotoAsync(own.BaseAddress.ToString());
        for (var left = 9; left >= 0; left--)
        {
            await guesser.GetByLabel("API token").FillAsync($"guess-{left}");
            await guesser.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
            await Expect(guesser.Locator("#token-error")).ToContainTextAsync($"({left} more tries this minute)");
        }

        await guesser.GetByLabel("API token").FillAsync(own.Token); // even the right one, until the minute is over
        await guesser.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(guesser.Locator("#token-error")).ToContainTextAsync("Too many wrong tokens from your address");

        // The signed-in tab goes on: its calls were never the guesser's.
        await signedIn.GetByRole(AriaRole.Link, new() { Name = "Events", Exact = true }).ClickAsync();
        await Expect(signedIn.Locator("table.events tbody tr").First).ToBeVisibleAsync();
        await Expect(signedIn.Locator(".load-problem, [role=alert]")).ToHaveCountAsync(0);
        await guesser.Context.CloseAsync();
        await signedIn.Context.CloseAsync();
    }

    [Fact]
    public async Task Behind_a_socket_proxy_that_refuses_restarts_the_dashboard_says_autoheal_is_notify_only()
    {
        await using var proxy = new DockerSocketProxy();
        proxy.Refuse(line => line.StartsWith("POST ", StringComparison.Ordinal) && line.Contains("/restart", StringComparison.Ordinal));
        await using var narrow = new AutoHealProcess(f.Docker, new Dictionary<string, string> { ["AutoHeal:Docker:Endpoint"] = proxy.Endpoint });
        await narrow.StartAsync();
        await narrow.WaitForLogAsync("refuses part of what AutoHeal does", Live);
        var page = await f.NewPageAsync();
        await page.GotoAsync(narrow.BaseAddress.ToString());
        await page.GetByLabel("API token").FillAsync(narrow.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();

        var banner = page.Locator("[data-refused]");
        await Expect(banner).ToContainTextAsync("The Docker engine refuses part of what AutoHeal does");
        await Expect(banner).ToContainTextAsync("restart refused (403 Forbidden): notify-only: failures are recorded and notified, never healed");
        await Expect(banner.Locator("li")).ToHaveCountAsync(1);
        await DashboardFixture.ScreenshotAsync(page, "dashboard-refused.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Sign_in_refuses_a_wrong_token_with_a_clear_message_then_accepts_the_right_one()
    {
        var page = await f.NewPageAsync();
        await page.GotoAsync(f.AutoHeal.BaseAddress.ToString());

        await page.GetByLabel("API token").FillAsync("not-the-token-at-all");
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#token-error")).ToContainTextAsync("AutoHeal did not accept this token");
        await DashboardFixture.ScreenshotAsync(page, "signin.png");

        await page.GetByLabel("API token").FillAsync(f.AutoHeal.Token);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await Expect(page.Locator("[data-stat=engine]")).ToHaveTextAsync("connected");

        // The token is kept for the tab's session: a reload stays signed in.
        await page.ReloadAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Dashboard" })).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_real_crash_shows_healed_without_a_reload_on_every_tab()
    {
        var name = f.Docker.Name("crash");
        await using var removal = DockerCli.RemoveAtEnd(name);
        var page = await ContainersPageWatchingAsync(name);
        await Expect(Cell(page, name, "restarts")).ToHaveTextAsync("0");
        var started = await DockerCli.StartedAtAsync(name);

        await DockerCli.TriggerCrashAsync(name);

        await Expect(Cell(page, name, "restarts")).ToHaveTextAsync("1", new() { Timeout = (float)Live.TotalMilliseconds });
        await Expect(Cell(page, name, "state")).ToContainTextAsync("running", new() { Timeout = (float)Live.TotalMilliseconds });
        Assert.NotEqual(started, await DockerCli.StartedAtAsync(name));
        await Expect(Cell(page, name, "last-heal")).ToContainTextAsync("because crashed with exit code 9", new() { Timeout = (float)Live.TotalMilliseconds });
        await DashboardFixture.ScreenshotAsync(page, "containers.png");

        await Row(page, name).GetByRole(AriaRole.Link, new() { Name = name }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Heading, new() { Name = name })).ToBeVisibleAsync();
        await Expect(page.Locator("table.events [data-kind=healed]").First).ToBeVisibleAsync(new() { Timeout = (float)Live.TotalMilliseconds });
        // What AutoHeal kept from the crash, on the restart's row: folded until asked for.
        var restarting = page.Locator("table.events tr[data-kind=restarting]").First;
        await Expect(restarting.Locator("[data-fact=exit-code]")).Not.ToBeVisibleAsync();
        await restarting.GetByText("What was kept from the failure").ClickAsync();
        await Expect(restarting.Locator("[data-fact=exit-code]")).ToHaveTextAsync("9");
        await Expect(restarting.Locator("[data-fact=oom]")).ToHaveTextAsync("no");
        await Expect(page.GetByRole(AriaRole.Navigation, new() { Name = $"Pages of {name}'s history" }).GetByText("Page 1 (live)")).ToBeVisibleAsync();
        await DashboardFixture.ScreenshotAsync(page, "container-details.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "Dashboard", Exact = true }).ClickAsync();
        await Expect(page.Locator($"svg rect.bar[data-container='{name}']")).ToHaveAttributeAsync("data-count", "1");
        await DashboardFixture.ScreenshotAsync(page, "dashboard.png");

        await page.GetByRole(AriaRole.Link, new() { Name = "Events", Exact = true }).ClickAsync();
        await page.GetByLabel("Container").FillAsync(name);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await Expect(page.Locator("table.events [data-kind=healed]")).ToHaveCountAsync(1);
        await page.GetByLabel("Kind").SelectOptionAsync("restarting");
        await Expect(page.Locator("table.events tbody tr")).ToHaveCountAsync(1);
        await page.GetByLabel("Kind").SelectOptionAsync("");
        await DashboardFixture.ScreenshotAsync(page, "events.png");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Events_page_through_older_ones_newest_first()
    {
        var page = await f.SignedInPageAsync("events");
        var all = await Api.GetEventsAsync(limit: 1000);
        await Expect(page.Locator("table.events tbody tr").First).ToBeVisibleAsync();
        if (all.Items.Count <= 25)
        {
            await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Older" })).ToBeDisabledAsync();
            return; // a fresh autoheal may have fewer than one page of events
        }

        await page.GetByRole(AriaRole.Button, new() { Name = "Older" }).ClickAsync();
        await Expect(page.GetByText("Page 2")).ToBeVisibleAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Newer" }).ClickAsync();
        await Expect(page.GetByText("Page 1 (live)")).ToBeVisibleAsync();
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Maintenance_started_on_the_dashboard_shows_on_every_page_until_it_is_ended_and_a_container_is_snoozed_on_its_page()
    {
        var name = f.Docker.Name("held");
        await using var removal = DockerCli.RemoveAtEnd(name);
        var containers = await ContainersPageWatchingAsync(name);
        try
        {
            var page = await f.SignedInPageAsync();
            var form = page.Locator("form[data-form='maintenance']");
            await form.GetByLabel("Minutes").FillAsync("10");
            await form.GetByLabel("Reason").FillAsync("ui upgrade");
            await form.GetByRole(AriaRole.Button, new() { Name = "Start maintenance" }).ClickAsync();

            var banner = page.Locator("[data-banner='maintenance']");
            await Expect(banner).ToContainTextAsync("ui upgrade", new() { Timeout = 5_000 });
            Assert.True((await Api.GetMaintenanceAsync()).Active);
            await Expect(containers.Locator("[data-banner='maintenance']")).ToContainTextAsync("ui upgrade", new() { Timeout = 5_000 }); // the other tab too
            await Expect(Cell(containers, name, "quarantine")).ToContainTextAsync("held");

            await banner.GetByRole(AriaRole.Button, new() { Name = "End maintenance" }).ClickAsync();
            await Expect(banner).ToHaveCountAsync(0, new() { Timeout = 5_000 });
            Assert.False((await Api.GetMaintenanceAsync()).Active);

            var details = await f.SignedInPageAsync($"containers/{name}");
            var snooze = details.Locator("form[data-form='snooze']");
            await snooze.GetByLabel("Minutes").FillAsync("0");
            await snooze.GetByRole(AriaRole.Button, new() { Name = "Snooze" }).ClickAsync();
            await Expect(snooze.GetByRole(AriaRole.Alert)).ToContainTextAsync("between 1 and 10080"); // refused next to the field, nothing sent
            await snooze.GetByLabel("Minutes").FillAsync("15");
            await snooze.GetByLabel("Reason").FillAsync("deploy");
            await snooze.GetByRole(AriaRole.Button, new() { Name = "Snooze" }).ClickAsync();
            await Expect(details.Locator("[data-fact='hold']")).ToContainTextAsync("snoozed (deploy)", new() { Timeout = 5_000 });
            Assert.Equal("snoozed (deploy)", (await Api.GetContainerAsync(name)).Container.Hold?.Why);

            await details.GetByRole(AriaRole.Button, new() { Name = "End snooze" }).ClickAsync();
            await Expect(details.Locator("[data-fact='hold']")).ToHaveTextAsync("no", new() { Timeout = 5_000 });
            await page.Context.CloseAsync();
            await details.Context.CloseAsync();
            await containers.Context.CloseAsync();
        }
        finally
        {
            await Api.EndMaintenanceAsync(); // the fixture's AutoHeal is shared by the other tests
        }
    }

    [Fact]
    public async Task A_container_disabled_in_the_ui_stays_down_after_a_crash()
    {
        var name = f.Docker.Name("off");
        await using var removal = DockerCli.RemoveAtEnd(name);
        var page = await ContainersPageWatchingAsync(name);

        await page.GetByLabel($"Select {name}").CheckAsync();
        await page.GetByRole(AriaRole.Button, new() { Name = "Disable auto-heal" }).ClickAsync();
        await Expect(Cell(page, name, "monitored")).ToContainTextAsync("no");

        await DockerCli.TriggerCrashAsync(name);
        // AutoHeal saw the crash (its view shows it exited): with these timings a heal would follow within a second.
        await Expect(Cell(page, name, "state")).ToContainTextAsync("exited", new() { Timeout = (float)Live.TotalMilliseconds });
        await Eventually.StaysTrueAsync(async () => await DockerCli.StateAsync(name) == "exited", "it to stay down", TimeSpan.FromSeconds(3));
        await Expect(Cell(page, name, "restarts")).ToHaveTextAsync("0");
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_flapping_container_is_quarantined_and_the_ui_releases_it()
    {
        var name = f.Docker.Name("flap");
        var ok = Path.Combine(Path.GetTempPath(), $"{name}-ok");
        await File.WriteAllTextAsync(ok, "");
        try
        {
            // Crashes half a second after each start, until /tmp/ok exists; one heal allowed before quarantine.
            await f.Docker.StartAsync(name, "if [ -f /tmp/ok ]; then exec sleep 1000; fi; sleep 0.5; exit 9",
                [.. f.AutoHeal.OptIn, "--label", "autoheal.max_restarts=1"]);
            var page = await f.SignedInPageAsync("containers");
            await Expect(Cell(page, name, "quarantine")).ToContainTextAsync("quarantined", new() { Timeout = 40_000 });

            await DockerCli.RunAsync("cp", ok, $"{name}:/tmp/ok"); // fixed: it will run once released
            await page.GetByLabel($"Select {name}").CheckAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Unquarantine" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).First).ToContainTextAsync("Quarantine ended");

            await Expect(Cell(page, name, "quarantine")).ToHaveTextAsync("", new() { Timeout = (float)Live.TotalMilliseconds });
            await Expect(Cell(page, name, "state")).ToContainTextAsync("running", new() { Timeout = (float)Live.TotalMilliseconds });
            Assert.False((await Api.GetContainerAsync(name)).Container.Quarantined);
            await page.Context.CloseAsync();
        }
        finally
        {
            await DockerCli.TryRunAsync("rm", "-f", name);
            File.Delete(ok);
        }
    }

    [Fact]
    public async Task A_bad_restart_policy_shows_its_error_next_to_the_field_and_saves_nothing_a_good_one_is_saved()
    {
        var before = await Api.GetConfigAsync();
        try
        {
            var page = await f.SignedInPageAsync("config");
            var cooldown = page.GetByLabel("Cooldown between heals (s)");
            await cooldown.FillAsync("-5");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save restart policy" }).ClickAsync();

            await Expect(page.Locator("#restart-cooldown_seconds-error")).ToContainTextAsync("restart.cooldown_seconds must be between 0 and 86400");
            await Expect(cooldown).ToHaveAttributeAsync("aria-invalid", "true");
            Assert.Equal(before, await Api.GetConfigAsync());
            await DashboardFixture.ScreenshotAsync(page, "configuration.png");

            await cooldown.FillAsync("0.75");
            await page.GetByRole(AriaRole.Button, new() { Name = "Save restart policy" }).ClickAsync();
            await Expect(page.Locator("form[data-section=restart] [role=status]")).ToHaveTextAsync("Saved.");
            await Expect(page.Locator("#restart-cooldown_seconds-error")).ToHaveCountAsync(0);
            Assert.Equal(0.75, (await Api.GetConfigAsync()).Restart.CooldownSeconds);
            Assert.Equal(before.Monitor, (await Api.GetConfigAsync()).Monitor);
            await page.Context.CloseAsync();
        }
        finally
        {
            await Api.PutRestartConfigAsync(before.Restart);
        }
    }

    [Fact]
    public async Task Notification_targets_are_added_tested_and_removed_on_the_configuration_page_with_errors_next_to_the_field()
    {
        using var receiver = new WebhookReceiver
        {
            Answer = r => r.Path == "/refuses" ? (401, """{"error":"invalid token"}""") : null,
        };
        try
        {
            var page = await f.SignedInPageAsync("config");
            var name = page.GetByLabel("Name", new() { Exact = true });
            var url = page.GetByLabel("URL", new() { Exact = true });
            var add = page.GetByRole(AriaRole.Button, new() { Name = "Add target" });

            // A URL of the wrong form: the API's words next to the field, nothing saved.
            await name.FillAsync("phone");
            await url.FillAsync("tgram://not-a-token/123");
            await add.ClickAsync();
            await Expect(page.Locator("#nt-url-error")).ToContainTextAsync("tgram://bot_token/chat_id");
            await Expect(url).ToHaveAttributeAsync("aria-invalid", "true");
            Assert.Empty((await Api.GetConfigAsync()).Notifications.Webhooks);

            await url.FillAsync($"ntfy://127.0.0.1:{receiver.Port}/ui-alerts");
            await page.GetByLabel("Title prefix").FillAsync("[ui]");
            await page.Locator("input[data-kind=heal_scheduled]").CheckAsync();
            await add.ClickAsync();
            var phone = page.Locator("tr[data-target=phone]");
            await Expect(phone).ToContainTextAsync($"ntfy://127.0.0.1:{receiver.Port}/***"); // the topic is a secret
            await Expect(phone).ToContainTextAsync("heal_scheduled");
            await Expect(page.Locator("#nt-url-error")).ToHaveCountAsync(0);

            await name.FillAsync("refusing");
            await url.FillAsync(receiver.Url("refuses"));
            await add.ClickAsync();
            await Expect(page.Locator("tr[data-target=refusing]")).ToBeVisibleAsync();
            await page.GetByRole(AriaRole.Button, new() { Name = "Test refusing" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Test to refusing failed" })).ToContainTextAsync("answered 401: invalid token");
            await DashboardFixture.ScreenshotAsync(page, "notifications.png");

            // Removing one sends the others back masked: phone keeps its real topic.
            await page.GetByRole(AriaRole.Button, new() { Name = "Remove refusing" }).ClickAsync();
            await Expect(page.Locator("tr[data-target=refusing]")).ToHaveCountAsync(0);
            await page.GetByRole(AriaRole.Button, new() { Name = "Test phone" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Status).Filter(new() { HasText = "Test sent to phone." })).ToBeVisibleAsync();
            var sent = receiver.Received[^1];
            Assert.Equal("ui-alerts", sent.Json.GetProperty("topic").GetString());
            Assert.StartsWith("[ui] AutoHeal: ", sent.Json.GetProperty("title").GetString(), StringComparison.Ordinal);
            var saved = Assert.Single((await Api.GetConfigAsync()).Notifications.Webhooks);
            Assert.Equal(("phone", "info"), (saved.Name, saved.MinSeverity));
            Assert.Contains("heal_scheduled", saved.Events);
            await page.Context.CloseAsync();
        }
        finally
        {
            await Api.PutConfigAsync(new { notifications = new { webhooks = Array.Empty<object>() } });
        }
    }

    [Fact]
    public async Task An_exported_configuration_imports_back()
    {
        var before = await Api.GetConfigAsync();
        var file = Path.Combine(Path.GetTempPath(), $"{f.Docker.RunId}-export.json");
        try
        {
            var page = await f.SignedInPageAsync("config");
            var download = await page.RunAndWaitForDownloadAsync(() =>
                page.GetByRole(AriaRole.Button, new() { Name = "Export configuration" }).ClickAsync());
            Assert.StartsWith("autoheal-config-", download.SuggestedFilename, StringComparison.Ordinal);
            await download.SaveAsAsync(file);
            var exported = JsonSerializer.Deserialize<AutoHealConfig>(await File.ReadAllTextAsync(file), AutoHealApiClient.Json)!;
            Assert.Equal(before, exported);

            await Api.PutRestartConfigAsync(new Dictionary<string, object> { ["cooldown_seconds"] = 3, ["max_restarts"] = 9 });
            Assert.Equal(3, (await Api.GetConfigAsync()).Restart.CooldownSeconds);

            await page.Locator("#import-file").SetInputFilesAsync(file);
            await Expect(page.GetByRole(AriaRole.Status).Last).ToContainTextAsync("Imported");
            Assert.Equal(before, await Api.GetConfigAsync());
            await Expect(page.GetByLabel("Heals allowed in the window")).ToHaveValueAsync(before.Restart.MaxRestarts.ToString(System.Globalization.CultureInfo.InvariantCulture));
            await page.Context.CloseAsync();
        }
        finally
        {
            await Api.PutRestartConfigAsync(before.Restart);
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_custom_health_check_is_added_and_removed_on_the_details_page()
    {
        var name = f.Docker.Name("check");
        await using var removal = DockerCli.RemoveAtEnd(name);
        await f.Docker.StartAsync(name, "exec sleep 1000", f.AutoHeal.OptIn);
        var page = await f.SignedInPageAsync($"containers/{name}");
        await page.GetByLabel("Type").SelectOptionAsync("exec");
        await page.GetByLabel("Command").FillAsync("test -f /tmp/ok");
        await page.GetByLabel("Timeout (s)").FillAsync("50"); // longer than the interval: refused by the API
        await page.GetByRole(AriaRole.Button, new() { Name = "Add health check" }).ClickAsync();
        await Expect(page.Locator("#hc-timeout-error")).ToContainTextAsync("timeout_seconds must not exceed interval_seconds");
        Assert.DoesNotContain(await Api.ListHealthChecksAsync(), c => c.ContainerId == name);

        await page.GetByLabel("Timeout (s)").FillAsync("2");
        await page.GetByRole(AriaRole.Button, new() { Name = "Add health check" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Remove health check" })).ToBeVisibleAsync();
        Assert.Contains(await Api.ListHealthChecksAsync(), c => c.ContainerId == name && c.ExecCommand == "test -f /tmp/ok");

        await page.GetByRole(AriaRole.Button, new() { Name = "Remove health check" }).ClickAsync();
        await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Add health check" })).ToBeVisibleAsync();
        Assert.DoesNotContain(await Api.ListHealthChecksAsync(), c => c.ContainerId == name);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task On_a_phone_sized_screen_the_containers_table_turns_into_cards()
    {
        var name = f.Docker.Name("phone");
        await using var removal = DockerCli.RemoveAtEnd(name);
        await f.Docker.StartAsync(name, "exec sleep 1000", f.AutoHeal.OptIn);
        var page = await f.SignedInPageAsync("containers");
        await page.SetViewportSizeAsync(390, 844);
        await Expect(Row(page, name)).ToBeVisibleAsync();
        Assert.Equal("none", await page.Locator("table.containers thead").EvaluateAsync<string>("e => getComputedStyle(e).display"));
        var width = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the page scrolls sideways on a phone ({width}px wide)");
        await page.Context.CloseAsync();
    }
}
