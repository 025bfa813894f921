using AutoHeal.Core.Probes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.OpenApi;
using Prometheus;

namespace AutoHeal.Api;

/// <summary>Registers and maps the REST API, its docs and /metrics.</summary>
public static class ApiModule
{
    /// <summary>The product version, as <c>GET /api/status</c> reports it (without the build's commit).</summary>
    public static string Version => StatusEndpoints.Version;

    /// <summary>The largest request body accepted.</summary>
    public const long MaxBodyBytes = ApiJson.MaxBodyBytes;

    /// <summary>
    /// The API's services; <paramref name="token"/> guards every <c>/api</c> call. Webhooks get every
    /// event of this process's event sink, unless <paramref name="webhooksFromEventSink"/> is false: on
    /// Dapr they are sent from the <c>heal-events</c> subscription instead, once per event whatever the
    /// roles in this process.
    /// </summary>
    public static IHostApplicationBuilder AddApi(this IHostApplicationBuilder builder, ApiToken token, NotificationApis endpoints, bool webhooksFromEventSink = true)
    {
        AutoHealMetrics.Configure();
        var services = builder.Services;
        services.AddSingleton(token);
        services.TryAddSingleton<DashboardCaller>(); // one per process: the dashboard's, when it runs here
        services.AddSingleton<TokenGuard>();
        services.TryAddSingleton(new CheckRules());
        services.TryAddSingleton(sp => new ContainerLookup(
            sp.GetRequiredService<IContainerCatalog>(), sp.GetRequiredService<IHealHosts>(),
            sp.GetService<HostIdentity>() is { } local ? [local.Name] : [], sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ApiClock>();
        services.AddSingleton<HoldNudger>();
        services.AddHostedService<MaintenanceClock>();
        services.AddHostedService<HeartbeatSender>();
        services.AddSingleton(endpoints);
        services.AddSingleton<NotificationSenders>();
        services.AddSingleton<WebhookNotifier>();
        if (webhooksFromEventSink)
        {
            services.AddSingleton<IEventSinkPart>(sp => sp.GetRequiredService<WebhookNotifier>());
        }

        services.AddHostedService(sp => sp.GetRequiredService<WebhookNotifier>());
        services.AddProblemDetails();
        services.AddExceptionHandler<DocumentConflictHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = AutoHealApiClient.Json.PropertyNamingPolicy;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            foreach (var converter in AutoHealApiClient.Json.Converters)
            {
                o.SerializerOptions.Converters.Add(converter);
            }
        });
        services.AddOpenApi("v1", o =>
        {
            o.AddDocumentTransformer((doc, _, _) =>
            {
                doc.Info = new OpenApiInfo
                {
                    Title = "AutoHeal API",
                    Version = StatusEndpoints.Version,
                    Description = "Every /api call needs `Authorization: Bearer <token>` (AutoHeal:Api:Token, or the token generated into the data folder on first start).",
                };
                doc.Components ??= new OpenApiComponents();
                doc.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
                doc.Components.SecuritySchemes["bearer"] = new OpenApiSecurityScheme
                {
                    Type = SecuritySchemeType.Http,
                    Scheme = "bearer",
                    Description = "The API token.",
                };
                doc.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference("bearer", doc)] = [] }];
                return Task.CompletedTask;
            });
        });
        return builder;
    }

    /// <summary>Maps <c>/health</c>, <c>/api/*</c> (token required), <c>/metrics</c>, <c>/openapi/v1.json</c> and <c>/docs</c>.</summary>
    public static WebApplication MapApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseWhen(ctx => ctx.Request.Path.StartsWithSegments("/api"), api => api.Use(async (ctx, next) =>
        {
            if (ctx.RequestServices.GetRequiredService<TokenGuard>().Check(ctx) is { } refused)
            {
                await refused.ExecuteAsync(ctx);
                return;
            }

            await next(ctx);
        }));

        app.MapHealth();
        app.MapGroup("/api")
            .MapStatusEndpoints()
            .MapContainerEndpoints()
            .MapHoldEndpoints()
            .MapConfigEndpoints()
            .MapHealthCheckEndpoints()
            .MapEventEndpoints()
            .MapNotificationEndpoints();
        app.MapOpenApi("/openapi/{documentName}.json");
        app.UseSwaggerUI(o =>
        {
            o.SwaggerEndpoint("/openapi/v1.json", "AutoHeal API");
            o.RoutePrefix = "docs";
            o.DocumentTitle = "AutoHeal API";
        });
        _ = app.Services.GetRequiredService<ApiClock>(); // uptime counts from start, not from the first request
        AutoHealMetrics.RegisterScrapeGauges(app.Services);
        app.MapMetrics("/metrics");
        return app;
    }
}

/// <summary>
/// A shared document another AutoHeal process kept changing while this one retried (distributed mode):
/// 409, nothing changed, try again, rather than a 500.
/// </summary>
internal sealed class DocumentConflictHandler(IProblemDetailsService problems) : Microsoft.AspNetCore.Diagnostics.IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not DocumentConflictException conflict)
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status409Conflict;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            ProblemDetails =
            {
                Status = StatusCodes.Status409Conflict,
                Title = "Changed elsewhere at the same time.",
                Detail = $"{conflict.Message}. Nothing was changed; send the request again.",
            },
        });
    }
}
