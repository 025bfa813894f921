using AutoHeal.Docker;

namespace AutoHeal.Integration.Tests;

/// <summary>The Docker adapter against the real engine: what it reads is what docker says.</summary>
[Collection(EngineCollection.Name)]
public sealed class DockerRuntimeTests(EngineFixture engine) : IDisposable
{
    private readonly DockerCli _docker = engine.Docker;
    private readonly DockerRuntime _runtime = new(DockerRuntime.DefaultEndpoint, "local");

    public void Dispose() => _runtime.Dispose();

    [Fact]
    public void The_endpoint_is_DOCKER_HOST_then_the_local_socket_then_rootless_Dockers()
    {
        bool Only(string path, string there) => path == there;

        Assert.Equal("tcp://proxy:2375", DockerRuntime.EndpointFrom("tcp://proxy:2375", "/run/user/1000", _ => true));
        Assert.Equal("unix:///var/run/docker.sock", DockerRuntime.EndpointFrom(null, "/run/user/1000", _ => true));
        Assert.Equal("unix:///run/user/1000/docker.sock", DockerRuntime.EndpointFrom("", "/run/user/1000", p => Only(p, "/run/user/1000/docker.sock")));
        // Neither there: the local socket, which the error then names.
        Assert.Equal("unix:///var/run/docker.sock", DockerRuntime.EndpointFrom(null, "/run/user/1000", _ => false));
        Assert.Equal("unix:///var/run/docker.sock", DockerRuntime.EndpointFrom(null, null, _ => false));
    }

    [Fact]
    public async Task Inspect_reads_state_labels_restart_policy_and_health_check()
    {
        var name = _docker.Name("inspected");
        var id = await _docker.StartAsync(name, "exec sleep 1000", "--label", "team=web", "--restart", "on-failure:3",
            "--health-cmd", "true", "--health-interval", "1s");

        var info = await _runtime.InspectAsync(name, CancellationToken.None);

        Assert.NotNull(info);
        Assert.Equal(id, info.Id);
        Assert.Equal(new ContainerKey("local", name), info.Key); // the host as AutoHeal names it, with Docker's name
        Assert.Equal(ContainerStatus.Running, info.Status);
        Assert.Equal("web", info.Labels["team"]);
        Assert.Equal(new RestartPolicy("on-failure", 3), info.RestartPolicy);
        Assert.True(info.HasHealthCheck);
        Assert.NotNull(info.StartedAt);
        Assert.StartsWith("sha256:", info.ImageId, StringComparison.Ordinal);
        Assert.Null(await _runtime.InspectAsync(_docker.Name("never-created"), CancellationToken.None));
    }

    [Fact]
    public async Task List_shows_every_container_with_health_from_the_status_text()
    {
        var healthy = _docker.Name("listed-healthy");
        var exited = _docker.Name("listed-exited");
        await _docker.StartAsync(healthy, "exec sleep 1000", "--health-cmd", "true", "--health-interval", "1s");
        await _docker.StartAsync(exited, "exit 2");
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(healthy, "{{.State.Health.Status}}") == "healthy"
            && await DockerCli.StateAsync(exited) == "exited", TimeSpan.FromSeconds(15), "states to settle");

        var list = await _runtime.ListAsync(CancellationToken.None);

        var h = Assert.Single(list, c => c.Name == healthy);
        Assert.Equal((ContainerStatus.Running, HealthStatus.Healthy), (h.Status, h.Health));
        var e = Assert.Single(list, c => c.Name == exited);
        Assert.Equal(ContainerStatus.Exited, e.Status);
        Assert.Equal(2, (await _runtime.InspectAsync(exited, CancellationToken.None))!.ExitCode);
    }

    [Fact]
    public async Task Events_tell_crash_stop_health_pause_and_removal_apart()
    {
        var name = _docker.Name("evented");
        var canary = _docker.Name("evented-canary");
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var seen = new List<ContainerEvent>();
        var canarySeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reader = Task.Run(async () =>
        {
            await foreach (var e in _runtime.EventsAsync(null, cts.Token))
            {
                if (e.Name == canary)
                {
                    canarySeen.TrySetResult();
                }

                if (e.Name == name)
                {
                    lock (seen)
                    {
                        seen.Add(e);
                    }

                    if (e.Kind == ContainerEventKind.Removed)
                    {
                        return;
                    }
                }
            }
        }, cts.Token);
        // The stream is open once it shows a container created after it was asked for.
        await _docker.StartAsync(canary, "exec sleep 1000");
        await canarySeen.Task.WaitAsync(TimeSpan.FromSeconds(15));

        await _docker.StartAsync(name, "rm -f /tmp/bad /tmp/crash; while [ ! -f /tmp/crash ]; do sleep 0.1; done; exit 6",
            "--health-cmd", "test ! -f /tmp/bad", "--health-interval", "1s", "--health-retries", "1");
        await DockerCli.RunAsync("exec", name, "touch", "/tmp/bad");
        await Eventually.HoldsAsync(() => Task.FromResult(Kinds().Contains(ContainerEventKind.Unhealthy)), TimeSpan.FromSeconds(15), "unhealthy");
        await DockerCli.RunAsync("pause", name);
        await DockerCli.RunAsync("unpause", name);
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "exited", TimeSpan.FromSeconds(10), "crash");
        await DockerCli.RunAsync("start", name);
        await DockerCli.RunAsync("stop", "-t", "1", name);
        await DockerCli.RunAsync("rm", name);
        await reader;

        List<ContainerEventKind> Kinds()
        {
            lock (seen)
            {
                return seen.Select(e => e.Kind).ToList();
            }
        }

        var kinds = Kinds();
        Assert.Equal(ContainerEventKind.Created, kinds[0]);
        Assert.Equal(ContainerEventKind.Started, kinds[1]);
        Assert.Equal(
            [ContainerEventKind.Paused, ContainerEventKind.Unpaused, ContainerEventKind.Died, ContainerEventKind.Started, ContainerEventKind.StopRequested],
            kinds.SkipWhile(k => k != ContainerEventKind.Paused).Take(5));
        Assert.Equal(6, seen.First(e => e.Kind == ContainerEventKind.Died).ExitCode);
        Assert.Equal(ContainerEventKind.Removed, kinds[^1]);
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.First.At <= p.Second.At), "events come in engine time order");
    }

    [Fact]
    public async Task Restart_starts_an_exited_container_again()
    {
        var name = _docker.Name("restarted");
        await _docker.StartAsync(name, "if [ -f /again ]; then exec sleep 1000; fi; touch /again; exit 1");
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "exited", TimeSpan.FromSeconds(10), "exit");

        await _runtime.RestartAsync(name, TimeSpan.FromSeconds(1), CancellationToken.None);

        Assert.Equal("running", await DockerCli.StateAsync(name));
    }

    [Fact]
    public async Task An_unreachable_engine_is_reported_as_such_with_its_endpoint()
    {
        using var nowhere = new DockerRuntime($"unix:///tmp/{_docker.RunId}-missing.sock", "local");

        var ex = await Assert.ThrowsAsync<EngineUnavailableException>(() => nowhere.ListAsync(CancellationToken.None));

        Assert.Contains($"/tmp/{_docker.RunId}-missing.sock", ex.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<EngineUnavailableException>(() => nowhere.PingAsync(CancellationToken.None));
    }
}
