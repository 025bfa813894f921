using AutoHeal.Contracts.Dapr;
using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Watcher.Dapr;

/// <summary>Registers the watcher's Dapr transport.</summary>
public static class DaprWatcherModule
{
    /// <summary>Signals go to the pub/sub topic. (The host's restart slots and heal side are <c>AddLocalEngine</c>'s, served by <see cref="WatcherEndpoints"/>.)</summary>
    public static IHostApplicationBuilder AddWatcherDaprTransport(this IHostApplicationBuilder builder)
    {
        builder.Services.AddDaprClient(b => b.UseJsonSerializationOptions(DaprWire.Json));
        builder.Services.AddSingleton<ISignalBus, DaprSignalBus>();
        return builder;
    }
}
