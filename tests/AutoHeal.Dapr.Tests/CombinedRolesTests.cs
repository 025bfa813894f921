using AutoHeal.Api.Dapr;
using AutoHeal.Watcher.Dapr;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// <c>--roles watcher,api</c> on Dapr, in one process: the API's catalog spans every watcher's host, while the
/// watcher's own parts (its snapshot route, its custom checks) keep to this host's engine.
/// </summary>
public sealed class CombinedRolesTests
{
    [Fact]
    public async Task A_process_that_is_watcher_and_api_serves_its_own_hosts_containers_and_the_api_sees_them_through_the_watcher()
    {
        var runtime = new FakeContainerRuntime(TimeProvider.System, SurfaceWatcher.HostName);
        runtime.Add(runtime.Running("c0ffee000001", "web"));
        var watchers = new SurfaceWatcherClients();
        await using var host = await SurfaceHost.StartAsync(
            builder =>
            {
                SurfaceWatcher.Compose(builder, runtime, new InMemoryDocumentStore(), new FixedSettingsSource(), new RecordingEventSink(), new SurfaceSignalBus());
                builder.Services.AddSingleton<IWatcherClients>(watchers);
                builder.AddDaprApiCatalog([SurfaceWatcher.HostName]); // as AddDaprRolesAsync does for the api role, after the watcher
            },
            app => app.MapWatcherEndpoints());
        var self = new WatcherClient(host.Client, $"test://{DaprNames.WatcherAppId(SurfaceWatcher.HostName)}");
        watchers[SurfaceWatcher.HostName] = self;

        // The watcher's snapshot is this host's engine, not the API's view of the watchers (which would be itself).
        await Eventually.TrueAsync(async () => (await self.SnapshotAsync(CancellationToken.None)).Containers.Any(c => c.Name == "web"),
            "the watcher's snapshot to list the container of its engine");
        var snapshot = await self.SnapshotAsync(CancellationToken.None);
        Assert.True(snapshot.Engine.Reachable);
        // The API's catalog reads it from the watcher, as it reads any other host's.
        var api = host.Get<IContainerCatalog>();
        Assert.IsType<RemoteCatalog>(api);
        await Eventually.TrueAsync(() => api.Find("local:web") is not null, "the API's catalog to list local:web");
    }
}
