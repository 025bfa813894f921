using AutoHeal.Contracts.Dapr;
using Dapr.Workflow;
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
