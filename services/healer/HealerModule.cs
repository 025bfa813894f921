using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Healer;

/// <summary>Registers the healer role with the embedded transport.</summary>
public static class HealerModule
{
    /// <summary>
    /// Guardians as in-process mailboxes, the in-process heal runner and the in-process signal bus.
    /// Expects an <see cref="IContainerRuntime"/>, an <see cref="IAutoHealStore"/> and an <see cref="ISettingsSource"/>.
    /// </summary>
    public static IHostApplicationBuilder AddHealer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddSingleton<HealSteps>();
        services.AddSingleton(sp => new RestartGate(() => sp.GetRequiredService<ISettingsSource>().MaxConcurrentRestarts));
        services.AddSingleton<GuardianMailboxes>();
        services.AddSingleton<IGuardians>(sp => sp.GetRequiredService<GuardianMailboxes>());
        services.AddSingleton<InProcessHealRunner>();
        services.AddSingleton<IHealRunner>(sp => sp.GetRequiredService<InProcessHealRunner>());
        services.AddSingleton<IEventSinkPart, LoggingEventSink>();
        services.AddSingleton<IEventSinkPart, HealerMetrics>();
        services.AddSingleton<IEventSink, CompositeEventSink>();
        services.AddSingleton<InProcessSignalBus>();
        services.AddSingleton<ISignalBus>(sp => sp.GetRequiredService<InProcessSignalBus>());
        services.AddHostedService<HealResumer>();
        services.AddHostedService(sp => sp.GetRequiredService<InProcessSignalBus>());
        return builder;
    }
}
