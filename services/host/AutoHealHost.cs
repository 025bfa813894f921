using AutoHeal.Api;
using AutoHeal.Docker;
using AutoHeal.Domain.Ports;
using AutoHeal.Healer;
using AutoHeal.Sqlite;
using AutoHeal.Ui;
using AutoHeal.Watcher;
using Prometheus;

namespace AutoHeal.Host;

/// <summary>Composes the embedded <c>autoheal</c>: every role in one process.</summary>
internal static class AutoHealHost
{
    /// <summary>Logging, the web host, the SQLite store, the live settings and the Docker engine.</summary>
    public static async Task AddAutoHealDefaultsAsync(this WebApplicationBuilder builder, Settings settings)
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

        var store = await SqliteStore.OpenAsync(settings.Root.DataDir, settings.Root.EventRetention, CancellationToken.None);
        var live = new SettingsService(store);
        await live.InitializeAsync(settings.ToConfig(), CancellationToken.None);
        if (live.FromStore)
        {
            Console.WriteLine($"autoheal: using the configuration saved through the API in {store.Path}; appsettings give only the defaults.");
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IAutoHealStore>(store);
        builder.Services.AddSingleton(live);
        builder.Services.AddSingleton<ISettingsSource>(live);
        builder.Services.AddSingleton<IContainerRuntime>(new DockerRuntime(settings.Docker.Endpoint is { Length: > 0 } e ? e : DockerRuntime.DefaultEndpoint));
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
