using System.Text;
using System.Text.Json;

namespace AutoHeal.Integration.Tests;

/// <summary>Webhooks told about heals, delivered to a receiver this test runs on 127.0.0.1.</summary>
public sealed class WebhookTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private const string CrashOnTrigger = DockerCli.CrashOnTrigger;
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);
    private readonly WebhookReceiver _receiver = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _receiver.Dispose();
    }

    [Fact]
    public async Task A_heal_is_told_in_the_generic_slack_and_discord_formats()
    {
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new[]
                {
                    // Only heals: the engine's own "engine up" may otherwise come first, when it connects after the webhooks were set.
                    new { name = "generic", url = _receiver.Url("generic"), format = "generic", events = new[] { "healed" } },
                    new { name = "slack", url = _receiver.Url("slack"), format = "slack", events = new[] { "healed" } },
                    new { name = "discord", url = _receiver.Url("discord"), format = "discord", events = new[] { "healed" } },
                },
            },
        });
        var name = Docker.Name("hook-formats");
        await Docker.StartAsync(name, CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        await DockerCli.TriggerCrashAsync(name);

        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Paths.Count(p => p is "/generic" or "/slack" or "/discord") == 3), Soon, "three deliveries");
        using var generic = JsonDocument.Parse(_receiver.Body("/generic"));
        var ev = generic.RootElement.GetProperty("event");
        Assert.Equal(("autoheal", "healed", name), (generic.RootElement.GetProperty("source").GetString(), ev.GetProperty("kind").GetString(), ev.GetProperty("container").GetString()));
        // Titles say which Docker host: the engine's own name, as the default host name "local" says little.
        var engine = (await DockerCli.RunAsync("info", "--format", "{{.Name}}")).Trim();
        using var slack = JsonDocument.Parse(_receiver.Body("/slack"));
        Assert.StartsWith($"*AutoHeal: {engine}/{name} healed*", slack.RootElement.GetProperty("text").GetString(), StringComparison.Ordinal);
        using var discord = JsonDocument.Parse(_receiver.Body("/discord"));
        var embed = discord.RootElement.GetProperty("embeds")[0];
        Assert.Equal($"AutoHeal: {engine}/{name} healed", embed.GetProperty("title").GetString());
        Assert.Contains("healed: running", embed.GetProperty("description").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Maintenance_started_and_ended_reach_a_webhook()
    {
        await Api.PutConfigAsync(new { notifications = new { webhooks = new[] { new { name = "ops", url = _receiver.Url("ops"), format = "slack" } } } });

        await Api.StartMaintenanceAsync(new HoldRequest(600, "db upgrade"));
        await Api.EndMaintenanceAsync();

        // Both delivered (the engine's own "engine up" may come too, when it connects after the webhook was set).
        List<string?> Texts() => _receiver.Requests.Where(r => r.Ok).Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("text").GetString()).ToList();
        await Eventually.HoldsAsync(() => Task.FromResult(Texts().Any(t => t!.Contains("ended by the API", StringComparison.Ordinal))), Soon, "the end delivered");
        Assert.Contains(Texts(), t => t!.Contains("maintenance_started", StringComparison.Ordinal) || t.Contains("maintenance until", StringComparison.Ordinal));
        Assert.Single(Texts(), t => t!.Contains("ended by the API", StringComparison.Ordinal));
    }

    [Fact]
    public async Task What_a_container_says_reaches_chat_escaped_so_it_can_neither_ping_nor_disguise_a_link()
    {
        await RestartWithAsync(QuarantineAfter(1));
        await Api.PutConfigAsync(new
        {
            notifications = new
            {
                webhooks = new[]
                {
                    new { name = "slack", url = _receiver.Url("slack"), format = "slack", events = new[] { "quarantined" } },
                    new { name = "discord", url = _receiver.Url("discord"), format = "discord", events = new[] { "quarantined" } },
                },
            },
        });
        var name = Docker.Name("hook-evil");
        // Its own check's output, which its image's author writes, lands in the quarantine's reason.
        await Docker.StartAsync(name, "exec sleep 1000", [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec",
            "--label", "autoheal.check.command=echo '<!channel> @everyone [open](http://evil.example) <http://evil.example|your bank>'; exit 1",
            "--label", "autoheal.check.interval=1s", "--label", "autoheal.check.retries=1"]);

        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Delivered.Count(p => p is "/slack" or "/discord") == 2), TimeSpan.FromSeconds(40), "the quarantine told to both");

        var slack = JsonDocument.Parse(_receiver.Body("/slack")).RootElement.GetProperty("text").GetString()!;
        Assert.Contains("&lt;!channel&gt;", slack, StringComparison.Ordinal);
        Assert.Contains("&lt;http://evil.example|your bank&gt;", slack, StringComparison.Ordinal);
        Assert.DoesNotContain("<!channel>", slack, StringComparison.Ordinal);
        Assert.DoesNotContain("<http://evil.example", slack, StringComparison.Ordinal);
        using var discord = JsonDocument.Parse(_receiver.Body("/discord"));
        Assert.Equal(0, discord.RootElement.GetProperty("allowed_mentions").GetProperty("parse").GetArrayLength()); // no @everyone, @here, user or role
        var description = discord.RootElement.GetProperty("embeds")[0].GetProperty("description").GetString()!;
        Assert.Contains(@"\[open\]\(http://evil.example\)", description, StringComparison.Ordinal); // shown as text, not a masked link
        Assert.DoesNotContain("[open](", description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_receiver_is_retried_without_delaying_the_heal()
    {
        _receiver.FailFirst = 2;
        await Api.PutConfigAsync(new { notifications = new { webhooks = new[] { new { name = "flaky", url = _receiver.Url("flaky"), format = "generic", events = new[] { "healed" } } } } });
        var name = Docker.Name("hook-retry");
        await Docker.StartAsync(name, CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "the heal");
        var attemptsWhenHealed = _receiver.Paths.Count(p => p == "/flaky");

        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Delivered.Count(p => p == "/flaky") == 1), Soon, "the third attempt to get through");
        Assert.True(attemptsWhenHealed < 3, "the heal did not wait for the webhook's retries");
        Assert.Equal(3, _receiver.Paths.Count(p => p == "/flaky"));
        Assert.Contains(Autoheal.Lines, l => l.Contains("Notification flaky: healed not delivered (attempt 1: answered 500); retrying", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Repeats_of_one_alert_are_folded()
    {
        await Api.PutConfigAsync(new { notifications = new { fold_seconds = 300, webhooks = new[] { new { name = "ops", url = _receiver.Url("ops"), format = "generic", events = new[] { "healed" } } } } });
        var name = Docker.Name("hook-fold");
        await Docker.StartAsync(name, CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        for (var heal = 1; heal <= 2; heal++)
        {
            await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "running", Soon, "running");
            await DockerCli.TriggerCrashAsync(name);
            var n = heal;
            await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == n, Soon, $"heal {n}");
        }

        // AutoHeal's word that it folded the second alert, rather than sent it.
        await Autoheal.WaitForLogAsync($"Notification ops: healed for local/{name} folded", Soon);
        Assert.Single(_receiver.Delivered, p => p == "/ops");
    }

    [Fact]
    public async Task Webhook_urls_are_masked_in_reads_exports_and_logs_and_a_masked_import_keeps_them()
    {
        var secretUrl = _receiver.Url("hooks/T0KEN-s3cret");
        await Api.PutConfigAsync(new { notifications = new { webhooks = new[] { new { name = "team", url = secretUrl, format = "slack" } } } });

        var shown = (await Api.GetConfigAsync()).Notifications.Webhooks.Single();
        var export = await (await Api.ExportConfigAsync()).Content.ReadAsStringAsync();
        Assert.Equal($"http://127.0.0.1:{_receiver.Port}/***", shown.Url);
        Assert.DoesNotContain("T0KEN-s3cret", export, StringComparison.Ordinal);

        // The masked URL comes back with no webhook of that name left: refused, not guessed, nothing applied.
        await Api.PutConfigAsync(new { notifications = new { webhooks = Array.Empty<object>() } });
        var refused = await Assert.ThrowsAnyAsync<Refit.ValidationApiException>(() => Api.ImportConfigAsync(new StringContent(export, Encoding.UTF8, "application/json")));
        Assert.True(refused.Content!.Errors.ContainsKey("notifications.webhooks[0].url"));
        Assert.Empty((await Api.GetConfigAsync()).Notifications.Webhooks);

        await Api.PutConfigAsync(new { notifications = new { webhooks = new[] { new { name = "team", url = secretUrl, format = "slack" } } } });
        using var content = new StringContent(export, Encoding.UTF8, "application/json");
        var imported = await Api.ImportConfigAsync(content);
        Assert.Equal("team", imported.Notifications.Webhooks.Single().Name);

        var results = await Api.TestNotificationAsync("team");
        var result = Assert.Single(results);
        Assert.True(result.Delivered, result.Error);
        Assert.Contains("/hooks/T0KEN-s3cret", _receiver.Delivered); // the real URL was kept through the import
        Assert.Contains("test notification", _receiver.Body("/hooks/T0KEN-s3cret"), StringComparison.Ordinal);
        Assert.DoesNotContain(Autoheal.Lines, l => l.Contains("T0KEN-s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_masked_url_for_an_unknown_webhook_is_refused_naming_the_field()
    {
        var ex = await Assert.ThrowsAnyAsync<Refit.ValidationApiException>(() => Api.PutConfigAsync(new
        {
            notifications = new { webhooks = new[] { new { name = "ghost", url = "https://hooks.example.invalid/***", format = "generic" } } },
        }));

        Assert.True(ex.Content!.Errors.ContainsKey("notifications.webhooks[0].url"));
        Assert.Empty((await Api.GetConfigAsync()).Notifications.Webhooks);
        var badFormat = await Assert.ThrowsAnyAsync<Refit.ValidationApiException>(() => Api.PutConfigAsync(new
        {
            notifications = new { webhooks = new[] { new { name = "x", url = _receiver.Url("x"), format = "teams" } } },
        }));
        Assert.True(badFormat.Content!.Errors.ContainsKey("notifications.webhooks[0].format"));
    }
}
