using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Api.Dapr;

/// <summary>The API role on Dapr: the watchers' catalog, the event log fed by <c>heal-events</c>.</summary>
public static class DaprApiModule
{
    /// <summary>The catalog and engine status of <paramref name="hosts"/>, read from their watchers.</summary>
    public static IHostApplicationBuilder AddDaprApiCatalog(this IHostApplicationBuilder builder, IReadOnlyList<string> hosts)
    {
        var services = builder.Services;
        services.AddSingleton<IWatcherClients, DaprWatcherClients>();
        services.AddSingleton(sp => new RemoteCatalog(
            hosts,
            sp.GetRequiredService<IWatcherClients>(),
            sp.GetRequiredService<ISettingsSource>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<RemoteCatalog>>()));
        services.AddSingleton<IContainerCatalog>(sp => sp.GetRequiredService<RemoteCatalog>());
        services.AddSingleton<IEngineStatus>(sp => sp.GetRequiredService<RemoteCatalog>());
        services.AddHostedService(sp => sp.GetRequiredService<RemoteCatalog>());
        return builder;
    }

    /// <summary>Keeps this process's settings in step with the shared documents other processes write.</summary>
    public static IHostApplicationBuilder AddSharedDocumentsRefresh(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<SharedDocumentsRefresher>();
        return builder;
    }

    /// <summary>Maps the subscription to <c>heal-events</c>.</summary>
    public static WebApplication MapDaprApi(this WebApplication app)
    {
        app.MapEventProjection();
        return app;
    }
}

/// <summary>
/// Reads the shared documents (configuration, selections, check definitions) every
/// <see cref="Interval"/>: a change made through the API in one process reaches every other role
/// within that time. Writes never wait for it: they carry ETags.
/// </summary>
internal sealed partial class SharedDocumentsRefresher(
    SettingsService settings, IServiceProvider services, TimeProvider time, ILogger<SharedDocumentsRefresher> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await settings.ReloadAsync(stoppingToken);
                    services.GetService<HealthCheckStore>()?.Invalidate();
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Failed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not read the shared settings from the state store: {Error}")]
    private static partial void Failed(ILogger logger, string error);
}
