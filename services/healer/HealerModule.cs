using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Healer;

/// <summary>Registers the healer role with the embedded transport.</summary>
public static class HealerModule
{
    /// <summary>
    /// Guardians as in-process mailboxes, the in-process heal runner and the in-process signal bus.
    /// Expects the heal side of the host (<see cref="IHealHosts"/>), an <see cref="IGuardianStore"/>, an
    /// <see cref="ISettingsSource"/>, the event fan-out (<see cref="IEventSink"/>) and a <see cref="TimeProvider"/>.
    /// </summary>
    public static IHostApplicationBuilder AddHealer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHealSteps();
        services.AddSingleton<HealQueue>();
        services.AddSingleton<IHealRunner>(sp => sp.GetRequiredService<HealQueue>());
        services.AddSingleton<GuardianMailboxes>();
        services.AddSingleton<IGuardians>(sp => sp.GetRequiredService<GuardianMailboxes>());
        services.AddSingleton<AutoHeal.Core.Stores.ILoopHealth>(sp => sp.GetRequiredService<GuardianMailboxes>());
        services.AddSingleton<InProcessHealRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<InProcessHealRunner>());
        services.AddSingleton<InProcessSignalBus>();
        services.AddSingleton<ISignalBus>(sp => sp.GetRequiredService<InProcessSignalBus>());
        services.AddHostedService<HealResumer>();
        services.AddSingleton<GuardianForgetter>();
        services.AddHostedService(sp => sp.GetRequiredService<GuardianForgetter>());
        services.AddHostedService(sp => sp.GetRequiredService<InProcessSignalBus>());
        return builder;
    }

    /// <summary>What both transports' healers share: the heal steps, the guardian turn, the heal metrics.</summary>
    internal static IServiceCollection AddHealSteps(this IServiceCollection services)
    {
        services.AddSingleton<HealSteps>();
        services.AddSingleton<GuardianTurn>();
        services.AddSingleton<IEventSinkPart, HealerMetrics>();
        return services;
    }
}
