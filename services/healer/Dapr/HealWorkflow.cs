using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;
using Dapr.Workflow;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// One heal as a Dapr workflow: a durable timer for the backoff, then recheck → restart → verify as
/// activities on the container's watcher, each step reported to the container's actor. The same steps
/// and wording as the embedded runner (<see cref="InProcessHealRunner"/>), because the activities call
/// the same <see cref="HealSteps"/>.
/// Deterministic: time comes from the context, all I/O is in activities. Changing the order of its calls
/// breaks replay of running instances: version it by name (<c>HealWorkflowV2</c>) instead.
/// </summary>
public sealed class HealWorkflow : Workflow<HealJob, HealStep>
{
    /// <summary>Calls to a watcher: it may be restarting or briefly unreachable.</summary>
    internal static readonly WorkflowTaskOptions WatcherCalls = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    /// <summary>Reports to the actor: a lost final report would leave the heal "under way" for good.</summary>
    internal static readonly WorkflowTaskOptions ActorCalls = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(60)));

    /// <inheritdoc />
    public override async Task<HealStep> RunAsync(WorkflowContext context, HealJob input)
    {
        var job = input;
        ContainerSeen? seen = null; // the container as the recheck saw it (none when resumed past it)
        if (job.Stage == HealStage.Waiting)
        {
            context.SetCustomStatus("waiting");
            var due = job.DueAt.UtcDateTime;
            if (due > context.CurrentUtcDateTime)
            {
                await context.CreateTimer(due, CancellationToken.None);
            }

            context.SetCustomStatus("rechecking");
            var check = await WatcherAsync(context, nameof(RecheckActivity), job);
            if (!check.Proceed)
            {
                return await FinishAsync(context, job, check);
            }

            var begin = await ReportAsync(context, new HealReport(job.Key, job.Id, HealStep.BeginRestart) { Diagnostics = check.Diagnostics });
            if (!begin.Accepted)
            {
                return HealStep.Cancelled; // the guardian called the heal off in the meantime
            }

            job = begin.ActiveHeal ?? job with { Stage = HealStage.Restarting, RestartIssuedAt = context.CurrentUtcDateTime };
            seen = check.Seen;
        }

        var restartedAt = job.RestartedAt;
        if (job.Stage != HealStage.Verifying)
        {
            context.SetCustomStatus("restarting");
            var restart = await WatcherAsync(context, nameof(RestartActivity), new RestartRequest(job, seen));
            if (!restart.Proceed)
            {
                return await FinishAsync(context, job, restart);
            }

            restartedAt = restart.StartedAt;
            await ReportAsync(context, new HealReport(job.Key, job.Id, HealStep.Restarted) { Detail = restart.Detail, ContainerStartedAt = restartedAt });
        }

        context.SetCustomStatus("verifying");
        var verify = await WatcherAsync(context, nameof(VerifyActivity), new VerifyRequest(job, restartedAt));
        return await FinishAsync(context, job, verify);
    }

    private static async Task<StepOutcome> WatcherAsync(WorkflowContext context, string activity, object input)
    {
        try
        {
            return await context.CallActivityAsync<StepOutcome>(activity, input, WatcherCalls);
        }
        catch (WorkflowTaskFailedException ex)
        {
            var job = input switch
            {
                HealJob j => j,
                RestartRequest r => r.Job,
                _ => ((VerifyRequest)input).Job,
            };
            return StepOutcome.Stop(HealStep.Cancelled,
                $"the watcher of {job.Key.Host} could not be reached ({ex.FailureDetails?.ErrorMessage ?? ex.Message}); healing resumes with the next failure signal");
        }
    }

    private static async Task<HealStep> FinishAsync(WorkflowContext context, HealJob job, StepOutcome outcome)
    {
        var step = outcome.Report ?? HealStep.Cancelled;
        context.SetCustomStatus(step.ToString());
        await ReportAsync(context, new HealReport(job.Key, job.Id, step) { Detail = outcome.Detail });
        return step;
    }

    private static Task<ReportReply> ReportAsync(WorkflowContext context, HealReport report) =>
        context.CallActivityAsync<ReportReply>(nameof(ReportActivity), report, ActorCalls);
}

/// <summary>
/// What a watcher activity found: go on (with what the next step needs), or stop and report
/// <see cref="Report"/> with <see cref="Detail"/>.
/// </summary>
public sealed record StepOutcome(bool Proceed, string Detail)
{
    /// <summary>The final step to report when it stops.</summary>
    public HealStep? Report { get; init; }

    /// <summary>The restarted container's start time (engine clock).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>What the recheck kept before the restart.</summary>
    public HealDiagnostics? Diagnostics { get; init; }

    /// <summary>The container as the recheck saw it (by the engine's clock).</summary>
    public ContainerSeen? Seen { get; init; }

    /// <summary>Stop, reporting <paramref name="report"/>.</summary>
    public static StepOutcome Stop(HealStep report, string detail) => new(false, detail) { Report = report };
}

/// <summary>A container's state and start time as a step saw it, both from its engine.</summary>
public sealed record ContainerSeen(ContainerStatus Status, DateTimeOffset? StartedAt);

/// <summary>The restart activity's input: the job, and the container as the recheck saw it (null when resumed past the recheck).</summary>
public sealed record RestartRequest(HealJob Job, ContainerSeen? Seen);

/// <summary>The verify activity's input.</summary>
public sealed record VerifyRequest(HealJob Job, DateTimeOffset? RestartedAt);

/// <summary>The actor's answer to a report: whether it took it, and the job as it now stands.</summary>
public sealed record ReportReply(bool Accepted, HealJob? ActiveHeal);
