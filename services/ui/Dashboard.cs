using System.Diagnostics;
using AutoHeal.Contracts.Api;
using AutoHeal.Ui.Components;
using AutoHeal.Ui.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Ui;

/// <summary>
/// The dashboard, made on its first request: its own services (Blazor, SignalR, data protection, antiforgery) and
/// its own pipeline, over what it shares with the process (configuration, logging, environment, lifetime, server,
/// clock, the dashboard's API key). Until someone opens it, none of that is loaded: a watcher that nobody looks at
/// keeps about 10 MiB less resident (docs/benchmarks.md).
/// </summary>
internal sealed class Dashboard : IAsyncDisposable
{
    private readonly Lock _making = new();
    private readonly IServiceProvider _process;
    private readonly string? _apiBaseUrl;
    private readonly string _keysFolder;
    private (ServiceProvider Services, RequestDelegate Pipeline)? _made;

    public Dashboard(IServiceProvider process, string? apiBaseUrl, string keysFolder) =>
        (_process, _apiBaseUrl, _keysFolder) = (process, apiBaseUrl, keysFolder);

    /// <summary>Answers <paramref name="context"/> with the dashboard's services: a page, a static asset, its circuit's hub, or 404.</summary>
    public async Task HandleAsync(HttpContext context)
    {
        var (services, pipeline) = Made();
        var processServices = context.RequestServices;
        await using var scope = services.CreateAsyncScope();
        context.RequestServices = scope.ServiceProvider;
        try
        {
            await pipeline(context);
        }
        finally
        {
            context.RequestServices = processServices;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_made is { } made)
        {
            await made.Services.DisposeAsync();
        }
    }

    // Made once; a failure is not kept, so the next request tries again (and says why in its 500).
    private (ServiceProvider, RequestDelegate) Made()
    {
        lock (_making)
        {
            return _made ??= Make(_process, _apiBaseUrl, _keysFolder);
        }
    }

    private static (ServiceProvider, RequestDelegate) Make(IServiceProvider process, string? apiBaseUrl, string keysFolder)
    {
        var services = new ServiceCollection();
        var environment = process.GetRequiredService<IWebHostEnvironment>();
        services.AddSingleton(environment);
        services.AddSingleton<IHostEnvironment>(environment);
        services.AddSingleton(process.GetRequiredService<IConfiguration>());
        services.AddSingleton(process.GetRequiredService<IHostApplicationLifetime>());
        services.AddSingleton(process.GetRequiredService<IServer>());
        services.AddSingleton(process.GetRequiredService<IHttpContextAccessor>());
        services.AddSingleton(process.GetRequiredService<TimeProvider>());
        services.AddSingleton(process.GetRequiredService<DashboardCaller>());
        services.AddSingleton(process.GetRequiredService<DiagnosticListener>());
        services.AddLogging();
        services.Replace(ServiceDescriptor.Singleton(process.GetRequiredService<ILoggerFactory>()));

        // Its keys live in the data folder, next to the API token (which is no better protected): a new container on
        // the same volume keeps them, and a non-root user can write them.
        services.AddDataProtection().PersistKeysToFileSystem(new DirectoryInfo(keysFolder));
        services.AddRouting();
        services.AddRazorComponents().AddInteractiveServerComponents();
        services.AddHttpClient(ApiAddress.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(15));
        services.AddSingleton(sp => new ApiAddress(apiBaseUrl, sp));
        services.AddSingleton<SignInLimiter>();
        services.AddScoped<UiSession>(); // scoped = one per circuit, i.e. per browser tab

        var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true });
        var app = new ApplicationBuilder(provider);
        app.UseRouting();
        app.UseAntiforgery();
        app.UseEndpoints(endpoints =>
        {
            endpoints.MapStaticAssets();
            endpoints.MapRazorComponents<App>().AddInteractiveServerRenderMode();
        });
        return (provider, app.Build());
    }
}
