using System.Net;
using AutoHeal.Core.Probes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace AutoHeal.Watcher;

/// <summary>Registers the watcher role.</summary>
public static class WatcherModule
{
    /// <summary>
    /// The event stream, the reconcile sweep and the custom checks for one Docker host, in cohesive parts.
    /// Expects the host's engine (<c>AddLocalEngine</c>), an <see cref="ISignalBus"/>, an
    /// <see cref="ISettingsSource"/>, the <see cref="IProbeDefinitions"/>, an <see cref="IEventRecorder"/>, a <see cref="TimeProvider"/>
    /// and the <see cref="CheckRules"/> (the defaults when none are given).
    /// </summary>
    public static IHostApplicationBuilder AddWatcher(this IHostApplicationBuilder builder)
    {
        WatcherMetrics.Initialize();
        var services = builder.Services;
        services.AddSingleton(sp =>
        {
            var catalog = new ContainerCatalog(sp.GetRequiredService<ISettingsSource>());
            var host = sp.GetRequiredService<HostIdentity>();
            catalog.SetSelf(host.Name, host.SelfContainerId);
            return catalog;
        });
        // The watcher's parts use this host's catalog and status by their type; the ports are theirs too unless the
        // process is also the API on Dapr, whose catalog and status span every watcher's host.
        services.AddSingleton<IContainerCatalog>(sp => sp.GetRequiredService<ContainerCatalog>());
        services.AddSingleton<EngineStatus>();
        services.AddSingleton<IEngineStatus>(sp => sp.GetRequiredService<EngineStatus>());
        services.AddSingleton<EngineClock>();
        services.AddSingleton<SignalPublisher>();
        services.AddSingleton<ContainerInspector>();
        services.AddSingleton<ContainerQueues>();
        services.AddSingleton<EngineEventProcessor>();
        services.TryAddSingleton(new DependentRules());
        services.AddSingleton<DependentRestarts>();
        services.AddSingleton<ReconcileSweep>();
        services.AddHostedService(sp => sp.GetRequiredService<ReconcileSweep>());
        services.AddSingleton<EventStreamWatch>();
        services.AddSingleton<AutoHeal.Core.Stores.ILoopHealth>(sp => sp.GetRequiredService<EventStreamWatch>());
        services.AddSingleton<EngineEventLoop>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineEventLoop>());
        services.AddHttpClient(ProbeScheduler.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
            {
                UseProxy = false,
                AllowAutoRedirect = false,
                PooledConnectionLifetime = TimeSpan.FromMinutes(2),
                ConnectTimeout = TimeSpan.FromSeconds(30),
                AutomaticDecompression = DecompressionMethods.None,
            })
            .RemoveAllLoggers(); // a line per check would drown the log
        services.TryAddSingleton(new CheckRules());
        services.AddSingleton<ProbeScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<ProbeScheduler>());
        return builder;
    }
}
