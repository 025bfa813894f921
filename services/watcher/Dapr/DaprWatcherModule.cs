using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Watcher.Dapr;

/// <summary>Registers the watcher's Dapr transport.</summary>
public static class DaprWatcherModule
{
    /// <summary>Signals go to the pub/sub topic; restarts through this watcher are capped per host.</summary>
    public static IHostApplicationBuilder AddWatcherDaprTransport(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDaprClient(b => b.UseJsonSerializationOptions(DaprWire.Json));
        builder.Services.AddSingleton<ISignalBus, DaprSignalBus>();
        builder.Services.AddSingleton(sp => new RestartGate(() => sp.GetRequiredService<ISettingsSource>().MaxConcurrentRestarts));
        return builder;
    }
}
