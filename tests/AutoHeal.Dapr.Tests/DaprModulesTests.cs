using System.Reflection;
using System.Text;
using AutoHeal.Core;
using AutoHeal.Core.Settings;
using Dapr.Actors.Runtime;
using Dapr.Client;
using Dapr.Workflow.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The healer role on Dapr as the host composes it (<c>AddDaprTransport</c>, <c>AddDaprHealer</c>), with only what
/// a sidecar would provide stood in for: what Dapr activates later (the actor, the workflow's activities, by name
/// from the SDK's own registry) is built from this container and does its job, so a missing or wrong registration
/// fails here and not at the first heal in production.
/// </summary>
public sealed class DaprModulesTests
{
    [Fact]
    public async Task Every_activity_the_heal_workflow_calls_comes_from_the_healer_roles_registry_and_together_they_heal_a_crash()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        using var dapr = new InMemoryDaprClient(DaprWire.Json);
        using var services = HealerRole(rig.Clock, dapr, builder =>
        {
            builder.Services.AddSingleton<IHealHosts>(rig.Watcher); // the watcher, reached without a sidecar
            builder.Services.AddSingleton<IGuardians>(rig.Guardians); // the actors, answered as a guardian does
        });
        var registry = new SdkActivities(services);
        rig.ActivitySource = registry.Create;
        rig.Runtime.Add(rig.Runtime.Running(WorkflowRig.Id, WorkflowRig.Name));
        await rig.SignalAsync(SignalKind.Observed);
        rig.Runtime.Exit(WorkflowRig.Name, 1);
        var job = Assert.Single((await rig.SignalAsync(SignalKind.Died, 1)).Decisions.OfType<StartHeal>()).Job;

        await rig.HealAsync(job);

        Assert.Equal(HealStep.Healed, Assert.Single(rig.Results));
        Assert.Single(rig.Runtime.Restarts);
        Assert.Equal(
            [nameof(EnterSlotActivity), nameof(RecheckActivity), nameof(ReportActivity), nameof(RestartActivity), nameof(LeaveSlotActivity),
                nameof(ReportActivity), nameof(VerifyActivity), nameof(ReportActivity)],
            rig.Runs[0].ActivityNames);
        Assert.Equal(rig.Runs[0].ActivityNames, registry.Created); // each call created anew by the registry, as the worker does
    }

    [Fact]
    public async Task The_actor_built_from_the_healer_roles_services_logs_its_events_publishes_them_to_heal_events_and_counts_its_heals()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(WorkflowRig.Start);
        var workflows = new RecordingHealWorkflows();
        using var log = new SurfaceLog();
        using var dapr = new InMemoryDaprClient(DaprWire.Json);
        using var services = HealerRole(clock, dapr, builder =>
        {
            builder.Services.AddSingleton<IHealWorkflows>(workflows); // the workflow engine is the sidecar's
            builder.Logging.AddProvider(log);
        });
        var name = $"modules-{Guid.NewGuid():N}"[..20];
        var key = new Domain.Containers.ContainerKey("local", name);
        var host = ActorHost.CreateForTest<ContainerActor>(new ActorTestOptions { ActorId = DaprIds.Actor(key), TimerManager = new RecordingTimerManager(clock) });
        // As Dapr activates it (ActivatorUtilities, with its host), but with its state in memory instead of the sidecar.
        var actor = new ContainerActor(host, services.GetRequiredService<GuardianTurn>(), services.GetRequiredService<IHealWorkflows>(),
            services.GetRequiredService<TimeProvider>(), new InMemoryActorStateManager(DaprWire.Json));
        var facts = new Domain.Ports.ContainerInfo { Host = "local", Id = "c1", Name = name, ImageId = "sha256:i", Status = Domain.Containers.ContainerStatus.Exited, ExitCode = 1 }
            .ToFacts(new Domain.Selection.SelectionVerdict(true, "label autoheal=true"));

        await actor.TellAsync(new ContainerSignal(key, SignalKind.Died, clock.GetUtcNow(), facts) { ExitCode = 1 });
        var job = Assert.Single(workflows.Of(RecordingHealWorkflows.Start)).JobId;
        await actor.TellAsync(new HealReport(key, job, HealStep.BeginRestart));
        await actor.TellAsync(new HealReport(key, job, HealStep.Restarted) { ContainerStartedAt = clock.GetUtcNow() });
        await actor.TellAsync(new HealReport(key, job, HealStep.Healed) { Detail = "healed: running again 0.2s after the failure was seen (attempt 1)" });

        var published = dapr.Published.Where(p => p.Topic == DaprNames.EventsTopic).ToList();
        Assert.Equal(["heal_scheduled", "restarting", "healed"], published.Select(p => System.Text.Json.JsonDocument.Parse(p.Json).RootElement.GetProperty("kind").GetString()));
        Assert.All(published, p => Assert.Equal((DaprNames.PubSub, key.ToString()), (p.PubSub, p.Metadata["partitionKey"])));
        Assert.Contains(log.Lines, l => l.Message == $"{key}: Healed: healed: running again 0.2s after the failure was seen (attempt 1)");
        Assert.Contains($"autoheal_container_restarts_total{{container=\"{name}\",reason=\"crash\",outcome=\"healed\"}} 1", await MetricsTextAsync());
    }

    /// <summary>The healer role's services over the state store and pub/sub <paramref name="dapr"/>; <paramref name="standIns"/> replaces what the sidecar provides.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the service container owns the live settings")]
    private static ServiceProvider HealerRole(TimeProvider clock, InMemoryDaprClient dapr, Action<HostApplicationBuilder> standIns)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton(clock);
        builder.Services.AddSharedSettings(new SettingsService(new DaprDocumentStore(dapr)));
        builder.AddDaprTransport();
        builder.AddDaprHealer();
        builder.Services.AddSingleton<DaprClient>(dapr);
        standIns(builder);
        return builder.Services.BuildServiceProvider(new ServiceProviderOptions { ValidateOnBuild = true, ValidateScopes = true });
    }

    private static async Task<string> MetricsTextAsync()
    {
        using var stream = new MemoryStream();
        await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(stream);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>
    /// The Dapr workflow worker's own activity registry (internal to the SDK, reached by reflection): it creates an
    /// activity by the name the workflow calls, from the container, exactly as the worker does.
    /// </summary>
    private sealed class SdkActivities(IServiceProvider services)
    {
        private readonly object _factory = services.GetRequiredService(
            typeof(IWorkflowActivity).Assembly.GetType("Dapr.Workflow.Worker.IWorkflowsFactory", throwOnError: true)!);

        public List<string> Created { get; } = [];

        public IWorkflowActivity? Create(string name)
        {
            var tryCreate = _factory.GetType().GetMethod("TryCreateActivity", BindingFlags.Public | BindingFlags.Instance)
                ?? throw new InvalidOperationException("the SDK's activity registry has no TryCreateActivity (a new SDK version?)");
            object?[] args = [new TaskIdentifier(name), services, null, null];
            if (tryCreate.Invoke(_factory, args) is true && args[2] is IWorkflowActivity activity)
            {
                Created.Add(name);
                return activity;
            }

            throw new InvalidOperationException($"the healer role registers no activity named '{name}': {(args[3] as Exception)?.Message}");
        }
    }
}
