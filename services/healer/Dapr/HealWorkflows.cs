using AutoHeal.Contracts.Dapr;
using AutoHeal.Dapr;
using Dapr.Workflow;

namespace AutoHeal.Healer.Dapr;

/// <summary>Starts and stops the workflows of heal jobs (the actor's side of <see cref="Domain.Ports.IHealRunner"/>).</summary>
internal interface IHealWorkflows
{
    /// <summary>Starts the job's workflow (instance id from the job id, so a job runs once).</summary>
    Task StartAsync(HealJob job, CancellationToken cancellationToken);

    /// <summary>
    /// Starts the job's workflow unless it exists already; false if it exists but will not report: it ended, it
    /// stalled, or it is of an older version of the workflow (those are terminated first).
    /// </summary>
    Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken);

    /// <summary>Terminates the job's workflow, if it still runs, and gives back the restart slot it may hold on the container's host.</summary>
    Task CancelAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken);
}

/// <summary>
/// <see cref="IHealWorkflows"/> over the Dapr workflow client. Every call is time-boxed: without a sidecar the client
/// would wait for ever. A terminated workflow runs no more code (no <c>finally</c>), so the slot its
/// activities took is given back here.
/// </summary>
internal sealed class DaprHealWorkflows(IDaprWorkflowClient client, IHealHosts hosts) : IHealWorkflows
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);

    public async Task StartAsync(HealJob job, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        await ScheduleAsync(job, timeout.Token);
    }

    public async Task<bool> EnsureAsync(HealJob job, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        var state = await client.GetWorkflowStateAsync(DaprIds.Workflow(job.Id), false, timeout.Token);
        if (state is null || !state.Exists)
        {
            await ScheduleAsync(job, timeout.Token);
            return true;
        }

        if (WillReport(state.WorkflowName, state.RuntimeStatus))
        {
            return true;
        }

        if (state.RuntimeStatus is not (WorkflowRuntimeStatus.Completed or WorkflowRuntimeStatus.Failed or WorkflowRuntimeStatus.Terminated))
        {
            await CancelAsync(job.Key, job.Id, "it will not report: stalled, or of an older version of the heal workflow", cancellationToken);
        }

        return false;
    }

    public async Task CancelAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken)
    {
        using var timeout = Timeout(cancellationToken);
        try
        {
            await client.TerminateWorkflowAsync(DaprIds.Workflow(jobId), reason, timeout.Token);
        }
        finally
        {
            await hosts.For(key.Host).LeaveSlotAsync(jobId, timeout.Token);
        }
    }

    /// <summary>
    /// Creates the job's instance with a start time, <see cref="StartAt"/>: the runtime then answers once the instance
    /// is created and its start reminder set. Without one it waits until the instance leaves PENDING (durabletask-go's
    /// <c>grpcExecutor.StartInstance</c>: <c>WaitForInstanceStart</c> unless <c>ScheduledStartTimestamp</c> is set), which
    /// takes as long as the workflow worker needs to pick it up, or for ever while none is connected: the actor's turn,
    /// and every signal queued behind it on the subscription, would wait with it.
    /// </summary>
    private Task<string> ScheduleAsync(HealJob job, CancellationToken cancellationToken) =>
        client.ScheduleNewWorkflowAsync(DaprNames.HealWorkflow, DaprIds.Workflow(job.Id), job, StartAt(job), cancellationToken);

    /// <summary>
    /// The start time the job's instance is created with: an hour before its failure was seen, so that it is past even
    /// by a scheduler whose clock is behind the healer's (a start time still to come would delay the heal by the
    /// difference), and the instance starts at once. Fixed by the job, so a create tried again carries the same start.
    /// </summary>
    internal static DateTimeOffset StartAt(HealJob job) => job.DetectedAt - TimeSpan.FromHours(1);

    /// <summary>
    /// Whether an instance of <paramref name="name"/> in <paramref name="status"/> will still report to its guardian:
    /// this version of the heal workflow (<see cref="DaprNames.HealWorkflow"/>), pending, running or suspended (by an
    /// operator). A stalled one (its history no longer replays) or one of an older version never will.
    /// </summary>
    internal static bool WillReport(string? name, WorkflowRuntimeStatus status) =>
        name == DaprNames.HealWorkflow
        && status is WorkflowRuntimeStatus.Pending or WorkflowRuntimeStatus.Running or WorkflowRuntimeStatus.Suspended or WorkflowRuntimeStatus.ContinuedAsNew;

    private static CancellationTokenSource Timeout(CancellationToken cancellationToken)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(CallTimeout);
        return cts;
    }
}
