using Dapr.Workflow;

namespace AutoHeal.Healer.Dapr;

/// <summary>Takes a restart slot on the container's host (its watcher), waiting up to <see cref="Wait"/>.</summary>
public sealed class EnterSlotActivity(HealSteps steps) : WorkflowActivity<HealJob, StepOutcome>
{
    /// <summary>Well under the resiliency policy's timeout for calls to watchers; the workflow asks again.</summary>
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <inheritdoc />
    public override Task<StepOutcome> RunAsync(WorkflowActivityContext context, HealJob input) =>
        steps.EnterSlotAsync(input, Wait, steps.SlotHold(remote: true), CancellationToken.None);
}

/// <summary>Gives the job's restart slot back.</summary>
public sealed class LeaveSlotActivity(HealSteps steps) : WorkflowActivity<HealJob, bool>
{
    /// <inheritdoc />
    public override async Task<bool> RunAsync(WorkflowActivityContext context, HealJob input)
    {
        await steps.LeaveSlotAsync(input, CancellationToken.None);
        return true;
    }
}

/// <summary>Looks at the container again (on its watcher) and keeps its diagnostics before the restart.</summary>
public sealed class RecheckActivity(HealSteps steps) : WorkflowActivity<HealJob, StepOutcome>
{
    /// <inheritdoc />
    public override Task<StepOutcome> RunAsync(WorkflowActivityContext context, HealJob input) =>
        steps.RecheckAsync(input, CancellationToken.None);
}

/// <summary>Restarts the container through its watcher, only if it is still as the recheck saw it; never twice.</summary>
public sealed class RestartActivity(HealSteps steps) : WorkflowActivity<RestartRequest, StepOutcome>
{
    /// <inheritdoc />
    public override Task<StepOutcome> RunAsync(WorkflowActivityContext context, RestartRequest input) =>
        steps.RestartAsync(input, CancellationToken.None);
}

/// <summary>Creates the container again through its watcher and swaps it in, after Docker refused the restart.</summary>
public sealed class RecreateActivity(HealSteps steps) : WorkflowActivity<HealJob, StepOutcome>
{
    /// <inheritdoc />
    public override Task<StepOutcome> RunAsync(WorkflowActivityContext context, HealJob input) =>
        steps.RecreateAsync(input, CancellationToken.None);
}

/// <summary>Waits until the container is running (and healthy), or its verify timeout.</summary>
public sealed class VerifyActivity(HealSteps steps) : WorkflowActivity<VerifyRequest, StepOutcome>
{
    /// <inheritdoc />
    public override Task<StepOutcome> RunAsync(WorkflowActivityContext context, VerifyRequest input) =>
        steps.VerifyAsync(input, CancellationToken.None);
}

/// <summary>Reports a step to the container's guardian (its actor).</summary>
public sealed class ReportActivity(IGuardians guardians) : WorkflowActivity<HealReport, ReportReply>
{
    /// <inheritdoc />
    public override async Task<ReportReply> RunAsync(WorkflowActivityContext context, HealReport input)
    {
        var result = await guardians.TellAsync(input, CancellationToken.None);
        return new ReportReply(result.Accepted, result.State.ActiveHeal);
    }
}
