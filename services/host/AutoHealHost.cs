using System.Text.Json;
using System.Text.Json.Serialization;
using AutoHeal.Docker;
using AutoHeal.Domain.Ports;
using AutoHeal.Healer;
using AutoHeal.Sqlite;
using AutoHeal.Watcher;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Host;

/// <summary>Composes the embedded <c>autoheal</c>: every role in one process.</summary>
internal static class AutoHealHost
{
    /// <summary>Logging, time, settings and the SQLite store.</summary>
    public static async Task<Settings> AddAutoHealDefaultsAsync(this WebApplicationBuilder builder, Settings settings)
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

        builder.Services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            o.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        });

        var store = await SqliteStore.OpenAsync(settings.Root.DataDir, settings.Root.EventRetention, CancellationToken.None);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<IAutoHealStore>(store);
        builder.Services.AddSingleton<ISettingsSource>(new OptionsSettingsSource(settings.Restart.ToPolicy(), settings.Monitor.ToRules()));
        builder.Services.AddSingleton<IContainerRuntime>(new DockerRuntime(settings.Docker.Endpoint is { Length: > 0 } e ? e : DockerRuntime.DefaultEndpoint));
        return settings;
    }

    /// <summary>The watcher and healer roles on the in-process transport.</summary>
    public static WebApplicationBuilder AddEmbeddedRoles(this WebApplicationBuilder builder, Settings settings)
    {
        builder.AddHealer(settings.Restart.MaxConcurrentRestarts);
        builder.AddWatcher(new WatcherSettings(
            settings.Docker.HostName,
            TimeSpan.FromSeconds(settings.Monitor.IntervalSeconds),
            SelfContainer.DetectId()));
        return builder;
    }

    /// <summary><c>GET /health</c>: alive, and whether the engine answers (503 when it does not).</summary>
    public static WebApplication MapHealth(this WebApplication app)
    {
        app.MapGet("/health", (EngineStatus engine) =>
        {
            var now = engine.Current;
            var body = new HealthResponse(now.Reachable ? "ok" : "degraded", now.Reachable, now.Error, now.Since);
            return now.Reachable ? Results.Json(body) : Results.Json(body, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
        return app;
    }

    private sealed record HealthResponse(string Status, bool DockerReachable, string? DockerError, DateTimeOffset? Since);
}
