using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Containers;
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

            var diagnostics = check.Container is { } c ? await steps.DiagnoseAsync(c, CancellationToken.None) : null;
            return new StepOutcome(true, check.Detail)
            {
                Diagnostics = diagnostics,
                Seen = check.Container is { } seen ? new ContainerSeen(seen.Status, seen.StartedAt) : null,
            };
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
/// Restarts the container through its watcher, which holds the host's cap on restarts in flight and
/// restarts only if the container is still as the recheck saw it once it has a slot (an operator may
/// have stopped it meanwhile). Idempotent, by the engine's clock alone: if the engine retries it after
/// a lost answer, a container started since the recheck is not restarted again.
/// </summary>
public sealed class RestartActivity(IWatcherClients watchers, TimeProvider time) : WorkflowActivity<RestartRequest, StepOutcome>
{
    /// <inheritdoc />
    public override async Task<StepOutcome> RunAsync(WorkflowActivityContext context, RestartRequest input)
    {
        var job = input.Job;
        var watcher = watchers.For(job.Key.Host);
        try
        {
            if (input.Seen is not { } seen)
            {
                // Resumed past the recheck (the healer stopped mid-heal): the saved job's issue time decides.
                var resumed = await new HealSteps(watcher, time).RestartAsync(job, resumed: true, CancellationToken.None);
                return resumed.Proceed
                    ? new StepOutcome(true, resumed.Detail) { StartedAt = resumed.StartedAt }
                    : StepOutcome.Stop(HealStep.Cancelled, resumed.Detail);
            }

            if (await watcher.InspectAsync(job.ContainerId, CancellationToken.None) is not { } now)
            {
                return StepOutcome.Stop(HealStep.Cancelled, "the container is gone");
            }

            if (now.StartedAt > seen.StartedAt && now.Status == ContainerStatus.Running)
            {
                return new StepOutcome(true, "restarted already (it started again since the recheck)") { StartedAt = now.StartedAt };
            }

            await watcher.RestartIfUnchangedAsync(job.ContainerId, job.StopTimeout, seen.Status, seen.StartedAt, CancellationToken.None);
            var after = await watcher.InspectAsync(job.ContainerId, CancellationToken.None);
            return after is null
                ? StepOutcome.Stop(HealStep.Cancelled, "the container is gone")
                : new StepOutcome(true, "restarted") { StartedAt = after.StartedAt };
        }
        catch (EngineUnavailableException ex)
        {
            return RecheckActivity.EngineDown(ex);
        }
        catch (ContainerChangedException ex)
        {
            return StepOutcome.Stop(HealStep.Cancelled, $"heal called off: {ex.Message}");
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
