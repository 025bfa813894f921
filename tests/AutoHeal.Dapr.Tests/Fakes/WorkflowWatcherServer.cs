using AutoHeal.Core;
using AutoHeal.Core.Containers;
using AutoHeal.Watcher.Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// A watcher's routes (<see cref="WatcherEndpoints.MapWatcherEndpoints"/>) over a fake engine (and the host's real
/// restart slots), in an in-memory <see cref="TestServer"/>, and the <see cref="WatcherClient"/> the healer's
/// activities reach it with: the same HTTP calls, status codes and JSON as through Dapr's service invocation,
/// without a sidecar. <c>/watcher/snapshot</c> is not served here: it needs a running watcher.
/// </summary>
internal sealed class WorkflowWatcherServer : IWatcherClients, IHealHosts, IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly WatcherClient _client;
    private readonly Recorded<string> _requests;

    private WorkflowWatcherServer(string host, WebApplication app, Recorded<string> requests)
    {
        Host = host;
        _app = app;
        _requests = requests;
        _client = new WatcherClient(app.GetTestClient(), $"dapr://{DaprNames.WatcherAppId(host)}");
    }

    /// <summary>The Docker host this watcher serves.</summary>
    public string Host { get; }

    /// <summary>Restart slots held on this host now.</summary>
    public int SlotsHeld => _app.Services.GetRequiredService<AutoHeal.Core.Heals.RestartSlots>().Held;

    /// <summary>Every request the watcher received ("METHOD path"), in order.</summary>
    public IReadOnlyList<string> Requests => _requests.Items;

    public static async Task<WorkflowWatcherServer> StartAsync(string host, IContainerRuntime runtime, int maxConcurrentRestarts = 4)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseTestServer();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ISettingsSource>(new FixedSettingsSource { MaxConcurrentRestarts = maxConcurrentRestarts });
        builder.Services.AddSingleton<IEventRecorder>(new RecordingEventSink());
        builder.Services.AddLocalEngine(runtime, new HostIdentity(host, null));
        var app = builder.Build();
        var requests = new Recorded<string>();
        app.Use(async (context, next) =>
        {
            requests.Add($"{context.Request.Method} {context.Request.Path}");
            await next(context);
        });
        app.MapWatcherEndpoints();
        await app.StartAsync();
        return new WorkflowWatcherServer(host, app, requests); // the test client exists once the server runs
    }

    public WatcherClient For(string host) =>
        host == Host ? _client : throw new InvalidOperationException($"no watcher for the host '{host}' in this test");

    IHealHost IHealHosts.For(string host) => For(host);

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _app.DisposeAsync();
    }
}
