using AutoHeal.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Dapr;

/// <summary>Registers what every role on Dapr shares.</summary>
public static class DaprTransport
{
    /// <summary>
    /// The Dapr client and actor proxies; the guardians as actors (<see cref="IGuardians"/>); the shared
    /// documents in the state store, read again every few seconds; events logged and published to <c>heal-events</c> (which is where the
    /// API's event log is kept); every host's heal side through its watcher.
    /// </summary>
    public static IHostApplicationBuilder AddDaprTransport(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddDaprClient(b => b.UseJsonSerializationOptions(DaprWire.Json));
        services.AddActors(o =>
        {
            o.UseJsonSerialization = true;
            o.JsonSerializerOptions = DaprWire.Json;
        });
        services.AddSingleton<IGuardians, ActorGuardians>();
        services.AddSingleton<IDocumentStore>(sp => new DaprDocumentStore(sp.GetRequiredService<DaprClient>(), sp.GetRequiredService<ILoggerFactory>().CreateLogger<DaprDocumentStore>()));
        services.AddEventFanOut();
        services.AddSingleton<IEventSinkPart, DaprEventPublisher>();
        services.AddSingleton<IEventRecorder, PublishedEventRecorder>();
        services.AddSingleton<DaprWatchers>();
        services.AddSingleton<IWatcherClients>(sp => sp.GetRequiredService<DaprWatchers>());
        services.AddSingleton<IHealHosts>(sp => sp.GetRequiredService<DaprWatchers>());
        services.AddHostedService<SharedDocumentsRefresher>();
        return builder;
    }
}
