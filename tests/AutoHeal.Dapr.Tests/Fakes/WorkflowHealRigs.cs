using System.Diagnostics;
using AutoHeal.Core;
using AutoHeal.Core.Containers;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// One way of running heals (the embedded runner or the Dapr workflow), over its own fake engine and clock, with the
/// guardians' reports recorded by <see cref="WorkflowRecordingGuardians"/>. Tests play the watcher: they change the
/// fake engine and signal the guardian, which decides the heal job; <see cref="HealAsync"/> sees it through.
/// </summary>
internal interface IWorkflowRig : IAsyncDisposable
{
    FakeTimeProvider Clock { get; }

    FakeContainerRuntime Runtime { get; }

    WorkflowRecordingGuardians Guardians { get; }

    /// <summary>Tells the guardian what the watcher saw, at the clock's now, with the fake engine's facts.</summary>
    Task<GuardianResult> SignalAsync(SignalKind kind, int? exitCode = null);

    /// <summary>Sees the heal job through to its last report.</summary>
    Task HealAsync(HealJob job);
}

/// <summary>Names and facts the heal rigs share.</summary>
internal static class WorkflowRig
{
    public static readonly DateTimeOffset Start = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
    public const string HostName = "host-1";
    public const string Name = "web";
    public const string Id = "web-id";
    public static readonly ContainerKey Key = new(HostName, Name);

    public static readonly HealStep[] FinalSteps = [HealStep.Healed, HealStep.VerifyFailed, HealStep.RestartFailed, HealStep.Cancelled];

    /// <summary>What the watcher saw, at the clock's now, with the fake engine's facts, the container monitored.</summary>
    public static ContainerSignal Signal(FakeTimeProvider clock, FakeContainerRuntime runtime, SignalKind kind, int? exitCode) =>
        new(Key, kind, clock.GetUtcNow(), runtime.Get(Name).ToFacts(new Domain.Selection.SelectionVerdict(true, "label autoheal=true"))) { ExitCode = exitCode };
}

/// <summary>
/// The embedded healer as <see cref="HealerModule.AddHealer"/> composes it: <c>GuardianMailboxes</c> over a real
/// SQLite store in a temp folder, and the <see cref="InProcessHealRunner"/>, whose reports pass through
/// <see cref="WorkflowRecordingGuardians"/> on their way to the mailboxes.
/// </summary>
internal sealed class WorkflowEmbeddedRig : IWorkflowRig
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);
    private readonly IHost _host;
    private readonly TempStore _store;

    private WorkflowEmbeddedRig(FakeTimeProvider clock, FakeContainerRuntime runtime, TempStore store, IHost host)
    {
        Clock = clock;
        Runtime = runtime;
        _store = store;
        _host = host;
        Guardians = (WorkflowRecordingGuardians)host.Services.GetRequiredService<IGuardians>();
    }

    public FakeTimeProvider Clock { get; }

    public FakeContainerRuntime Runtime { get; }

    public WorkflowRecordingGuardians Guardians { get; }

    public static async Task<WorkflowEmbeddedRig> StartAsync(HealPolicy? policy = null)
    {
        var clock = new FakeTimeProvider(WorkflowRig.Start);
        var runtime = new FakeContainerRuntime(clock, WorkflowRig.HostName);
        var settings = new FixedSettingsSource(policy);
        var store = await TempStore.OpenAsync();

        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IGuardianStore>(store.Store);
        builder.Services.AddSingleton<ISettingsSource>(settings);
        builder.Services.AddEventFanOut();
        builder.Services.AddSingleton<IEventLog>(store.Store);
        builder.Services.AddSingleton<IEventRecorder, AutoHeal.Core.Events.LoggedEventRecorder>();
        builder.Services.AddLocalEngine(runtime, new HostIdentity(WorkflowRig.HostName, null));
        builder.AddHealer();
        // The runner (and the tests) reach the mailboxes through the recording guardians.
        builder.Services.AddSingleton<IGuardians>(sp => new WorkflowRecordingGuardians(settings, clock, sp.GetRequiredService<GuardianMailboxes>()));
        var host = builder.Build();
        await host.StartAsync();
        return new WorkflowEmbeddedRig(clock, runtime, store, host);
    }

    public Task<GuardianResult> SignalAsync(SignalKind kind, int? exitCode = null) =>
        Guardians.TellAsync(WorkflowRig.Signal(Clock, Runtime, kind, exitCode), CancellationToken.None);

    public async Task HealAsync(HealJob job)
    {
        // The runner started the job when the guardian decided it: wait (in real time) for its last report.
        var clock = Stopwatch.StartNew();
        while (!Finished(job))
        {
            if (clock.Elapsed > Patience)
            {
                Assert.Fail($"the embedded heal job {job.Id} did not finish; it reported {string.Join(", ", Guardians.Reports.Where(r => r.JobId == job.Id).Select(r => r.Step))}");
            }

            await Task.Delay(5);
        }

        // Give it a moment to report anything more (it must not).
        await Task.Delay(50);
    }

    private bool Finished(HealJob job) =>
        Guardians.Answers.Any(a => a.Report.JobId == job.Id
            && (WorkflowRig.FinalSteps.Contains(a.Report.Step) || a.Report.Step == HealStep.BeginRestart && !a.Accepted));

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
        await Task.Delay(20); // let jobs called off by the shutdown unwind before the store closes
        await _store.DisposeAsync();
    }
}

/// <summary>
/// The distributed heal: <see cref="HealWorkflow.RunAsync"/> on a <see cref="ScriptedWorkflowContext"/>, its watcher
/// activities on a <see cref="WorkflowWatcherServer"/> over the fake engine, its reports to
/// <see cref="WorkflowRecordingGuardians"/> answering as the container's actor would.
/// </summary>
internal sealed class WorkflowHealRig : IWorkflowRig
{
    private WorkflowHealRig(FakeTimeProvider clock, FakeContainerRuntime runtime, WorkflowWatcherServer watcher, FixedSettingsSource settings)
    {
        Clock = clock;
        Runtime = runtime;
        Watcher = watcher;
        Settings = settings;
        Guardians = new WorkflowRecordingGuardians(settings, clock);
    }

    public FixedSettingsSource Settings { get; }

    public FakeTimeProvider Clock { get; }

    public FakeContainerRuntime Runtime { get; }

    public WorkflowWatcherServer Watcher { get; }

    public WorkflowRecordingGuardians Guardians { get; }

    /// <summary>The contexts of the heals run so far, in order.</summary>
    public List<ScriptedWorkflowContext> Runs { get; } = [];

    /// <summary>What each run returned.</summary>
    public List<HealStep> Results { get; } = [];

    /// <summary>Applied to each new context before its run (to make an activity fail, for example).</summary>
    public Action<ScriptedWorkflowContext>? Script { get; set; }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the rig owns its watcher and disposes it")]
    public static async Task<WorkflowHealRig> StartAsync(HealPolicy? policy = null, int maxConcurrentRestarts = 4)
    {
        var clock = new FakeTimeProvider(WorkflowRig.Start);
        var runtime = new FakeContainerRuntime(clock, WorkflowRig.HostName);
        var watcher = await WorkflowWatcherServer.StartAsync(WorkflowRig.HostName, runtime, maxConcurrentRestarts);
        return new WorkflowHealRig(clock, runtime, watcher, new FixedSettingsSource(policy));
    }

    public Task<GuardianResult> SignalAsync(SignalKind kind, int? exitCode = null) =>
        Guardians.TellAsync(WorkflowRig.Signal(Clock, Runtime, kind, exitCode), CancellationToken.None);

    /// <summary>A context for the job's instance, with the real activities registered.</summary>
    public ScriptedWorkflowContext NewContext(HealJob job)
    {
        var context = new ScriptedWorkflowContext(Clock, DaprIds.Workflow(job.Id));
        if (ActivitySource is { } source)
        {
            context.ActivitySource = source;
        }
        else
        {
            context.AddHealActivities(Steps, Guardians);
        }

        return context;
    }

    /// <summary>When set, the activities come from here (the healer role's own registry), not built by the rig.</summary>
    public Func<string, global::Dapr.Workflow.Abstractions.IWorkflowActivity?>? ActivitySource { get; set; }

    /// <summary>The heal steps the activities call, over the watcher's routes.</summary>
    public HealSteps Steps => new(Watcher, Settings, Clock);

    public async Task HealAsync(HealJob job)
    {
        var context = NewContext(job);
        Script?.Invoke(context);
        Runs.Add(context);
        Results.Add(await RunAsync(context, job));
    }

    /// <summary>Runs the workflow with the job as the workflow client schedules it (through the engine's serializer).</summary>
    public static Task<HealStep> RunAsync(ScriptedWorkflowContext context, HealJob job) =>
        new HealWorkflow().RunAsync(context, ScriptedWorkflowContext.Engine.Deserialize<HealJob>(ScriptedWorkflowContext.Engine.Serialize(job))!);

    public ValueTask DisposeAsync() => Watcher.DisposeAsync();
}
