using static AutoHeal.TestUtils.DockerCli;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// Containers in a parent's network namespace (<c>--network container:vpn</c>, compose's <c>network_mode: service:vpn</c>)
/// are cut off when the parent starts again: AutoHeal restarts them with it. The parent serves a page on its own
/// loopback, which only containers in its namespace reach.
/// </summary>
public sealed class DependentsTests(EngineFixture engine, Xunit.Abstractions.ITestOutputHelper output) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(60);
    private const string Fetch = "printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 1 127.0.0.1 8080";

    [Fact]
    public async Task Dependents_are_restarted_when_their_parent_is_healed_or_restarted_by_hand_and_one_stopped_on_purpose_stays_stopped()
    {
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Dependents:SettleSeconds"] = "1" });
        var (vpn, checking, plain) = (Docker.Name("dep-vpn"), Docker.Name("dep-checking"), Docker.Name("dep-plain"));
        await using var removeVpn = RemoveAtEnd(vpn);
        await using var removeChecking = RemoveAtEnd(checking);
        await using var removePlain = RemoveAtEnd(plain);
        await Docker.StartAsync(vpn, $"mkdir -p /www; echo hello > /www/index.html; httpd -p 127.0.0.1:8080 -h /www; {CrashOnTrigger}", Autoheal.OptIn);
        await Docker.StartAsync(checking, "exec sleep 1000",
            [.. Autoheal.OptIn, "--network", $"container:{vpn}", "--health-cmd", $"{Fetch} | grep -q hello", "--health-interval", "1s", "--health-retries", "1"]);
        await Docker.StartAsync(plain, "exec sleep 1000", [.. Autoheal.OptIn, "--network", $"container:{vpn}"]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == vpn || c.Name == checking || c.Name == plain) == 3, Soon, "all three listed");
        await Eventually.HoldsAsync(async () => await InspectAsync(checking, "{{.State.Health.Status}}") == "healthy", Soon, "the checking dependent healthy");
        var parent = await Api.GetContainerAsync(vpn);
        Assert.Equal([checking, plain], parent.Dependents.Select(x => x.Name).Order());
        Assert.Equal($"it shares the network namespace of {vpn}", Assert.Single((await Api.GetContainerAsync(plain)).Parents).Why);

        // The parent crashes and is healed: both dependents restarted after its new start, and reaching it again.
        await TriggerCrashAsync(vpn);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: vpn, kind: "healed")).Items.Count == 1, Soon, "the parent's heal");
        await BothBackAfterAsync(vpn, checking, plain);
        var dependency = (await Api.GetEventsAsync(container: plain, kind: "heal_scheduled")).Items.Single();
        Assert.Equal("dependency", dependency.Reason);
        Assert.Contains($"{vpn} started again and it shares the network namespace of {vpn}", dependency.Message, StringComparison.Ordinal);

        // Restarted by hand: the same.
        await RunAsync("restart", "-t", "1", vpn);
        await BothBackAfterAsync(vpn, checking, plain);
        Assert.Equal(2, (await Api.GetEventsAsync(container: plain, kind: "healed")).Items.Count);

        // A dependent stopped on purpose stays stopped; the other is restarted with the parent.
        await RunAsync("stop", "-t", "1", plain);
        var healedBefore = (await Api.GetEventsAsync(container: checking, kind: "healed")).Items.Count;
        await RunAsync("restart", "-t", "1", vpn);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: checking, kind: "healed")).Items.Count > healedBefore, Soon, "the running dependent's restart");
        Assert.Equal("exited", await StateAsync(plain));
        Assert.Equal(2, (await Api.GetEventsAsync(container: plain, kind: "restarting")).Items.Count); // none since its stop
    }

    [Fact]
    public async Task Composes_depends_on_with_restart_true_restarts_the_dependent_when_its_service_restarts()
    {
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Dependents:SettleSeconds"] = "1" });
        var project = $"{Docker.RunId}-shop";
        var (db, web, worker) = (Docker.Name("dep-db"), Docker.Name("dep-web"), Docker.Name("dep-worker"));
        await using var removeDb = RemoveAtEnd(db);
        await using var removeWeb = RemoveAtEnd(web);
        await using var removeWorker = RemoveAtEnd(worker);
        string[] Service(string name, string? dependsOn = null) =>
            [.. Autoheal.OptIn, "--label", $"com.docker.compose.project={project}", "--label", $"com.docker.compose.service={name}",
             .. dependsOn is null ? Array.Empty<string>() : ["--label", $"com.docker.compose.depends_on={dependsOn}"]];
        await Docker.StartAsync(db, "exec sleep 1000", Service("db"));
        await Docker.StartAsync(web, "exec sleep 1000", Service("web", "db:service_started:true"));
        await Docker.StartAsync(worker, "exec sleep 1000", Service("worker", "db:service_started:false"));
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == db || c.Name == web || c.Name == worker) == 3, Soon, "all three listed");
        var workerStarted = await StartedAtAsync(worker);

        await RunAsync("restart", "-t", "1", db);

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: web, kind: "healed")).Items.Count == 1, Soon, "web restarted with db");
        Assert.Contains("compose's depends_on names db with restart: true", (await Api.GetEventsAsync(container: web, kind: "heal_scheduled")).Items.Single().Message, StringComparison.Ordinal);
        Assert.Equal(workerStarted, await StartedAtAsync(worker)); // restart: false is compose's "leave me"
        Assert.Empty((await Api.GetEventsAsync(container: worker, kind: "heal_scheduled")).Items);
    }

    [Fact]
    public async Task When_the_parent_is_removed_and_run_again_its_dependents_are_recreated_against_the_new_one_with_all_else_unchanged()
    {
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Dependents:SettleSeconds"] = "1" });
        var (vpn, checking, plain) = (Docker.Name("rec-vpn"), Docker.Name("rec-checking"), Docker.Name("rec-plain"));
        await using var removeVpn = RemoveAtEnd(vpn);
        await using var removeChecking = RemoveAtEnd(checking);
        await using var removePlain = RemoveAtEnd(plain);
        const string Serve = "mkdir -p /www; echo hello > /www/index.html; httpd -p 127.0.0.1:8080 -h /www; exec sleep 1000";
        await Docker.StartAsync(vpn, Serve, Autoheal.OptIn);
        await Docker.StartAsync(checking, "exec sleep 1000",
            [.. Autoheal.OptIn, "--network", $"container:{vpn}", "--label", "tier=back", "--health-cmd", $"{Fetch} | grep -q hello", "--health-interval", "1s", "--health-retries", "1"]);
        // An image that EXPOSEs a port, as most services do: Docker refuses exposed ports with container: networking at
        // create, and inspect shows the image's merged in.
        var exposing = await ExposingImageAsync();
        await RunAsync(["run", "-d", "--name", plain, "--label", $"{Docker.RunLabel}={Docker.RunId}", .. Autoheal.OptIn, "--network", $"container:{vpn}",
            "--env", "GREETING=hi", "--restart", "unless-stopped", "--stop-timeout", "1", exposing, "sh", "-c", "exec sleep 1000"]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == vpn || c.Name == checking || c.Name == plain) == 3, Soon, "all three listed");
        await Eventually.HoldsAsync(async () => await InspectAsync(checking, "{{.State.Health.Status}}") == "healthy", Soon, "the checking dependent healthy");
        const string Config = "{{json .Config.Labels}} {{json .Config.Cmd}} {{json .Config.Env}} {{json .Config.Healthcheck}} {{json .HostConfig.RestartPolicy}} {{.Config.Image}}";
        var before = new Dictionary<string, (string Id, string Config)>();
        foreach (var d in new[] { checking, plain })
        {
            before[d] = (await InspectAsync(d, "{{.Id}}"), await InspectAsync(d, Config));
        }

        // Recreated under its name (compose's redeploy, by hand): the dependents' namespace is the old container's id.
        await RunAsync("rm", "-f", vpn);
        var newVpn = (await Docker.StartAsync(vpn, Serve, Autoheal.OptIn)).Trim();

        foreach (var d in new[] { checking, plain })
        {
            await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: d, kind: "healed")).Items.Count == 1, Soon, $"{d} recreated and healed");
            Assert.Equal($"container:{newVpn}", await InspectAsync(d, "{{.HostConfig.NetworkMode}}"));
            Assert.NotEqual(before[d].Id, await InspectAsync(d, "{{.Id}}"));
            Assert.Equal(before[d].Config, await InspectAsync(d, Config)); // labels, command, environment, health check, restart policy, image
            Assert.Contains("No such container", (await Api.GetEventsAsync(container: d, kind: "recreating")).Items.Single().Message, StringComparison.Ordinal);
            Assert.Contains($"was {before[d].Id[..12]}", (await Api.GetEventsAsync(container: d, kind: "recreated")).Items.Single().Message, StringComparison.Ordinal);
            await Eventually.HoldsAsync(async () => (await TryRunAsync("exec", d, "sh", "-c", Fetch)).Stdout.Contains("hello", StringComparison.Ordinal), Soon, $"{d} reaching the new {vpn}");
            Assert.Equal(vpn, Assert.Single((await Api.GetContainerAsync(d)).Parents).Name);
            output.WriteLine($"{d}: started {StartDelay(await StartedAtAsync(vpn), await StartedAtAsync(d))} after {vpn}");
        }

        // The dashboard's "because": the plain dependent had nothing wrong but its parent's new container.
        Assert.Contains($"{vpn} started again", (await Api.ListContainersAsync()).Single(c => c.Name == plain).LastHeal?.Cause, StringComparison.Ordinal);

        // The originals were removed, none is left set aside; one container under each name.
        var names = (await RunAsync("ps", "-a", "--filter", Docker.RunFilter, "--format", "{{.Names}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.DoesNotContain(names, n => n.Contains("-autoheal-old-", StringComparison.Ordinal));
        Assert.Single(names, checking);
        Assert.Single(names, plain);
    }

    [Fact]
    public async Task A_recreation_whose_new_container_cannot_start_puts_the_original_back_as_it_was()
    {
        var (parent, replacement, dependent) = (Docker.Name("rb-parent"), Docker.Name("rb-parent2"), Docker.Name("rb-dependent"));
        await using var removeParent = RemoveAtEnd(parent);
        await using var removeReplacement = RemoveAtEnd(replacement);
        await using var removeDependent = RemoveAtEnd(dependent);
        var oldParent = (await Docker.StartAsync(parent, "exec sleep 1000")).Trim();
        var id = (await Docker.StartAsync(dependent, "exec sleep 1000", "--network", $"container:{parent}", "--label", "keep=me")).Trim();
        await RunAsync("stop", "-t", "0", dependent);
        await RunAsync("rm", "-f", parent);
        var notRunning = (await RunAsync("create", "--name", replacement, "--network", "none", "--label", $"{Docker.RunLabel}={Docker.RunId}", Image, "sleep", "1000")).Trim();
        var config = await InspectAsync(dependent, "{{json .Config}} {{json .HostConfig}}");
        using var runtime = new AutoHeal.Docker.DockerRuntime(AutoHeal.Docker.DockerRuntime.DefaultEndpoint, "local");

        var result = await runtime.RecreateAsync(id, new Dictionary<string, string> { [oldParent] = notRunning }, TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.False(result.Recreated);
        Assert.Contains("could not start the new container", result.Detail, StringComparison.Ordinal);
        Assert.Contains("the original was put back as it was", result.Detail, StringComparison.Ordinal);
        Assert.Equal(id, await InspectAsync(dependent, "{{.Id}}"));
        Assert.Equal(config, await InspectAsync(dependent, "{{json .Config}} {{json .HostConfig}}"));
        Assert.Equal("exited", await StateAsync(dependent));
        var names = (await RunAsync("ps", "-a", "--filter", Docker.RunFilter, "--format", "{{.Names}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Single(names, n => n.StartsWith(dependent, StringComparison.Ordinal)); // the new one removed, the original not left set aside
    }

    [Fact]
    public async Task AutoHeal_killed_in_the_middle_of_a_recreation_leaves_one_container_under_the_name_once_it_starts_again()
    {
        await using var proxy = new DockerSocketProxy();
        var settings = new Dictionary<string, string> { ["AutoHeal:Dependents:SettleSeconds"] = "1", ["AutoHeal:Docker:Endpoint"] = proxy.Endpoint };
        await RestartWithAsync(settings);
        var (vpn, plain) = (Docker.Name("kill-vpn"), Docker.Name("kill-plain"));
        await using var removeVpn = RemoveAtEnd(vpn);
        await using var removePlain = RemoveAtEnd(plain);
        const string Serve = "mkdir -p /www; echo hello > /www/index.html; httpd -p 127.0.0.1:8080 -h /www; exec sleep 1000";
        await Docker.StartAsync(vpn, Serve, Autoheal.OptIn);
        var original = (await Docker.StartAsync(plain, "exec sleep 1000", [.. Autoheal.OptIn, "--network", $"container:{vpn}"])).Trim();
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == vpn || c.Name == plain) == 2, Soon, "both listed");

        // The new container is created under the name, the original set aside: its start never reaches the engine.
        proxy.HoldRequests(line => line.StartsWith("POST ", StringComparison.Ordinal) && line.Contains("/containers/", StringComparison.Ordinal) && line.Contains("/start ", StringComparison.Ordinal));
        await RunAsync("rm", "-f", vpn);
        await Docker.StartAsync(vpn, Serve, Autoheal.OptIn);
        await proxy.Held.WaitAsync(Soon);
        await Autoheal.KillAsync();
        var names = await NamesAsync();
        Assert.Contains(plain, names);
        Assert.Contains(AutoHeal.Domain.Containers.Recreations.SetAsideName(plain, original), names);

        proxy.HoldRequests(null);
        var again = Autoheal.OnSameData();
        await using (again)
        {
            await again.StartAsync();
            await again.WaitForLogAsync($"finished the recreation of {plain}", Soon);
            Assert.Equal([plain], (await NamesAsync()).Where(n => n.StartsWith(plain, StringComparison.Ordinal)));
            Assert.Equal("running", await StateAsync(plain));
            Assert.NotEqual(original, await InspectAsync(plain, "{{.Id}}"));
            await Eventually.HoldsAsync(async () => (await TryRunAsync("exec", plain, "sh", "-c", Fetch)).Stdout.Contains("hello", StringComparison.Ordinal), Soon, $"{plain} reaching the new {vpn}");
        }
    }

    [Fact]
    public async Task A_container_labelled_recreate_whose_restart_and_recreation_both_fail_is_quarantined_with_the_reason_and_left_as_it_was()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);
        var name = Docker.Name("rec-mount");
        await using var removal = RemoveAtEnd(name);
        var id = (await Docker.StartAsync(name, CrashOnTrigger,
            [.. Autoheal.OptIn, "--label", "autoheal.recreate=true", "--mount", $"type=bind,source={folder.Path},target=/data"])).Trim();
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        // The mount's source goes away: Docker can neither restart the container nor create it again.
        Directory.Delete(folder.Path, recursive: true);
        await TriggerCrashAsync(name);

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "quarantined")).Items.Count == 1, Soon, "the quarantine");
        var kinds = (await Api.GetEventsAsync(container: name)).Items.Select(e => e.Kind).Reverse().ToList();
        Assert.Equal(["heal_scheduled", "restarting", "recreating", "heal_failed", "quarantined"], kinds.Where(k => k is not "skipped"));
        Assert.Contains("it is labelled autoheal.recreate=true", (await Api.GetEventsAsync(container: name, kind: "recreating")).Items.Single().Message, StringComparison.Ordinal);
        var quarantine = (await Api.GetContainerAsync(name)).Container.Quarantine;
        Assert.NotNull(quarantine);
        Assert.Contains("the restart was refused and recreating it failed", quarantine.Reason, StringComparison.Ordinal);
        Assert.Contains("bind source path does not exist", quarantine.Reason, StringComparison.Ordinal);
        Assert.Contains("the original was put back as it was", quarantine.Reason, StringComparison.Ordinal);
        Assert.Equal(id, await InspectAsync(name, "{{.Id}}"));
        Assert.Equal([name], (await NamesAsync()).Where(n => n.StartsWith(name, StringComparison.Ordinal)));
    }

    // The test image with an EXPOSE, built from it locally.
    private static async Task<string> ExposingImageAsync()
    {
        const string Tag = "autoheal-test/busybox-expose:2";
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.Path);
        await File.WriteAllTextAsync(Path.Combine(folder.Path, "Dockerfile"), $"FROM {Image}\nEXPOSE 8080\n");
        await RunAsync("build", "-q", "-t", Tag, folder.Path);
        return Tag;
    }

    private async Task<string[]> NamesAsync() =>
        (await RunAsync("ps", "-a", "--filter", Docker.RunFilter, "--format", "{{.Names}}")).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static string StartDelay(string parentStarted, string dependentStarted) =>
        $"{(DateTimeOffset.Parse(dependentStarted, System.Globalization.CultureInfo.InvariantCulture) - DateTimeOffset.Parse(parentStarted, System.Globalization.CultureInfo.InvariantCulture)).TotalSeconds:0.0}s";

    // Both started after the parent's current run began, and each fetches the parent's page over the shared loopback.
    private static async Task BothBackAfterAsync(string parent, params string[] dependents)
    {
        var parentStarted = DateTimeOffset.Parse(await StartedAtAsync(parent), System.Globalization.CultureInfo.InvariantCulture);
        foreach (var d in dependents)
        {
            await Eventually.HoldsAsync(async () => await StateAsync(d) == "running"
                && DateTimeOffset.Parse(await StartedAtAsync(d), System.Globalization.CultureInfo.InvariantCulture) > parentStarted, Soon, $"{d} restarted after {parent}");
            await Eventually.HoldsAsync(async () => (await TryRunAsync("exec", d, "sh", "-c", Fetch)).Stdout.Contains("hello", StringComparison.Ordinal), Soon, $"{d} reaching {parent} again");
        }
    }
}
