using AutoHeal.Core.Probes;
using AutoHeal.Api;
using AutoHeal.Api.Dapr;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Core;
using AutoHeal.Core.Containers;
using AutoHeal.Core.Events;
using AutoHeal.Core.Settings;
using AutoHeal.Dapr;
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

/// <summary>Composes <c>autoheal</c>: every role in one process (embedded), or the chosen roles on Dapr.</summary>
internal static class AutoHealHost
{
    /// <summary>
    /// Embedded mode: the SQLite store (guardians, event log, shared documents), the live settings, the
    /// local engine, and every role on the in-process transport.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the service container owns the engine client")]
    public static async Task AddEmbeddedAsync(this WebApplicationBuilder builder, Settings settings)
    {
        builder.AddWebDefaults(settings);
        var store = await SqliteStore.OpenAsync(settings.Root.DataDir, settings.Root.EventRetention, CancellationToken.None);
        var services = builder.Services;
        services.AddSingleton(store);
        services.AddHostedService<SetAsideAnnouncer>();
        services.AddSingleton<IGuardianStore>(store);
        services.AddSingleton<IEventLog>(store);
        services.AddSingleton<IDocumentStore>(store);
        await services.AddSettingsAsync(store, settings, $"the configuration saved through the API in {store.Path}");
        services.AddEventFanOut();
        services.AddSingleton<IEventRecorder, LoggedEventRecorder>();
        services.AddLocalEngine(DockerRuntimeOf(settings), HostOf(settings));
        builder.AddHealer();
        builder.AddWatcher();
        builder.AddApi(ApiToken.Resolve(settings.Api.Token, settings.Root.DataDir, Console.WriteLine), Endpoints(settings));
        builder.AddUi(settings.Ui.ApiBaseUrl, Path.Combine(settings.Root.DataDir, "keys"));
    }

    /// <summary>Maps the routes of embedded mode: the API and the dashboard.</summary>
    public static void MapEmbedded(this WebApplication app)
    {
        app.MapApi();
        app.MapUi();
    }

    /// <summary>
    /// The roles of <paramref name="settings"/> on the Dapr transport. Shared documents live in the Dapr
    /// state store; the API keeps the event log in its data folder. Waits for the sidecar first.
    /// </summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the service container owns the engine client")]
    public static async Task AddDaprRolesAsync(this WebApplicationBuilder builder, Settings settings)
    {
        builder.AddWebDefaults(settings);
        var roles = settings.Roles;
        var services = builder.Services;
        var dapr = new DaprClientBuilder().UseJsonSerializationOptions(DaprWire.Json).Build();
        services.AddSingleton(dapr); // disposed with the process; the DI container owns nothing it did not make
        await WaitForSidecarAsync(dapr, settings);

        if (roles.Api)
        {
            var eventLog = await SqliteStore.OpenAsync(settings.Root.DataDir, settings.Root.EventRetention, CancellationToken.None);
            services.AddSingleton(eventLog);
            services.AddHostedService<SetAsideAnnouncer>();
            services.AddSingleton<IEventLog>(eventLog);
        }

        try
        {
            await services.AddSettingsAsync(new DaprDocumentStore(dapr), settings, $"the configuration saved through the API in the state store {DaprNames.StateStore}");
        }
        catch (DaprException ex)
        {
            throw new DaprUnavailableException($"the Dapr state store '{DaprNames.StateStore}' cannot be read ({ex.InnerException?.Message ?? ex.Message}): check its component in the sidecar's --resources-path");
        }

        builder.AddDaprTransport();
        if (roles.Watcher)
        {
            services.AddLocalEngine(DockerRuntimeOf(settings), HostOf(settings));
            builder.AddWatcher();
            builder.AddWatcherDaprTransport();
        }

        if (roles.Healer)
        {
            builder.AddDaprHealer();
        }

        if (roles.Api)
        {
            builder.AddApi(ApiToken.Resolve(settings.Api.Token, settings.Root.DataDir, Console.WriteLine), Endpoints(settings), webhooksFromEventSink: false);
            builder.AddDaprApiCatalog(settings.Dapr.HostList);
        }

        if (roles.Ui)
        {
            builder.AddUi(settings.Ui.ApiBaseUrl, Path.Combine(settings.Root.DataDir, "keys"));
        }
    }

    /// <summary>Maps the routes of the roles on Dapr: subscriptions, actors, the watcher's routes, the API, the dashboard.</summary>
    public static void MapDaprRoles(this WebApplication app, Settings settings)
    {
        var roles = settings.Roles;
        app.UseSidecarOnly(settings.AppApiToken!); // validated: set for every role on Dapr
        app.UseCloudEvents();
        app.MapSubscribeHandler();
        if (roles.Watcher)
        {
            app.MapWatcherEndpoints();
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
            // A role without the API: unhealthy while its engine is unreachable or one of its loops is stuck (the watcher's event stream silent).
            app.MapGet("/health", (IServiceProvider sp, TimeProvider time) =>
                    (sp.GetService<EngineStatus>()?.Current is { Reachable: false } down ? down.Error
                        : AutoHeal.Core.Stores.LoopHealth.FirstStuck(sp.GetServices<AutoHeal.Core.Stores.ILoopHealth>(), time.GetUtcNow())) is { } error
                    ? Results.Json(new { status = "unhealthy", roles = roles.ToString(), error }, statusCode: 503)
                    : Results.Ok(new { status = "healthy", roles = roles.ToString() }))
                .ExcludeFromDescription();
            app.MapMetrics("/metrics");
        }

        if (roles.Ui)
        {
            app.MapUi();
        }
    }

    private static async Task WaitForSidecarAsync(DaprClient dapr, Settings settings)
    {
        var sidecarWait = TimeSpan.FromSeconds(settings.Dapr.SidecarWaitSeconds);
        using var wait = new CancellationTokenSource(sidecarWait);
        try
        {
            await dapr.WaitForSidecarAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            throw new DaprUnavailableException($"no Dapr sidecar answered within {sidecarWait.TotalSeconds:0}s (AutoHeal:Dapr:SidecarWaitSeconds; DAPR_HTTP_ENDPOINT / DAPR_HTTP_PORT, default http://localhost:3500): distributed mode runs next to daprd");
        }
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the service container owns the live settings")]
    private static async Task AddSettingsAsync(this IServiceCollection services, IDocumentStore store, Settings settings, string where)
    {
        var live = new SettingsService(store);
        await live.InitializeAsync(settings.ToConfig(), CancellationToken.None);
        if (live.FromStore)
        {
            Console.WriteLine($"autoheal: using {where}; appsettings give only the defaults.");
        }

        services.AddSharedSettings(live);
    }

    private static DockerRuntime DockerRuntimeOf(Settings settings) =>
        new(settings.Docker.Endpoint is { Length: > 0 } e ? e : DockerRuntime.DefaultEndpoint, settings.Docker.HostName);

    private static NotificationApis Endpoints(Settings settings) =>
        new(new Uri(settings.Notifications.TelegramApi), new Uri(settings.Notifications.PushoverApi));

    private static HostIdentity HostOf(Settings settings) => new(settings.Docker.HostName, SelfContainer.DetectId());

    private static void AddWebDefaults(this WebApplicationBuilder builder, Settings settings)
    {
        builder.Services.AddSingleton(new CheckRules(settings.Checks.Parsed));
        builder.Services.AddSingleton(new DependentRules(settings.Dependents.Enabled, settings.Dependents.SettleSeconds));
        builder.Services.AddSingleton(settings);
        builder.Services.AddHostedService<StartBanner>();
        builder.Logging.ClearProviders();
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "yyyy-MM-dd HH:mm:ss ";
            o.UseUtcTimestamp = true;
        });
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Warning); // StartBanner says it in AutoHeal's words

        // The dashboard's keys are in the data folder, next to the API token (which is no better protected): "no XML encryptor" is no news.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);

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
}

/// <summary>Tells the event sinks (the log, webhooks) of each row the store set aside; the event log has it already.</summary>
internal sealed class SetAsideAnnouncer(SqliteStore store, IEventSink sink) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        store.AnnounceSetAside(e => _ = sink.PublishAsync([e], CancellationToken.None).AsTask());
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
