using static AutoHeal.TestUtils.DockerCli;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// A compose deploy replacing a project's containers (created, removed, renamed in a burst) is no failure: heals of
/// the project's containers wait until it is quiet, then look afresh. Compose's own steps, done with the Docker CLI.
/// </summary>
public sealed class DeployBurstTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_crash_during_a_compose_style_redeploy_is_not_healed_and_one_the_deploy_left_alone_is_healed_once_it_is_quiet()
    {
        var project = $"{Docker.RunId}-shop";
        string[] inProject = ["--label", $"com.docker.compose.project={project}"];
        var (db, web, worker) = (Docker.Name("burst-db"), Docker.Name("burst-web"), Docker.Name("burst-worker"));
        await using var removeDb = RemoveAtEnd(db);
        await using var removeWeb = RemoveAtEnd(web);
        await using var removeWorker = RemoveAtEnd(worker);
        await using var removeNew = RemoveAtEnd($"{db}-new");
        await using var removeNewWeb = RemoveAtEnd($"{web}-new");
        await Docker.StartAsync(db, "exec sleep 1000", [.. Autoheal.OptIn, .. inProject]);
        await Docker.StartAsync(web, CrashOnTrigger, [.. Autoheal.OptIn, .. inProject]);
        await Docker.StartAsync(worker, CrashOnTrigger, [.. Autoheal.OptIn, .. inProject]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => c.Name == db || c.Name == web || c.Name == worker) == 3, Soon, "all three listed");
        var oldWeb = await InspectAsync(web, "{{.Id}}");

        // compose up with a new db: the new container is created first, then the old one stopped and removed.
        await Docker.StartAsync($"{db}-new", "exec sleep 1000", [.. Autoheal.OptIn, .. inProject]);
        await RunAsync("rm", "-f", db);
        // Its clients lose it meanwhile.
        await Task.WhenAll(TriggerCrashAsync(web), TriggerCrashAsync(worker));
        await Autoheal.WaitForLogAboutAsync(web, $"its heal waits for compose project {project} to settle", Soon);
        await RunAsync("rename", $"{db}-new", db);
        // compose recreates web as well; the worker it leaves alone.
        await Docker.StartAsync($"{web}-new", "exec sleep 1000", [.. Autoheal.OptIn, .. inProject]);
        await RunAsync("rm", "-f", web);
        await RunAsync("rename", $"{web}-new", web);
        var deployEnded = DateTimeOffset.UtcNow;

        // The worker, still down once the project is quiet, is healed then; the web that crashed was replaced, so never.
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: worker, kind: "healed")).Items.Count == 1, Soon, "the worker's heal after the deploy");
        var workerRestart = (await Api.GetEventsAsync(container: worker, kind: "restarting")).Items.Single();
        Assert.True(workerRestart.At >= deployEnded.AddSeconds(9), $"the worker was restarted at {workerRestart.At:O}, within the deploy (ended {deployEnded:O})");
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: web, kind: "heal_cancelled")).Items.Count >= 1, Soon, "web's heal to be called off");
        var restartsOfWeb = (await Api.GetEventsAsync(container: web, kind: "restarting")).Items;
        Assert.DoesNotContain(restartsOfWeb, e => e.ContainerId == oldWeb);
        Assert.Empty(restartsOfWeb);
        Assert.Equal("running", await StateAsync(web));
    }
}
