using AutoHeal.Domain.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Watcher;

/// <summary>Registers the watcher role.</summary>
public static class WatcherModule
{
    /// <summary>The event stream and reconcile sweep for one Docker host.</summary>
    public static IHostApplicationBuilder AddWatcher(this IHostApplicationBuilder builder, WatcherSettings settings)
    {
        WatcherMetrics.Initialize();
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton<EngineStatus>();
        builder.Services.AddSingleton<IEngineStatus>(sp => sp.GetRequiredService<EngineStatus>());
        builder.Services.AddSingleton<ContainerWatcher>();
        builder.Services.AddSingleton<IContainerCatalog>(sp => sp.GetRequiredService<ContainerWatcher>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ContainerWatcher>());
        builder.Services.AddSingleton<ProbeScheduler>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ProbeScheduler>());
        return builder;
    }
}
