using System.Net;
using AutoHeal.Api.Dapr;
using AutoHeal.Docker;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoHeal.Dapr.Tests;

/// <summary>One watcher over the real Docker engine for the class; the containers the tests made are removed at the end.</summary>
public sealed class WatcherFixture : IAsyncLifetime
{
    private readonly EngineRig _engine = new();
    private SurfaceHost? _host;

    /// <summary>Why these tests are skipped, or null.</summary>
    public string? SkipReason => _engine.SkipReason;

    public DockerCli Docker => _engine.Docker;

    public SurfaceSignalBus Bus { get; } = new();

    public IContainerRuntime Runtime => _engine.Runtime;

    public IDocumentStore Store => _engine.Store;

    /// <summary>Plain HTTP to the watcher's routes, for what the product's client never sends.</summary>
    public HttpClient Http => _host!.Client;

    /// <summary>The product's client of the watcher's routes, as the healer and the API use it (minus the sidecar hop).</summary>
    public WatcherClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        if (await _engine.OpenAsync(nameof(WatcherRoutesTests), SurfaceWatcher.HostName))
        {
            _host = await SurfaceWatcher.StartAsync(Runtime, Store, Bus);
            Client = new WatcherClient(_host.Client, $"test://{DaprNames.WatcherAppId(SurfaceWatcher.HostName)}");
        }
    }

    public async Task DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        await _engine.DisposeAsync();
    }
}

/// <summary>
/// The watcher's routes (<see cref="AutoHeal.Watcher.Dapr.WatcherEndpoints"/>), served over the real Docker engine and called
/// through the product's <see cref="WatcherClient"/>, as the healer's activities and the API call them by
/// service invocation; and the API's <see cref="RemoteCatalog"/> over that watcher.
/// </summary>
public sealed class WatcherRoutesTests(WatcherFixture watcher) : IClassFixture<WatcherFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly DockerCli _docker = watcher.Docker;

    [SkippableFact]
    public async Task Inspect_through_the_watcher_reads_the_container_as_docker_shows_it()
    {
        SkipWithoutEngine();
        var name = _docker.Name("inspected");
        var id = await _docker.StartAsync(name, "exec sleep 1000", "--label", "team=web", "--restart", "on-failure:3");

        var byName = await watcher.Client.InspectAsync(name, None);
        var byId = await watcher.Client.InspectAsync(id, None);

        Assert.NotNull(byName);
        Assert.Equal(id, byName.Id);
        Assert.Equal(name, byName.Name);
        Assert.Equal(ContainerStatus.Running, byName.Status);
        Assert.Equal(HealthStatus.None, byName.Health);
        Assert.Equal("web", byName.Labels["team"]);
        Assert.Equal(new RestartPolicy("on-failure", 3), byName.RestartPolicy);
        Assert.StartsWith("sha256:", byName.ImageId, StringComparison.Ordinal);
        Assert.Equal(await DockerCli.InspectAsync(name, "{{.Image}}"), byName.ImageId);
        Assert.NotNull(byName.StartedAt);
        Assert.InRange(byName.StartedAt.Value, DateTimeOffset.UtcNow.AddMinutes(-2), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(byName.StartedAt, (await watcher.Runtime.InspectAsync(id, None))!.StartedAt);
        Assert.Equal((byName.Id, byName.Name, byName.StartedAt), (byId!.Id, byId.Name, byId.StartedAt));
    }

    [SkippableFact]
    public async Task Inspecting_a_container_that_does_not_exist_finds_nothing()
    {
        SkipWithoutEngine();

        Assert.Null(await watcher.Client.InspectAsync(_docker.Name("never-created"), None));
        Assert.Null(await watcher.Client.InspectAsync("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", None));
    }

    [SkippableFact]
    public async Task Restart_through_the_watcher_starts_the_container_again()
    {
        SkipWithoutEngine();
        var name = _docker.Name("restarted");
        var id = await _docker.StartAsync(name, "trap 'exit 0' TERM; while true; do sleep 0.2; done");
        var before = (await watcher.Client.InspectAsync(id, None))!;
        var startedBefore = await DockerCli.StartedAtAsync(name);

        var restarted = await watcher.Client.RestartAsync(id, TimeSpan.FromSeconds(1), before.Seen, None);

        Assert.Equal(RestartOutcome.Restarted, restarted.Outcome);
        var after = (await watcher.Client.InspectAsync(id, None))!;
        Assert.Equal((after.Id, after.Status, after.StartedAt), (restarted.Container?.Id, restarted.Container?.Status, restarted.Container?.StartedAt));
        Assert.Equal(ContainerStatus.Running, after.Status);
        Assert.True(after.StartedAt > before.StartedAt, $"StartedAt {before.StartedAt:O} -> {after.StartedAt:O}");
        Assert.NotEqual(startedBefore, await DockerCli.StartedAtAsync(name));
        Assert.Equal("running", await DockerCli.StateAsync(name));
    }

    [SkippableFact]
    public async Task A_restart_for_the_container_as_last_seen_goes_ahead_only_while_it_is_unchanged()
    {
        SkipWithoutEngine();
        var name = _docker.Name("conditional");
        var id = await _docker.StartAsync(name, "trap 'exit 0' TERM; while true; do sleep 0.2; done");
        var seen = (await watcher.Client.InspectAsync(id, None))!;

        // Someone restarted it since the heal looked at it: the heal's restart is called off.
        await DockerCli.RunAsync("restart", "-t", "1", name);
        var afterOperator = await DockerCli.StartedAtAsync(name);
        var changed = await watcher.Client.RestartAsync(id, TimeSpan.FromSeconds(1), seen.Seen, None);
        Assert.Equal(RestartOutcome.Changed, changed.Outcome);
        Assert.StartsWith("the container changed since it was rechecked (now running, started ", changed.Detail, StringComparison.Ordinal);
        Assert.True(changed.Container?.StartedAt > seen.StartedAt, "the answer shows the container as it is now");
        Assert.Equal(afterOperator, await DockerCli.StartedAtAsync(name));

        // As it is now, it is restarted.
        var now = (await watcher.Client.InspectAsync(id, None))!;
        var restarted = await watcher.Client.RestartAsync(id, TimeSpan.FromSeconds(1), now.Seen, None);
        Assert.Equal(RestartOutcome.Restarted, restarted.Outcome);
        Assert.True(restarted.Container?.StartedAt > now.StartedAt, $"StartedAt {now.StartedAt:O} -> {restarted.Container?.StartedAt:O}");

        // Stopped by an operator meanwhile: left stopped.
        await DockerCli.RunAsync("stop", "-t", "1", name);
        var stopped = await watcher.Client.RestartAsync(id, TimeSpan.FromSeconds(1), restarted.Container!.Seen, None);
        Assert.Equal((RestartOutcome.Changed, ContainerStatus.Exited), (stopped.Outcome, stopped.Container?.Status));
        Assert.Equal("exited", await DockerCli.StateAsync(name));
    }

    [SkippableFact]
    public async Task A_restart_docker_refuses_comes_back_as_refused_in_dockers_words_and_a_removed_container_as_gone()
    {
        SkipWithoutEngine();
        // Created with a command that does not exist: Docker refuses to start it.
        var broken = _docker.Name("broken");
        var brokenId = await DockerCli.RunAsync("create", "--name", broken, "--network", "none", "--label", $"{_docker.RunLabel}={_docker.RunId}", DockerCli.Image, "/no/such/command");
        var created = (await watcher.Client.InspectAsync(brokenId, None))!;
        var removed = _docker.Name("removed");
        var removedId = await _docker.StartAsync(removed, "exec sleep 1000");
        var seenBeforeRemoval = (await watcher.Client.InspectAsync(removedId, None))!.Seen;
        await DockerCli.RunAsync("rm", "-f", removedId);

        var refused = await watcher.Client.RestartAsync(brokenId, TimeSpan.FromSeconds(1), created.Seen, None);
        var gone = await watcher.Client.RestartAsync(removedId, TimeSpan.FromSeconds(1), seenBeforeRemoval, None);

        Assert.Equal(RestartOutcome.Refused, refused.Outcome);
        Assert.Contains("/no/such/command", refused.Detail, StringComparison.Ordinal);
        Assert.Equal((RestartOutcome.Gone, "the container is gone"), (gone.Outcome, gone.Detail));
        Assert.Null(await watcher.Client.InspectAsync(removedId, None));
    }

    [SkippableFact]
    public async Task Out_of_range_arguments_are_refused_before_docker_is_asked()
    {
        SkipWithoutEngine();
        var name = _docker.Name("bounds");
        var id = await _docker.StartAsync(name, "exec sleep 1000");
        var startedAt = await DockerCli.StartedAtAsync(name);
        var info = (await watcher.Client.InspectAsync(id, None))!;

        using var restart = await watcher.Http.PostAsync(new Uri($"{WatcherRoutes.Container(id)}/restart?stop_timeout_seconds=7200&expect_status=running", UriKind.Relative), null);
        var logs = await Assert.ThrowsAsync<HttpRequestException>(() => watcher.Client.LogTailAsync(info, 5000, None));

        Assert.Equal((HttpStatusCode.BadRequest, HttpStatusCode.BadRequest), (restart.StatusCode, logs.StatusCode));
        Assert.Contains("stop_timeout_seconds must be between 0 and 3600", await restart.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("lines must be between 1 and 1000", logs.Message, StringComparison.Ordinal);
        foreach (var query in (string[])["expect_status=exploded", "expect_status=1", "expect_status=running&expect_started_at=yesterday", "stop_timeout_seconds=1"])
        {
            using var response = await watcher.Http.PostAsync(new Uri($"{WatcherRoutes.Container(id)}/restart?{query}", UriKind.Relative), null);
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{query}: {(int)response.StatusCode}");
        }

        Assert.Equal(startedAt, await DockerCli.StartedAtAsync(name)); // not restarted
    }

    [SkippableFact]
    public async Task The_log_tail_through_the_watcher_is_the_containers_output()
    {
        SkipWithoutEngine();
        var name = _docker.Name("logging");
        var id = await _docker.StartAsync(name, "echo 'first line'; sleep 0.3; echo 'second line' >&2; sleep 0.3; echo 'third line'; exec sleep 1000");
        var info = (await watcher.Client.InspectAsync(id, None))!;
        await Eventually.HoldsAsync(async () => (await DockerCli.RunAsync("logs", name)).Contains("third line", StringComparison.Ordinal),
            TimeSpan.FromSeconds(15), "the container to write its lines");

        var all = await watcher.Client.LogTailAsync(info, 30, None);
        var last = await watcher.Client.LogTailAsync(info, 1, None);

        Assert.Equal(["first line", "second line", "third line"], all);
        Assert.Equal(["third line"], last);
    }

    [SkippableFact]
    public async Task The_snapshot_lists_the_hosts_containers_and_its_engine_and_the_watcher_signals_them()
    {
        SkipWithoutEngine();
        var name = _docker.Name("snapshot");
        var id = await _docker.StartAsync(name, "exec sleep 1000");

        WatcherSnapshot? snapshot = null;
        await Eventually.HoldsAsync(async () =>
        {
            snapshot = await watcher.Client.SnapshotAsync(None);
            return snapshot.Containers.Any(c => c.Id == id && c.Status == ContainerStatus.Running); // its create event may come first
        }, TimeSpan.FromSeconds(20), $"the watcher to list {name}");

        Assert.Equal(SurfaceWatcher.HostName, snapshot!.Host);
        Assert.Null(snapshot.SelfContainerId);
        Assert.True(snapshot.Engine.Reachable, snapshot.Engine.Error);
        Assert.Equal(DockerRuntime.DefaultEndpoint, snapshot.Engine.Endpoint);
        Assert.NotNull(snapshot.Engine.Since);
        var listed = Assert.Single(snapshot.Containers, c => c.Id == id);
        Assert.Equal((name, ContainerStatus.Running), (listed.Name, listed.Status));
        Assert.Contains(watcher.Bus.Signals, s => s.Key == new ContainerKey(SurfaceWatcher.HostName, name) && s.Facts.Id == id);
    }

    [SkippableFact]
    public async Task With_an_app_token_only_calls_that_carry_it_reach_the_engine()
    {
        SkipWithoutEngine();
        var name = _docker.Name("guarded");
        var id = await _docker.StartAsync(name, "exec sleep 1000");
        const string token = "app-token-0123456789";
        // A watcher of its own (the role's host disposes its engine client), over the same engine.
        using var runtime = new DockerRuntime(DockerRuntime.DefaultEndpoint, SurfaceWatcher.HostName);
        await using var guarded = await SurfaceWatcher.StartAsync(runtime, watcher.Store, new SurfaceSignalBus(), token);
        var startedAt = await DockerCli.StartedAtAsync(name);

        using var bare = new WatcherClient(guarded.Client, "test://guarded");
        var noHeader = await Assert.ThrowsAsync<HttpRequestException>(() => bare.InspectAsync(id, None));
        var noHeaderRestart = await Assert.ThrowsAsync<HttpRequestException>(
            () => bare.RestartAsync(id, TimeSpan.FromSeconds(1), new ContainerSeen(ContainerStatus.Running, null), None));
        var noHeaderSlot = await Assert.ThrowsAsync<HttpRequestException>(() => bare.EnterSlotAsync(new SlotAsk("local/guarded#1", "local/guarded", Automatic: true), TimeSpan.FromMinutes(1), TimeSpan.Zero, None));
        using var wrongClient = WithToken(guarded, "app-token-0123456788");
        using var rightClient = WithToken(guarded, token);
        var wrong = await Assert.ThrowsAsync<HttpRequestException>(() => wrongClient.InspectAsync(id, None));
        var right = await rightClient.InspectAsync(id, None);

        Assert.Equal(HttpStatusCode.Unauthorized, noHeader.StatusCode);
        Assert.Contains(WatcherRoutes.AppTokenHeader, noHeader.Message, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, noHeaderRestart.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noHeaderSlot.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal(startedAt, await DockerCli.StartedAtAsync(name)); // the refused restart did nothing
        Assert.Equal(id, right?.Id);
    }

    [SkippableFact]
    public async Task The_apis_catalog_finds_the_hosts_containers_through_its_watcher_and_keeps_them_when_it_stops_answering()
    {
        SkipWithoutEngine();
        var name = _docker.Name("catalogued");
        var id = await _docker.StartAsync(name, "exec sleep 1000", "--label", "autoheal=true");
        await Eventually.HoldsAsync(async () => (await watcher.Client.SnapshotAsync(None)).Containers.Any(c => c.Id == id),
            TimeSpan.FromSeconds(20), $"the watcher to list {name}");
        var watchers = new SurfaceWatcherClients { [SurfaceWatcher.HostName] = watcher.Client };
        using var catalog = new RemoteCatalog([SurfaceWatcher.HostName], watchers, new FixedSettingsSource(), TimeProvider.System, NullLogger<RemoteCatalog>.Instance);
        Assert.False(catalog.Current.Reachable); // nothing asked yet
        Assert.Contains("local: its watcher has not answered yet", catalog.Current.Error, StringComparison.Ordinal);

        await catalog.RefreshAsync(None);

        var byName = catalog.Find(name);
        Assert.Equal(id, byName?.Id);
        Assert.Equal(id, catalog.Find($"{SurfaceWatcher.HostName}/{name}")?.Id);
        Assert.Equal(id, catalog.Find($"{SurfaceWatcher.HostName}:{name}")?.Id); // the form a URL path segment can carry
        Assert.Equal(id, catalog.Find(id[..12])?.Id);
        Assert.Equal(id, catalog.Find(id)?.Id);
        Assert.Null(catalog.Find($"elsewhere/{name}"));
        Assert.Equal(new ContainerKey(SurfaceWatcher.HostName, name), byName!.Key);
        Assert.True(catalog.Select(byName!).Monitored); // the default rules: opted in by the autoheal=true label
        Assert.Contains(catalog.Containers, c => c.Id == id);
        Assert.True(catalog.Current.Reachable, catalog.Current.Error);
        Assert.Equal(DaprNames.WatcherAppId(SurfaceWatcher.HostName), catalog.Current.Endpoint);

        // The watcher stops answering (restarting, its sidecar gone): the engine counts as unreachable, and the
        // containers last seen stay listed.
        using var nowhere = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Loopback.FreePort()}"), Timeout = TimeSpan.FromSeconds(5) };
        watchers[SurfaceWatcher.HostName] = new WatcherClient(nowhere, "test://nowhere");
        await catalog.RefreshAsync(None);

        Assert.False(catalog.Current.Reachable);
        Assert.StartsWith($"{SurfaceWatcher.HostName}: its watcher does not answer", catalog.Current.Error, StringComparison.Ordinal);
        Assert.NotNull(catalog.Current.Since);
        Assert.Equal(id, catalog.Find(name)?.Id);
        Assert.Contains(catalog.Containers, c => c.Id == id);
        Assert.Equal(new ContainerKey(SurfaceWatcher.HostName, name), catalog.Find(name)!.Key);
    }

    [SkippableFact]
    public async Task With_two_hosts_the_catalog_names_the_one_whose_watcher_does_not_answer()
    {
        SkipWithoutEngine();
        var name = _docker.Name("twohosts");
        var id = await _docker.StartAsync(name, "exec sleep 1000");
        await Eventually.HoldsAsync(async () => (await watcher.Client.SnapshotAsync(None)).Containers.Any(c => c.Id == id),
            TimeSpan.FromSeconds(20), $"the watcher to list {name}");
        using var nowhere = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Loopback.FreePort()}"), Timeout = TimeSpan.FromSeconds(5) };
        var watchers = new SurfaceWatcherClients { [SurfaceWatcher.HostName] = watcher.Client, ["web2"] = new WatcherClient(nowhere, "test://web2") };
        using var catalog = new RemoteCatalog([SurfaceWatcher.HostName, "web2"], watchers, new FixedSettingsSource(), TimeProvider.System, NullLogger<RemoteCatalog>.Instance);

        await catalog.RefreshAsync(None);

        Assert.False(catalog.Current.Reachable);
        Assert.StartsWith("web2: its watcher does not answer", catalog.Current.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("local:", catalog.Current.Error, StringComparison.Ordinal);
        Assert.Equal(id, catalog.Find(name)?.Id);
        Assert.Equal(new ContainerKey(SurfaceWatcher.HostName, name), catalog.Find(name)!.Key);
    }

    private static WatcherClient WithToken(SurfaceHost host, string token)
    {
        var http = host.App.GetTestClient();
        http.DefaultRequestHeaders.Add(WatcherRoutes.AppTokenHeader, token);
        http.DefaultRequestHeaders.Add(WatcherRoutes.CallerHeader, SidecarOnly.CallerProof(token)); // as the healer's DaprWatchers sends it
        return new WatcherClient(http, "test://guarded");
    }

    private void SkipWithoutEngine() => Skip.If(watcher.SkipReason is not null, watcher.SkipReason);
}
