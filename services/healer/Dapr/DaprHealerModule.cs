using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Ports;
using Dapr.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Healer.Dapr;

/// <summary>Registers the healer role on Dapr: container actors, the heal workflow, the signal subscription.</summary>
public static class DaprHealerModule
{
    /// <summary>The actors, the workflow and its activities, and the event fan-out (logs, metrics, <c>heal-events</c>).</summary>
    public static IHostApplicationBuilder AddDaprHealer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddActors(o =>
        {
            o.Actors.RegisterActor<ContainerActor>(DaprNames.ContainerActorType);
            o.UseJsonSerialization = true;
            o.JsonSerializerOptions = DaprWire.Json;
        });
        services.AddDaprWorkflow(o =>
        {
            o.RegisterWorkflow<HealWorkflow>(DaprNames.HealWorkflow);
            o.RegisterActivity<RecheckActivity>(nameof(RecheckActivity));
            o.RegisterActivity<RestartActivity>(nameof(RestartActivity));
            o.RegisterActivity<VerifyActivity>(nameof(VerifyActivity));
            o.RegisterActivity<ReportActivity>(nameof(ReportActivity));
        });
        services.AddSingleton<IDaprWorkflowClient>(sp => sp.GetRequiredService<DaprWorkflowClient>());
        services.AddSingleton<IHealWorkflows, DaprHealWorkflows>();
        services.AddSingleton<IWatcherClients, DaprWatcherClients>();
        services.AddSingleton<IEventSinkPart, HealerMetrics>();
        return builder;
    }

    /// <summary>What every role on Dapr shares: the Dapr client, actor proxies (<see cref="IGuardians"/>), and events published to <c>heal-events</c> and logged.</summary>
    public static IHostApplicationBuilder AddDaprTransport(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddDaprClient(b => b.UseJsonSerializationOptions(DaprWire.Json));
        services.AddActors(o =>
        {
            o.UseJsonSerialization = true;
            o.JsonSerializerOptions = DaprWire.Json;
        });
        services.AddSingleton<IGuardians, ActorGuardians>();
        services.AddSingleton<IEventSinkPart, LoggingEventSink>();
        services.AddSingleton<IEventSinkPart, DaprEventPublisher>();
        services.AddSingleton<IEventSink, CompositeEventSink>();
        return builder;
    }

    /// <summary>Maps the actors' routes and the subscription (with CloudEvents unwrapping and <c>GET /dapr/subscribe</c>).</summary>
    public static WebApplication MapDaprHealer(this WebApplication app)
    {
        app.MapActorsHandlers();
        app.MapSignalSubscription();
        return app;
    }
}
