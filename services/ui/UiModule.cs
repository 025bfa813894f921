using AutoHeal.Contracts.Api;
using AutoHeal.Ui.Components;
using AutoHeal.Ui.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Ui;

/// <summary>Registers and maps the dashboard at <c>/</c>. It talks to the API only through the Refit client.</summary>
public static class UiModule
{
    /// <summary>The dashboard's services; it reaches the API at <paramref name="apiBaseUrl"/>, or this process's own on loopback when null.</summary>
    public static IHostApplicationBuilder AddUi(this IHostApplicationBuilder builder, string? apiBaseUrl)
    {
        // Static web assets of this library (wwwroot) are found through the build's runtime manifest only in
        // Development by default; the tests and `dotnet run` start autoheal in Production from the build
        // output, so the manifest is loaded whenever it is there (a published app has none and needs none).
        if (builder is WebApplicationBuilder web)
        {
            web.WebHost.UseStaticWebAssets();
        }

        var services = builder.Services;
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.TryAddSingleton(TimeProvider.System);
        services.AddHttpClient(ApiAddress.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton(sp => new ApiAddress(apiBaseUrl, sp));
        services.AddHttpContextAccessor();
        services.TryAddSingleton<DashboardCaller>(); // one per process: the API's, when it runs here
        services.AddSingleton<SignInLimiter>();
        services.AddScoped<UiSession>(); // scoped = one per circuit, i.e. per browser tab
        return builder;
    }

    /// <summary>Maps the dashboard.</summary>
    public static WebApplication MapUi(this WebApplication app)
    {
        app.UseAntiforgery();
        app.MapStaticAssets();
        app.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        return app;
    }
}
