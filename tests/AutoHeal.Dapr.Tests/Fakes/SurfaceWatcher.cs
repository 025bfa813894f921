using System.Collections.Concurrent;
using System.ComponentModel;
using AutoHeal.Core;
using AutoHeal.Core.Containers;
using AutoHeal.Core.Probes;
using AutoHeal.Watcher;
using AutoHeal.Watcher.Dapr;
using Microsoft.AspNetCore.Builder;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// The watcher role as <c>autoheal --roles watcher</c> composes it (the watcher module over the real
/// Docker engine, the check definitions, the host's restart gate, <see cref="WatcherEndpoints"/>), on the
/// test server, with signals recorded instead of published to the sidecar.
/// </summary>
internal static class SurfaceWatcher
{
    /// <summary>The Docker host name the watcher serves.</summary>
    public const string HostName = "local";

    /// <summary>Starts the watcher over <paramref name="runtime"/>, which it owns from now on; with <paramref name="appToken"/>, its routes need it.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the host owns what it is given")]
    public static Task<SurfaceHost> StartAsync(IContainerRuntime runtime, IDocumentStore documents, SurfaceSignalBus bus, string? appToken = null) =>
        SurfaceHost.StartAsync(
            builder => Compose(builder, runtime, documents, new FixedSettingsSource(), new RecordingEventSink(), bus),
            app =>
            {
                if (appToken is not null)
                {
                    app.UseSidecarOnly(appToken); // as AutoHealHost.MapDaprRoles does
                }

                app.MapWatcherEndpoints();
            });

    /// <summary>
    /// The services of <c>autoheal --roles watcher</c> (as <c>AddDaprRolesAsync</c> composes them), less the Dapr
    /// client: its events go to <paramref name="events"/> (where heal-events would be), its signals to <paramref name="bus"/>.
    /// </summary>
    public static void Compose(
        WebApplicationBuilder builder, IContainerRuntime runtime, IDocumentStore documents, ISettingsSource settings, IEventSink events, ISignalBus bus)
    {
        var services = builder.Services;
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddSingleton(documents);
        services.AddSingleton<HealthCheckStore>();
        services.AddSingleton<IProbeDefinitions>(sp => sp.GetRequiredService<HealthCheckStore>());
        services.AddSingleton(events);
        services.AddSingleton<IEventRecorder>(new PublishedEventRecorder(events));
        services.AddSingleton(bus);
        services.AddLocalEngine(runtime, new HostIdentity(HostName, null));
        builder.AddWatcher();
    }

    /// <summary>Why the Docker tests cannot run here, or null when an engine answers and the test image is there.</summary>
    public static async Task<string?> WhyNoEngineAsync()
    {
        try
        {
            var (code, _, stderr) = await DockerCli.TryRunAsync("image", "inspect", DockerCli.Image);
            return code == 0
                ? null
                : $"no Docker engine answers or the test image {DockerCli.Image} is missing ({stderr.Trim()}); run scripts/docker-engine";
        }
        catch (Exception ex) when (ex is Win32Exception or InvalidOperationException or OperationCanceledException)
        {
            return $"the docker CLI cannot be run ({ex.Message}); run scripts/docker-engine";
        }
    }
}

/// <summary>The watchers of a <see cref="AutoHeal.Api.Dapr.RemoteCatalog"/> or of heals, by host; a test may swap one.</summary>
internal sealed class SurfaceWatcherClients : IWatcherClients, IHealHosts
{
    private readonly ConcurrentDictionary<string, WatcherClient> _clients = new(StringComparer.Ordinal);

    public WatcherClient this[string host]
    {
        get => _clients[host];
        set => _clients[host] = value;
    }

    public WatcherClient For(string host) =>
        _clients.TryGetValue(host, out var client) ? client : throw new InvalidOperationException($"no watcher for {host} in this test");

    IHealHost IHealHosts.For(string host) => For(host);
}

/// <summary>A signal bus that keeps what the watcher publishes.</summary>
public sealed class SurfaceSignalBus : ISignalBus
{
    private readonly ConcurrentQueue<ContainerSignal> _signals = new();

    /// <summary>Every signal so far.</summary>
    public IReadOnlyList<ContainerSignal> Signals => _signals.ToArray();

    public ValueTask PublishAsync(ContainerSignal signal, CancellationToken cancellationToken)
    {
        _signals.Enqueue(signal);
        return ValueTask.CompletedTask;
    }
}
