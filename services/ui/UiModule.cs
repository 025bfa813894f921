using AutoHeal.Contracts.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Ui;

/// <summary>
/// Registers and maps the dashboard at <c>/</c>. It talks to the API only through the Refit client. Nothing of
/// Blazor is loaded until the first request outside the API's paths that no route matched (see <see cref="Dashboard"/>).
/// </summary>
public static class UiModule
{
    /// <summary>
    /// The dashboard; it reaches the API at <paramref name="apiBaseUrl"/>, or this process's own on loopback when null.
    /// The keys that protect its sign-in and forms are kept in <paramref name="keysFolder"/>.
    /// </summary>
    public static IHostApplicationBuilder AddUi(this IHostApplicationBuilder builder, string? apiBaseUrl, string keysFolder)
    {
        // Static web assets of this library (wwwroot) are found through the build's runtime manifest only in
        // Development by default; the tests and `dotnet run` start autoheal in Production from the build
        // output, so the manifest is loaded whenever it is there (a published app has none and needs none).
        if (builder is WebApplicationBuilder web)
        {
            web.WebHost.UseStaticWebAssets();
        }

        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DashboardCaller>(); // one per process: the API's, when it runs here
        services.AddHttpContextAccessor(); // filled by the server's HttpContextFactory, so registered here, not in the dashboard's own services
        services.AddSingleton(sp => new Dashboard(sp, apiBaseUrl, keysFolder));
        return builder;
    }

    // Paths that are never the dashboard's: a mistyped API call, the sidecar's /dapr/config, a browser's favicon after
    // /docs get the plain 404, and do not make the dashboard.
    private static readonly PathString[] NotDashboard =
        ["/api", "/dapr", "/actors", "/openapi", "/docs", "/metrics", "/health", "/favicon.ico"];

    /// <summary>Maps the dashboard: every request no route of the API matched, outside the API's own paths.</summary>
    public static WebApplication MapUi(this WebApplication app)
    {
        var dashboard = app.Services.GetRequiredService<Dashboard>();
        app.Use((context, next) =>
            context.GetEndpoint() is null && !Array.Exists(NotDashboard, p => context.Request.Path.StartsWithSegments(p, StringComparison.OrdinalIgnoreCase))
                ? dashboard.HandleAsync(context)
                : next(context));
        return app;
    }
}
