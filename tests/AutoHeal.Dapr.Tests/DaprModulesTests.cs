using AutoHeal.Domain.Ports;
using AutoHeal.Healer.Dapr;
using AutoHeal.TestUtils.Fakes;
using Dapr.Actors;
using Dapr.Actors.Runtime;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The healer role on Dapr as the host composes it: everything Dapr activates later (the actor, the
/// workflow's activities) can be built from the container, so a missing registration fails here and
/// not on the first heal in production. No sidecar is needed to build them.
/// </summary>
public sealed class DaprModulesTests
{
    [Fact]
    public void The_healer_role_builds_its_actor_and_every_activity_from_the_container()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ISettingsSource>(new FixedSettingsSource());
        builder.AddDaprTransport();
        builder.AddDaprHealer();
        using var services = builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });

        var host = ActorHost.CreateForTest<ContainerActor>(new ActorTestOptions { ActorId = new ActorId("local:web") });
        var actor = ActivatorUtilities.CreateInstance<ContainerActor>(services, host);
        Assert.Equal("local:web", actor.Id.GetId());

        foreach (var activity in new[] { typeof(RecheckActivity), typeof(RestartActivity), typeof(VerifyActivity), typeof(ReportActivity) })
        {
            Assert.NotNull(ActivatorUtilities.CreateInstance(services, activity));
        }

        // Events go to the log, the healer's metrics and heal-events.
        var sinks = services.GetServices<IEventSinkPart>().Select(p => p.GetType().Name).ToList();
        Assert.Contains(nameof(DaprEventPublisher), sinks);
        Assert.Contains("HealerMetrics", sinks);
        Assert.Contains("LoggingEventSink", sinks);
        Assert.IsType<ActorGuardians>(services.GetRequiredService<IGuardians>());
    }
}
