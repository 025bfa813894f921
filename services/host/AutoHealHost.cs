using AutoHeal.Api;
using AutoHeal.Api.Dapr;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Docker;
using AutoHeal.Domain.Ports;
using AutoHeal.Healer;
using AutoHeal.Healer.Dapr;
using AutoHeal.Sqlite;
using AutoHeal.Ui;
using AutoHeal.Watcher;
using AutoHeal.Watcher.Dapr;
using Dapr;
using Dapr.Client;
using Prometheus;

namespace AutoHeal.Host;

/// <summary>Distributed mode cannot start: no Dapr sidecar.</summary>
internal sealed class DaprUnavailableException(string message) : Exception(message);

/// <summary>Composes the embedded <c>autoheal</c>: every role in one process.</summary>
internal static class AutoHealHost
{
    /// <summary>Logging, the web host, the SQLite store, the live settings and the Docker engine.</summary>
    public static async Task AddAutoHealDefaultsAsync(this WebApplicationBuilder builder, Settings settings)
    {
        builder.AddWebDefaults(settings);
        var store = await SqliteStore.OpenAsync(settings.Root.DataDir, settings.Root.EventRetention, CancellationToken.None);
        await builder.AddSettingsAsync(store, settings, $"the configuration saved through the API in {store.Path}");
        builder.Services.AddSingleton<IContainerRuntime>(DockerRuntimeOf(settings));
    }

    private static async Task AddSettingsAsync(this WebApplicationBuilder builder, IAutoHealStore store, Settings settings, string where)
    {
        var live = new SettingsService(store);
        await live.InitializeAsync(settings.ToConfig(), CancellationToken.None);
        if (live.FromStore)
        {
            Console.WriteLine($"autoheal: using {where}; appsettings give only the defaults.");
        }

        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(live);
        builder.Services.AddSingleton<ISettingsSource>(live);
    }

    private static DockerRuntime DockerRuntimeOf(Settings settings) =>
        new(settings.Docker.Endpoint is { Length: > 0 } e ? e : DockerRuntime.DefaultEndpoint);

    private static void AddWebDefaults(this WebApplicationBuilder builder, Settings settings)
    {
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["http_ports"])
            && string.IsNullOrEmpty(builder.Configuration["https_ports"]))
        {
            builder.WebHost.UseUrls("http://+:8080");
        }

        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestBodySize = ApiModule.MaxBodyBytes);
        if (settings.Metrics.Port > 0)
        {
            builder.Services.AddMetricServer(o => o.Port = (ushort)settings.Metrics.Port);
        }

        builder.Services.AddSingleton(TimeProvider.System);
    }

    /// <summary>
    /// The roles of <paramref name="settings"/> on the Dapr transport. Shared documents live in the Dapr
    /// state store; the API keeps the event log in its data folder. Waits for the sidecar first.
    /// </summary>
    public static async Task AddDaprRolesAsync(this WebApplicationBuilder builder, Settings settings)
    {
        builder.AddWebDefaults(settings);
        var roles = settings.Roles;
        var dapr = new DaprClientBuilder().UseJsonSerializationOptions(DaprWire.Json).Build();
        var sidecarWait = TimeSpan.FromSeconds(settings.Dapr.SidecarWaitSeconds);
        using (var wait = new CancellationTokenSource(sidecarWait))
        {
            try
            {
                await dapr.WaitForSidecarAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                throw new DaprUnavailableException($"no Dapr sidecar answered within {sidecarWait.TotalSeconds:0}s (AutoHeal:Dapr:SidecarWaitSeconds; DAPR_HTTP_ENDPOINT / DAPR_HTTP_PORT, default http://localhost:3500): distributed mode runs next to daprd");
            }
        }

        var eventLog = roles.Api ? new ApiEventLog(await SqliteStore.OpenAsync(settings.Root.DataDir, settings.Root.EventRetention, CancellationToken.None)) : null;
        if (eventLog is not null)
        {
            builder.Services.AddSingleton(eventLog);
        }

        try
        {
            await builder.AddSettingsAsync(new DaprStore(dapr, eventLog), settings, $"the configuration saved through the API in the state store {DaprNames.StateStore}");
        }
        catch (DaprException ex)
        {
            throw new DaprUnavailableException($"the Dapr state store '{DaprNames.StateStore}' cannot be read ({ex.InnerException?.Message ?? ex.Message}): check its component in the sidecar's --resources-path");
        }

        builder.AddDaprTransport();
        builder.AddSharedDocumentsRefresh();
        if (roles.Watcher)
        {
            builder.Services.AddSingleton<IContainerRuntime>(DockerRuntimeOf(settings));
            builder.AddWatcher(new WatcherSettings(settings.Docker.HostName, SelfContainer.DetectId()));
            builder.AddWatcherDaprTransport();
        }

        if (roles.Healer)
        {
            builder.AddDaprHealer();
        }

        if (roles.Api)
        {
            builder.AddApi(ApiToken.Resolve(settings.Api.Token, settings.Root.DataDir, Console.WriteLine), webhooksFromEventSink: false);
            builder.AddDaprApiCatalog(settings.Dapr.HostList);
        }
        else if (roles.Watcher)
        {
            // The watcher's probes read the check definitions the API saved.
            builder.Services.AddSingleton<HealthCheckStore>();
            builder.Services.AddSingleton<IProbeDefinitions>(sp => sp.GetRequiredService<HealthCheckStore>());
        }

        if (roles.Ui)
        {
            builder.AddUi();
        }
    }

    /// <summary>Maps the routes of the roles on Dapr: subscriptions, actors, the watcher's routes, the API, the dashboard.</summary>
    public static void MapDaprRoles(this WebApplication app, Settings settings)
    {
        var roles = settings.Roles;
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        if (roles.Watcher)
        {
            app.MapWatcherEndpoints(Environment.GetEnvironmentVariable("APP_API_TOKEN"));
        }

        if (roles.Healer)
        {
            app.MapDaprHealer();
        }

        if (roles.Api)
        {
            app.MapApi();
            app.MapDaprApi();
        }
        else
        {
            app.MapGet("/health", (IServiceProvider sp) => sp.GetService<EngineStatus>()?.Current is { Reachable: false } down
                    ? Results.Json(new { status = "unhealthy", roles = roles.ToString(), error = down.Error }, statusCode: 503)
                    : Results.Ok(new { status = "healthy", roles = roles.ToString() }))
                .ExcludeFromDescription();
            app.MapMetrics("/metrics");
        }

        if (roles.Ui)
        {
            app.MapUi();
        }
    }

    /// <summary>Every role on the in-process transport: watcher, healer, API.</summary>
    public static WebApplicationBuilder AddEmbeddedRoles(this WebApplicationBuilder builder, Settings settings)
    {
        builder.AddHealer();
        builder.AddWatcher(new WatcherSettings(settings.Docker.HostName, SelfContainer.DetectId()));
        builder.AddApi(ApiToken.Resolve(settings.Api.Token, settings.Root.DataDir, Console.WriteLine));
        builder.AddUi();
        return builder;
    }
}
