using AutoHeal.Core.Containers;
using AutoHeal.Core.Events;
using AutoHeal.Core.Heals;
using AutoHeal.Core.Probes;
using AutoHeal.Core.Settings;
using AutoHeal.Core.Stores;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core;

/// <summary>Registers what every role shares.</summary>
public static class CoreModule
{
    /// <summary>
    /// The event fan-out: every <see cref="IEventSinkPart"/> (the log lines first) behind one <see cref="IEventSink"/>;
    /// and the <see cref="StoreHealth"/> that the writers of this process's store report to.
    /// </summary>
    public static IServiceCollection AddEventFanOut(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IEventSinkPart, LoggingEventSink>());
        services.TryAddSingleton<IEventSink, CompositeEventSink>();
        services.TryAddSingleton<StoreHealth>();
        return services;
    }

    /// <summary>
    /// The live settings (<paramref name="live"/>, loaded already; the container owns it from now on) and the
    /// custom check definitions, both shared documents of the <see cref="IDocumentStore"/>.
    /// </summary>
    public static IServiceCollection AddSharedSettings(this IServiceCollection services, SettingsService live)
    {
        services.AddSingleton(_ => live); // through a factory, so the container disposes it
        services.AddSingleton<ISettingsSource>(sp => sp.GetRequiredService<SettingsService>());
        services.AddSingleton<HealthCheckStore>();
        services.AddSingleton<IProbeDefinitions>(sp => sp.GetRequiredService<HealthCheckStore>());
        return services;
    }

    /// <summary>
    /// This host's Docker engine: <paramref name="runtime"/> (the container owns it from now on) for the watcher, and the heal side of it
    /// (<see cref="LocalHealHost"/>, with the host's restart slots) for heals in this process or served to
    /// other processes by the watcher. Expects an <see cref="ISettingsSource"/> and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IServiceCollection AddLocalEngine(this IServiceCollection services, IContainerRuntime runtime, HostIdentity host)
    {
        services.AddSingleton(_ => runtime); // through a factory, so the container disposes it
        services.AddSingleton(host);
        // While a storm drains, restarts go one at a time; the breaker closes only when no heal holds or waits for a slot.
        services.AddSingleton(sp => new HostStorm(
            sp.GetRequiredService<ISettingsSource>(), sp.GetRequiredService<IEventRecorder>(), host, sp.GetRequiredService<TimeProvider>(),
            () => sp.GetRequiredService<RestartSlots>().Idle, sp.GetRequiredService<ILogger<HostStorm>>()));
        services.AddSingleton(sp => new RestartSlots(
            () => sp.GetRequiredService<HostStorm>().OneAtATime ? 1 : sp.GetRequiredService<ISettingsSource>().MaxConcurrentRestarts, sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ComposeDeploys>();
        services.AddSingleton<EngineAccess>();
        services.AddSingleton(sp => new LocalHealHost(
            runtime, sp.GetRequiredService<RestartSlots>(), sp.GetRequiredService<HostStorm>(), sp.GetRequiredService<ComposeDeploys>(), host, sp.GetRequiredService<TimeProvider>(),
            id => sp.GetService<ContainerCatalog>()?.NamesOf(id) ?? []));
        services.AddSingleton<IHealHost>(sp => sp.GetRequiredService<LocalHealHost>());
        services.TryAddSingleton<IHealHosts>(sp => sp.GetRequiredService<LocalHealHost>());
        return services;
    }
}
