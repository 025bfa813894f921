using System.Net;
using System.Text;
using Refit;

namespace AutoHeal.Integration.Tests;

/// <summary>The REST API of the real autoheal on loopback, through the Refit client, with the real engine.</summary>
public sealed class ApiTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private const string CrashOnTrigger = DockerCli.CrashOnTrigger;
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Every_api_call_needs_the_token_and_health_does_not()
    {
        var anonymous = AutoHealApiClient.Create(Autoheal.BaseAddress, token: null);
        var wrong = AutoHealApiClient.Create(Autoheal.BaseAddress, token: "not-the-token-at-all");

        var e1 = await Assert.ThrowsAnyAsync<ApiException>(() => anonymous.GetStatusAsync());
        var e2 = await Assert.ThrowsAnyAsync<ApiException>(() => wrong.ListContainersAsync());
        var e3 = await Assert.ThrowsAnyAsync<ApiException>(() => wrong.PutRestartConfigAsync(new { cooldown_seconds = 99 }));

        Assert.All(new[] { e1, e2, e3 }, e => Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode));
        Assert.Equal(0.5, (await Api.GetConfigAsync()).Restart.CooldownSeconds); // the refused PUT changed nothing
        var health = await anonymous.GetHealthAsync();
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.True(health.Content!.DockerReachable);
    }

    [Fact]
    public async Task A_generated_token_is_kept_in_the_data_folder_printed_once_and_never_logged_again()
    {
        await RestartWithAsync(settings: null, a => a.Settings.Remove("AutoHeal:Api:Token"));
        var token = Autoheal.Token;
        Assert.Single(Autoheal.Lines, l => l.Contains(token, StringComparison.Ordinal));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(Autoheal.DataDir, "api-token")));
        }
        Assert.Equal(HttpStatusCode.OK, await StatusWithTokenAsync(Autoheal, File.ReadAllText(Path.Combine(Autoheal.DataDir, "api-token")).Trim()));
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusWithTokenAsync(Autoheal, token + "x"));

        await Autoheal.StopAsync();
        var again = Autoheal.OnSameData();
        again.Settings.Remove("AutoHeal:Api:Token");
        await using (again)
        {
            await again.StartAsync();
            Assert.Equal(token, again.Token);
            Assert.DoesNotContain(again.Lines, l => l.Contains(token, StringComparison.Ordinal));
            Assert.Equal(HttpStatusCode.OK, await StatusWithTokenAsync(again, token));
        }
    }

    [Fact]
    public async Task Containers_show_state_selection_and_a_detail_view_by_name_or_id()
    {
        var watched = Docker.Name("api-watched");
        var ignored = Docker.Name("api-ignored");
        var id = await Docker.StartAsync(watched, "exec sleep 1000", [.. Autoheal.OptIn, "--health-cmd", "true", "--health-interval", "1s"]);
        await Docker.StartAsync(ignored, "exec sleep 1000");
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == watched && c.Health == "healthy"), Soon, "the container to be listed healthy");

        var list = await Api.ListContainersAsync();
        var w = list.Single(c => c.Name == watched);
        var i = list.Single(c => c.Name == ignored);
        Assert.Equal(("running", true, $"label {Autoheal.LabelKey}=true"), (w.Status, w.Monitored, w.MonitoredReason));
        Assert.Equal((false, $"no label {Autoheal.LabelKey}=true"), (i.Monitored, i.MonitoredReason));
        Assert.Equal("local", w.Host);

        var byName = await Api.GetContainerAsync(watched);
        var byPrefix = await Api.GetContainerAsync(id[..12]);
        Assert.Equal(id, byName.Container.Id);
        Assert.Equal(id, byPrefix.Container.Id);
        Assert.Equal("true", byName.Labels[Autoheal.LabelKey]);
        Assert.Equal(0, byName.Backoff.HealsInIncident);

        var missing = await Assert.ThrowsAnyAsync<ApiException>(() => Api.GetContainerAsync(Docker.Name("nope")));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        var status = await Api.GetStatusAsync();
        Assert.True(status.Engine.Reachable);
        Assert.True(status.Total >= 2);
        Assert.True(status.Monitored >= 1);
        Assert.False(string.IsNullOrEmpty(status.Version));
    }

    [Fact]
    public async Task Disabling_a_container_keeps_it_down_enabling_one_heals_it_and_the_choice_survives_a_restart()
    {
        var disabled = Docker.Name("api-disabled");
        var enabled = Docker.Name("api-enabled");
        await Docker.StartAsync(disabled, CrashOnTrigger, Autoheal.OptIn);
        await Docker.StartAsync(enabled, CrashOnTrigger);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == disabled || c.Name == enabled) == 2, Soon, "both listed");

        var off = await Api.SelectAsync(new SelectRequest([disabled], false));
        var on = await Api.SelectAsync(new SelectRequest([enabled], true));
        Assert.Equal((false, "disabled by an operator", false), (off[0].Monitored, off[0].MonitoredReason, off[0].Selection));
        Assert.Equal((true, "enabled by an operator"), (on[0].Monitored, on[0].MonitoredReason));

        await DockerCli.TriggerCrashAsync(disabled);
        await DockerCli.TriggerCrashAsync(enabled);
        await Eventually.HoldsAsync(async () => (await Api.GetContainerAsync(enabled)).History.Any(e => e.Kind == "healed"), Soon, "the enabled one to be healed");
        Assert.Equal("exited", await DockerCli.StateAsync(disabled));
        Assert.DoesNotContain((await Api.GetContainerAsync(disabled)).History, e => e.Kind == "restarting");

        await Autoheal.StopAsync();
        var again = Autoheal.OnSameData();

        await using (again)
        {
            await again.StartAsync();
            var views = await again.Api.ListContainersAsync();
            Assert.False(views.Single(c => c.Name == disabled).Monitored);
            Assert.True(views.Single(c => c.Name == enabled).Monitored);
        }
    }

    [Fact]
    public async Task Selecting_an_unknown_container_changes_nothing_and_names_it()
    {
        var known = Docker.Name("api-known");
        await Docker.StartAsync(known, "exec sleep 1000", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == known), Soon, "listed");

        var ex = await Assert.ThrowsAsync<ValidationApiException>(() => Api.SelectAsync(new SelectRequest([known, "no-such-container"], false)));

        Assert.Equal(HttpStatusCode.BadRequest, ex.StatusCode);
        Assert.Contains("no container 'no-such-container'", ex.Content!.Errors["containers"]);
        Assert.True((await Api.GetContainerAsync(known)).Container.Monitored);
    }

    [Fact]
    public async Task A_manual_restart_is_recorded_as_such_and_counted_in_metrics()
    {
        var name = Docker.Name("api-manual");
        await Docker.StartAsync(name, "exec sleep 1000", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");
        var started = await DockerCli.StartedAtAsync(name);

        var accepted = await Api.RestartAsync(name);

        Assert.Equal(name, accepted.Container);
        await Eventually.HoldsAsync(async () => (await Api.GetContainerAsync(name)).History.Any(e => e.Kind == "healed"), Soon, "the manual restart to be verified");
        Assert.NotEqual(started, await DockerCli.StartedAtAsync(name));
        var detail = await Api.GetContainerAsync(name);
        Assert.Contains(detail.History, e => e.Kind == "heal_scheduled" && e.Message.Contains("manual restart requested by the API", StringComparison.Ordinal));
        Assert.Equal("manual", detail.History.First(e => e.Kind == "restarting").Reason);
        Assert.Equal(1, detail.Container.RestartCount);
        Assert.Equal(0, detail.Backoff.HealsInWindow); // manual restarts never count toward quarantine
        var metrics = await Autoheal.GetTextAsync("/metrics");
        Assert.Contains($"autoheal_container_restarts_total{{container=\"{name}\",reason=\"manual\",outcome=\"healed\"}} 1", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unquarantine_releases_the_container_and_heals_it_again()
    {
        await RestartWithAsync(QuarantineAfter(1));
        var name = Docker.Name("api-quarantined");
        await Docker.StartAsync(name, "n=$(cat /n 2>/dev/null || echo 0); echo $((n+1)) > /n; if [ $n -ge 2 ]; then exec sleep 1000; fi; sleep 0.5; exit 3", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.GetContainerAsync(name)).Container.Quarantined, Soon, "quarantine");
        Assert.Equal(1, (await Api.GetStatusAsync()).Quarantined);
        var metrics = await Autoheal.GetTextAsync("/metrics");
        Assert.Contains("autoheal_containers_quarantined 1", metrics, StringComparison.Ordinal);

        var released = await Api.UnquarantineAsync(name);

        Assert.False(released.Quarantined);
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "running"
            && (await Api.GetContainerAsync(name)).History.Count(e => e.Kind == "healed") == 2, Soon, "the released container to be healed");
        var history = (await Api.GetContainerAsync(name)).History;
        Assert.Contains(history, e => e.Kind == "released" && e.Message == "released by the API");
        var notQuarantined = await Assert.ThrowsAnyAsync<ApiException>(() => Api.UnquarantineAsync(name));
        Assert.Equal(HttpStatusCode.Conflict, notQuarantined.StatusCode);
    }

    [Fact]
    public async Task A_policy_change_applies_at_once_and_persists_across_a_restart()
    {
        var config = await Api.PutRestartConfigAsync(new { mode = "health", max_restarts = 7 });
        Assert.Equal(("health", 7, 0.5), (config.Restart.Mode, config.Restart.MaxRestarts, config.Restart.CooldownSeconds));

        var name = Docker.Name("api-mode");
        await Docker.StartAsync(name, CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => (await Api.GetContainerAsync(name)).History.Any(e => e.Kind == "skipped"), Soon, "the crash to be skipped");
        Assert.Contains("mode health", (await Api.GetContainerAsync(name)).History.First(e => e.Kind == "skipped").Message, StringComparison.Ordinal);

        await Autoheal.StopAsync();
        var again = Autoheal.OnSameData();

        await using (again)
        {
            await again.StartAsync();
            var after = await again.Api.GetConfigAsync();
            Assert.Equal(("health", 7), (after.Restart.Mode, after.Restart.MaxRestarts));
            Assert.Contains(again.Lines, l => l.Contains("using the configuration saved through the API", StringComparison.Ordinal));
        }
    }

    [Theory]
    [InlineData("""{"cooldown_seconds": -1}""", "restart.cooldown_seconds")]
    [InlineData("""{"cooldown_seconds": 1e9}""", "restart.cooldown_seconds")]
    [InlineData("""{"mode": "sometimes"}""", "restart.mode")]
    [InlineData("""{"max_restarts": 2.5}""", "restart.max_restarts")]
    [InlineData("""{"max_restarts": "5"}""", "restart.max_restarts")]
    [InlineData("""{"backoff_initial_seconds": 60, "backoff_max_seconds": 30}""", "restart.backoff_max_seconds")]
    [InlineData("""{"cooldown_secs": 5}""", "restart.cooldown_secs")]
    [InlineData("""{"cooldown_seconds": 5""", "body")]
    [InlineData("""[1, 2]""", "restart")]
    public async Task A_bad_restart_policy_is_refused_naming_the_field_and_changes_nothing(string body, string field)
    {
        var before = await Api.GetConfigAsync();
        using var http = Http();

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        var response = await http.PutAsync("/api/config/restart", content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(before, await Api.GetConfigAsync());
    }

    [Fact]
    public async Task An_oversize_body_is_refused_and_changes_nothing()
    {
        var before = await Api.GetConfigAsync();
        using var http = Http();
        var huge = "{\"whitelist\": [\"" + new string('a', 2 * 1024 * 1024) + "\"]}";

        using var content = new StringContent(huge, Encoding.UTF8, "application/json");
        var response = await http.PutAsync("/api/config/monitor", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await Api.GetConfigAsync());
    }

    [Fact]
    public async Task Export_then_import_restores_the_same_configuration_and_a_bad_import_changes_nothing()
    {
        await Api.PutMonitorConfigAsync(new { blacklist = new[] { "db-*" }, interval_seconds = 2 });
        await Api.PutRestartConfigAsync(new { mode = "on-failure", backoff_max_seconds = 120 });
        var exported = await Api.ExportConfigAsync();
        Assert.Equal("attachment", exported.Content.Headers.ContentDisposition?.DispositionType);
        var file = await exported.Content.ReadAsStringAsync();
        var saved = await Api.GetConfigAsync();

        await Api.PutConfigAsync(new { monitor = new { blacklist = Array.Empty<string>() }, restart = new { mode = "both" } });
        Assert.NotEqual(saved, await Api.GetConfigAsync());

        using var content = new StringContent(file, Encoding.UTF8, "application/json");
        var imported = await Api.ImportConfigAsync(content);
        Assert.Equal(saved, imported);
        Assert.Equal(saved, await Api.GetConfigAsync());

        // All or nothing: one bad field in an otherwise good file, and nothing is applied.
        var bad = file.Replace("\"on-failure\"", "\"never\"", StringComparison.Ordinal).Replace("\"db-*\"", "\"web-*\"", StringComparison.Ordinal);
        var ex = await Assert.ThrowsAsync<ValidationApiException>(() => Api.ImportConfigAsync(new StringContent(bad, Encoding.UTF8, "application/json")));
        Assert.True(ex.Content!.Errors.ContainsKey("restart.mode"));
        Assert.Equal(saved, await Api.GetConfigAsync());
    }

    [Fact]
    public async Task Concurrent_changes_never_leave_a_mixed_configuration()
    {
        var a = new { restart = new { cooldown_seconds = 11, max_restarts = 11, backoff_max_seconds = 111 }, monitor = new { interval_seconds = 11 } };
        var b = new { restart = new { cooldown_seconds = 22, max_restarts = 22, backoff_max_seconds = 222 }, monitor = new { interval_seconds = 22 } };

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => Api.PutConfigAsync(i % 2 == 0 ? a : b)));

        var final = await Api.GetConfigAsync();
        var n = final.Restart.CooldownSeconds;
        Assert.Contains(n, new[] { 11.0, 22.0 });
        Assert.Equal(n == 11 ? (11, 111.0) : (22, 222.0), (final.Restart.MaxRestarts, final.Restart.BackoffMaxSeconds));
        Assert.Equal(n, final.Monitor.IntervalSeconds);
    }

    [Fact]
    public async Task Health_check_definitions_are_stored_validated_and_removed()
    {
        var name = Docker.Name("api-checked");
        await Docker.StartAsync(name, "exec sleep 1000", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        var http = await Api.CreateHealthCheckAsync(new HealthCheckDefinition { ContainerId = name, CheckType = "http", HttpEndpoint = "http://127.0.0.1:8080/ready", IntervalSeconds = 10, TimeoutSeconds = 2, Retries = 3 });
        Assert.Equal(200, http.HttpExpectedStatus);
        var tcp = await Api.CreateHealthCheckAsync(new HealthCheckDefinition { ContainerId = name, CheckType = "tcp", TcpHost = "127.0.0.1", TcpPort = 5432 });
        Assert.Equal(tcp, await Api.GetHealthCheckAsync(tcp.Id!));
        Assert.Equal([tcp.Id], (await Api.ListHealthChecksAsync()).Where(c => c.ContainerId == name).Select(c => c.Id)); // one per container
        Assert.Equal(tcp, (await Api.GetContainerAsync(name)).CustomCheck);

        await AssertRefused(new HealthCheckDefinition { ContainerId = name, CheckType = "ping" }, "check_type");
        await AssertRefused(new HealthCheckDefinition { ContainerId = name, CheckType = "tcp", TcpHost = "127.0.0.1", TcpPort = 70000 }, "tcp_port");
        await AssertRefused(new HealthCheckDefinition { ContainerId = name, CheckType = "http", HttpEndpoint = "ftp://x" }, "http_endpoint");
        await AssertRefused(new HealthCheckDefinition { ContainerId = name, CheckType = "exec", ExecCommand = " " }, "exec_command");
        await AssertRefused(new HealthCheckDefinition { ContainerId = name, CheckType = "docker", IntervalSeconds = 5, TimeoutSeconds = 10 }, "timeout_seconds");
        await AssertRefused(new HealthCheckDefinition { ContainerId = "not a name!", CheckType = "docker" }, "container_id"); // a name no container could take (one no container has yet is kept: FirstTenMinutesTests)

        await Api.DeleteHealthCheckAsync(tcp.Id!);
        Assert.DoesNotContain(await Api.ListHealthChecksAsync(), c => c.ContainerId == name);
        var gone = await Assert.ThrowsAnyAsync<ApiException>(() => Api.GetHealthCheckAsync(tcp.Id!));
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);

        async Task AssertRefused(HealthCheckDefinition check, string field)
        {
            var count = (await Api.ListHealthChecksAsync()).Count;
            var ex = await Assert.ThrowsAsync<ValidationApiException>(() => Api.CreateHealthCheckAsync(check));
            Assert.True(ex.Content!.Errors.ContainsKey(field), $"expected an error on {field}, got {string.Join(", ", ex.Content.Errors.Keys)}");
            Assert.Equal(count, (await Api.ListHealthChecksAsync()).Count);
        }
    }

    [Fact]
    public async Task Events_page_newest_first_with_filters_and_refuse_bad_parameters()
    {
        var name = Docker.Name("api-events");
        await Docker.StartAsync(name, "if [ -f /again ]; then exec sleep 1000; fi; touch /again; sleep 0.5; exit 3", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "the heal");

        var all = (await Api.GetEventsAsync(container: name)).Items;
        Assert.Equal(["heal_scheduled", "restarting", "healed"], all.Select(e => e.Kind).Reverse());
        Assert.True(all.Zip(all.Skip(1)).All(p => p.First.Id > p.Second.Id), "newest first");

        var first = await Api.GetEventsAsync(limit: 2, container: name);
        Assert.Equal(2, first.Items.Count);
        var second = await Api.GetEventsAsync(limit: 2, container: name, before: first.NextBefore);
        Assert.Equal(all[2].Id, Assert.Single(second.Items).Id);
        Assert.Null(second.NextBefore); // nothing older: no link to an empty page
        Assert.Null((await Api.GetEventsAsync(limit: 3, container: name)).NextBefore); // exactly full, nothing more

        var since = all[^1].At;
        Assert.Equal(3, (await Api.GetEventsAsync(container: name, since: since)).Items.Count);
        Assert.Empty((await Api.GetEventsAsync(container: name, until: since)).Items);
        Assert.Equal(2, (await Api.GetEventsAsync(container: name, kind: "healed,restarting")).Items.Count);

        var badLimit = await Assert.ThrowsAsync<ValidationApiException>(() => Api.GetEventsAsync(limit: 0));
        Assert.True(badLimit.Content!.Errors.ContainsKey("limit"));
        var badKind = await Assert.ThrowsAsync<ValidationApiException>(() => Api.GetEventsAsync(kind: "exploded"));
        Assert.True(badKind.Content!.Errors.ContainsKey("kind"));
    }

    [Fact]
    public async Task A_heal_keeps_the_exit_code_and_last_log_lines_of_the_crash()
    {
        var name = Docker.Name("api-diagnosed");
        await Docker.StartAsync(name,
            "if [ -f /again ]; then exec sleep 1000; fi; touch /again; for i in $(seq 1 40); do echo \"line $i\"; done; sleep 0.3; echo 'fatal: cannot reach db' >&2; sleep 0.5; exit 17",
            Autoheal.OptIn);

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "the heal");

        var restarting = (await Api.GetEventsAsync(container: name, kind: "restarting")).Items.Single();
        var d = restarting.Diagnostics!;
        Assert.Equal(17, d.ExitCode);
        Assert.False(d.OomKilled);
        // 41 lines written (stdout, then after a pause stderr: Docker copies the two streams separately,
        // so the pause is what orders them); the last 30 kept.
        Assert.Equal([.. Enumerable.Range(12, 29).Select(i => $"line {i}"), "fatal: cannot reach db"], d.LogTail);
        Assert.Contains((await Api.GetContainerAsync(name)).History, e => e.Diagnostics?.ExitCode == 17); // in the details view too
    }

    [Fact]
    public async Task The_docs_and_the_openapi_document_are_served()
    {
        using var http = new HttpClient { BaseAddress = Autoheal.BaseAddress };

        var docs = await http.GetStringAsync("/docs/index.html");
        var openapi = await http.GetStringAsync("/openapi/v1.json");

        Assert.Contains("swagger", docs, StringComparison.OrdinalIgnoreCase);
        foreach (var path in new[] { "/api/status", "/api/containers/{id}/restart", "/api/config/import", "/api/healthchecks/{id}", "/api/events" })
        {
            Assert.Contains($"\"{path}\"", openapi, StringComparison.Ordinal);
        }

        Assert.Contains("\"bearer\"", openapi, StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task The_metrics_exposition_passes_promtool()
    {
        Skip.IfNot(File.Exists("/usr/bin/promtool"), "promtool is missing: scripts/test installs the Debian package prometheus");
        var name = Docker.Name("api-metrics");
        await Docker.StartAsync(name, "if [ -f /again ]; then exec sleep 1000; fi; touch /again; sleep 0.5; exit 3", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "a heal, so every metric has samples");
        var text = await Autoheal.GetTextAsync("/metrics");

        var psi = new System.Diagnostics.ProcessStartInfo("/usr/bin/promtool", "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var promtool = System.Diagnostics.Process.Start(psi)!;
        await promtool.StandardInput.WriteAsync(text);
        promtool.StandardInput.Close();
        var output = await promtool.StandardOutput.ReadToEndAsync() + await promtool.StandardError.ReadToEndAsync();
        await promtool.WaitForExitAsync();

        Assert.True(promtool.ExitCode == 0, $"promtool check metrics failed:\n{output}");
        foreach (var metric in new[] { "autoheal_container_restarts_total", "autoheal_containers_monitored", "autoheal_containers_quarantined", "autoheal_health_checks_total", "autoheal_health_checks_failed_total", "autoheal_heal_duration_seconds_bucket", "autoheal_docker_up 1", "process_cpu_seconds_total" })
        {
            Assert.Contains(metric, text, StringComparison.Ordinal);
        }

        Assert.Contains("autoheal_heal_duration_seconds_count{stage=\"restart_issued\"}", text, StringComparison.Ordinal);
    }

    private HttpClient Http()
    {
        var http = new HttpClient { BaseAddress = Autoheal.BaseAddress };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Autoheal.Token);
        return http;
    }

    private static async Task<HttpStatusCode> StatusWithTokenAsync(AutoHealProcess autoheal, string token)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(autoheal.BaseAddress, "/api/status"));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        using var response = await http.SendAsync(request);
        return response.StatusCode;
    }
}
