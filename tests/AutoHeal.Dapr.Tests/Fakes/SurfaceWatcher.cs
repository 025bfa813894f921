using System.Collections.Concurrent;
using System.ComponentModel;
using AutoHeal.Api;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using AutoHeal.TestUtils;
using AutoHeal.TestUtils.Fakes;
using AutoHeal.Watcher;
using AutoHeal.Watcher.Dapr;
using Microsoft.Extensions.DependencyInjection;

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

    /// <summary>Starts the watcher over <paramref name="runtime"/>; with <paramref name="appToken"/>, its routes need it.</summary>
    public static Task<SurfaceHost> StartAsync(IContainerRuntime runtime, IAutoHealStore store, SurfaceSignalBus bus, string? appToken = null) =>
        SurfaceHost.StartAsync(
            builder =>
            {
                var services = builder.Services;
                services.AddSingleton(TimeProvider.System);
                services.AddSingleton(runtime);
                services.AddSingleton(store);
                services.AddSingleton<ISettingsSource>(new FixedSettingsSource());
                services.AddSingleton<IEventSink>(new RecordingEventSink());
                services.AddSingleton<ISignalBus>(bus);
                // As AddWatcherDaprTransport, less the DaprClient-based signal bus.
                services.AddSingleton(sp => new RestartGate(() => sp.GetRequiredService<ISettingsSource>().MaxConcurrentRestarts));
                // As AddDaprRolesAsync for a watcher without the api role.
                services.AddSingleton<HealthCheckStore>();
                services.AddSingleton<IProbeDefinitions>(sp => sp.GetRequiredService<HealthCheckStore>());
                builder.AddWatcher(new WatcherSettings(HostName, null));
            },
            app => app.MapWatcherEndpoints(appToken));

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

/// <summary>The watchers of a <see cref="AutoHeal.Api.Dapr.RemoteCatalog"/>, by host; a test may swap one.</summary>
internal sealed class SurfaceWatcherClients : IWatcherClients
{
    private readonly ConcurrentDictionary<string, WatcherClient> _clients = new(StringComparer.Ordinal);

    public WatcherClient this[string host]
    {
        get => _clients[host];
        set => _clients[host] = value;
    }

    public WatcherClient For(string host) =>
        _clients.TryGetValue(host, out var client) ? client : throw new InvalidOperationException($"no watcher for {host} in this test");
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
