using AutoHeal.Dapr;
using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Api.Dapr;

/// <summary>The API role on Dapr: the watchers' catalog, the event log fed by <c>heal-events</c>.</summary>
public static class DaprApiModule
{
    /// <summary>The catalog and engine status of <paramref name="hosts"/>, read from their watchers. Expects <c>AddDaprTransport</c>.</summary>
    public static IHostApplicationBuilder AddDaprApiCatalog(this IHostApplicationBuilder builder, IReadOnlyList<string> hosts)
    {
        var services = builder.Services;
        services.AddSingleton(sp => new RemoteCatalog(
            hosts,
            sp.GetRequiredService<IWatcherClients>(),
            sp.GetRequiredService<ISettingsSource>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RemoteCatalog>>()));
        services.AddSingleton<IContainerCatalog>(sp => sp.GetRequiredService<RemoteCatalog>());
        services.AddSingleton<IEngineStatus>(sp => sp.GetRequiredService<RemoteCatalog>());
        services.AddHostedService(sp => sp.GetRequiredService<RemoteCatalog>());
        services.AddSingleton(sp => new ContainerLookup(
            sp.GetRequiredService<IContainerCatalog>(), sp.GetRequiredService<IHealHosts>(), hosts, sp.GetRequiredService<TimeProvider>()));
        return builder;
    }

    /// <summary>Maps the subscription to <c>heal-events</c>.</summary>
    public static WebApplication MapDaprApi(this WebApplication app)
    {
        app.MapEventProjection();
        return app;
    }
}
