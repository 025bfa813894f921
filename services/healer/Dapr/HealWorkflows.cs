using AutoHeal.Contracts.Dapr;
using AutoHeal.Dapr;
using Dapr.Workflow;

namespace AutoHeal.Healer.Dapr;

/// <summary>Starts and stops the workflows of heal jobs (the actor's side of <see cref="Domain.Ports.IHealRunner"/>).</summary>
internal interface IHealWorkflows
{
    /// <summary>Starts the job's workflow (instance id from the job id, so a job runs once).</summary>
    Task StartAsync(HealJob job, CancellationToken cancellationToken);

    /// <summary>Starts the job's workflow unless it exists already; false if it exists but has ended.</summary>
    Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken);

    /// <summary>Terminates the job's workflow, if it still runs.</summary>
    Task CancelAsync(string jobId, string reason, CancellationToken cancellationToken);
}

/// <summary><see cref="IHealWorkflows"/> over the Dapr workflow client. Every call is time-boxed: without a sidecar the client would wait for ever.</summary>
internal sealed class DaprHealWorkflows(IDaprWorkflowClient client) : IHealWorkflows
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    public async Task StartAsync(HealJob job, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        await client.ScheduleNewWorkflowAsync(DaprNames.HealWorkflow, DaprIds.Workflow(job.Id), job, null, timeout.Token);
    }

    public async Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        var state = await client.GetWorkflowStateAsync(DaprIds.Workflow(job.Id), false, timeout.Token);
        if (state is null || !state.Exists)
        {
            await client.ScheduleNewWorkflowAsync(DaprNames.HealWorkflow, DaprIds.Workflow(job.Id), job, null, timeout.Token);
            return true;
        }

        return state.RuntimeStatus is not (WorkflowRuntimeStatus.Completed or WorkflowRuntimeStatus.Failed or WorkflowRuntimeStatus.Terminated);
    }

    public async Task CancelAsync(string jobId, string reason, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        await client.TerminateWorkflowAsync(DaprIds.Workflow(jobId), reason, timeout.Token);
    }

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(CallTimeout);
        return cts;
    }
}
