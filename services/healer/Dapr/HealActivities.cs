using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Dapr.Workflow;

namespace AutoHeal.Healer.Dapr;

/// <summary>Looks at the container again (on its watcher) and keeps its diagnostics before the restart.</summary>
public sealed class RecheckActivity(IWatcherClients watchers, TimeProvider time) : WorkflowActivity<HealJob, StepOutcome>
{
    /// <inheritdoc />
    public override async Task<StepOutcome> RunAsync(WorkflowActivityContext context, HealJob input)
    {
        var steps = new HealSteps(watchers.For(input.Key.Host), time);
        try
        {
            var check = await steps.RecheckAsync(input, CancellationToken.None);
            if (!check.Proceed)
            {
                return StepOutcome.Stop(HealStep.Cancelled, $"heal not needed: {check.Detail}");
            }

            var diagnostics = check.Container is { } seen ? await steps.DiagnoseAsync(seen, CancellationToken.None) : null;
            return new StepOutcome(true, check.Detail) { Diagnostics = diagnostics };
        }
        catch (EngineUnavailableException ex)
        {
            return EngineDown(ex);
        }
    }

    internal static StepOutcome EngineDown(EngineUnavailableException ex) =>
        StepOutcome.Stop(HealStep.Cancelled, $"{ex.Message}; healing resumes when the engine is back");
}

/// <summary>
/// Restarts the container through its watcher (which holds the host's cap on restarts in flight).
/// Idempotent: if the engine retries it after a lost answer, a container already started since the
/// restart was issued is not restarted again.
/// </summary>
public sealed class RestartActivity(IWatcherClients watchers, TimeProvider time) : WorkflowActivity<HealJob, StepOutcome>
{
    /// <inheritdoc />
    public override async Task<StepOutcome> RunAsync(WorkflowActivityContext context, HealJob input)
    {
        var steps = new HealSteps(watchers.For(input.Key.Host), time);
        try
        {
            var restart = await steps.RestartAsync(input, resumed: true, CancellationToken.None);
            return restart.Proceed
                ? new StepOutcome(true, restart.Detail) { StartedAt = restart.StartedAt }
                : StepOutcome.Stop(HealStep.Cancelled, restart.Detail);
        }
        catch (EngineUnavailableException ex)
        {
            return RecheckActivity.EngineDown(ex);
        }
        catch (WatcherRefusedException ex)
        {
            return StepOutcome.Stop(HealStep.RestartFailed, $"Docker refused the restart: {ex.Message}");
        }
    }
}

/// <summary>Waits until the container is running (and healthy), or its verify timeout.</summary>
public sealed class VerifyActivity(IWatcherClients watchers, TimeProvider time) : WorkflowActivity<VerifyRequest, StepOutcome>
{
    /// <inheritdoc />
    public override async Task<StepOutcome> RunAsync(WorkflowActivityContext context, VerifyRequest input)
    {
        var steps = new HealSteps(watchers.For(input.Job.Key.Host), time);
        var (outcome, detail) = await steps.VerifyAsync(input.Job, input.RestartedAt, CancellationToken.None);
        var step = outcome switch
        {
            VerifyOutcome.Healed => HealStep.Healed,
            VerifyOutcome.Failed => HealStep.VerifyFailed,
            _ => HealStep.Cancelled,
        };
        return StepOutcome.Stop(step, detail);
    }
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
