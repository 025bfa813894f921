using Dapr.Workflow;
using Dapr.Workflow.Abstractions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// What every substituted context of <see cref="Healer.Dapr.HealWorkflow"/> shares: its name, no patches,
/// silent replay-safe loggers, and a loud refusal of what the heal workflow must never use. Subclasses
/// decide time, timers and activities.
/// </summary>
internal abstract class WorkflowContextBase : WorkflowContext
{
    private readonly Dictionary<string, IWorkflowActivity> _activities = new(StringComparer.Ordinal);

    /// <summary>Where activities not added by name come from (the healer role's registry, say): null when there is none.</summary>
    public Func<string, IWorkflowActivity?>? ActivitySource { get; set; }

    /// <summary>The heal workflow's activities, as the healer role registers them, over these steps and guardians.</summary>
    public void AddHealActivities(HealSteps steps, IGuardians guardians)
    {
        _activities[nameof(EnterSlotActivity)] = new EnterSlotActivity(steps);
        _activities[nameof(LeaveSlotActivity)] = new LeaveSlotActivity(steps);
        _activities[nameof(RecheckActivity)] = new RecheckActivity(steps);
        _activities[nameof(RestartActivity)] = new RestartActivity(steps);
        _activities[nameof(RecreateActivity)] = new RecreateActivity(steps);
        _activities[nameof(VerifyActivity)] = new VerifyActivity(steps);
        _activities[nameof(ReportActivity)] = new ReportActivity(guardians);
    }

    /// <summary>The activity the workflow calls by <paramref name="name"/>; throws as the engine fails a call to an unregistered one.</summary>
    protected IWorkflowActivity Activity(string name) =>
        _activities.TryGetValue(name, out var found) ? found
        : ActivitySource?.Invoke(name) ?? throw new InvalidOperationException($"no activity named '{name}' is registered");

    public override string Name => DaprNames.HealWorkflow;

    public override bool IsPatched(string patchName) => true;

    public override ILogger CreateReplaySafeLogger(string categoryName) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger(Type type) => NullLogger.Instance;

    public override ILogger CreateReplaySafeLogger<T>() => NullLogger<T>.Instance;

    public override Task<T> WaitForExternalEventAsync<T>(string eventName, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException($"the workflow waited for the external event '{eventName}'");

    public override void SendEvent(string instanceId, string eventName, object payload) =>
        throw new NotSupportedException($"the workflow sent '{eventName}' to {instanceId}");

    public override Task<TResult> CallChildWorkflowAsync<TResult>(string workflowName, object? input = null, ChildWorkflowTaskOptions? options = null) =>
        throw new NotSupportedException($"the workflow called the child workflow '{workflowName}'");

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) =>
        throw new NotSupportedException("the workflow continued as new");

    public override PropagatedHistory? GetPropagatedHistory() =>
        throw new NotSupportedException("the workflow read propagated history");
}
