using AutoHeal.Contracts.Dapr;
using Dapr.Workflow;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Healer.Dapr;

/// <summary>Registers the healer role on Dapr: container actors, the heal workflow, the signal subscription.</summary>
public static class DaprHealerModule
{
    /// <summary>The actors, the workflow and its activities. Expects <c>AddDaprTransport</c>.</summary>
    public static IHostApplicationBuilder AddDaprHealer(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddHealSteps();
        services.AddActors(o =>
        {
            o.Actors.RegisterActor<ContainerActor>(DaprNames.ContainerActorType);
            o.UseJsonSerialization = true;
            o.JsonSerializerOptions = DaprWire.Json;
        });
        services.AddDaprWorkflow(o =>
        {
            o.RegisterWorkflow<HealWorkflow>(DaprNames.HealWorkflow);
            o.RegisterActivity<EnterSlotActivity>(nameof(EnterSlotActivity));
            o.RegisterActivity<LeaveSlotActivity>(nameof(LeaveSlotActivity));
            o.RegisterActivity<RecheckActivity>(nameof(RecheckActivity));
            o.RegisterActivity<RestartActivity>(nameof(RestartActivity));
            o.RegisterActivity<RecreateActivity>(nameof(RecreateActivity));
            o.RegisterActivity<VerifyActivity>(nameof(VerifyActivity));
            o.RegisterActivity<ReportActivity>(nameof(ReportActivity));
        });
        services.AddSingleton<IDaprWorkflowClient>(sp => sp.GetRequiredService<DaprWorkflowClient>());
        services.AddSingleton<IHealWorkflows, DaprHealWorkflows>();
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
