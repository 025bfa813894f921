using static AutoHeal.TestUtils.DockerCli;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// Containers in a parent's network namespace (<c>--network container:vpn</c>, compose's <c>network_mode: service:vpn</c>)
/// are cut off when the parent starts again: AutoHeal restarts them with it. The parent serves a page on its own
/// loopback, which only containers in its namespace reach.
/// </summary>
public sealed class DependentsTests(EngineFixture engine) : WithOwnAutoHeal(engine)
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
