namespace AutoHeal.Healer;

/// <summary>
/// How the steps of a heal are called: in this process (<see cref="InProcessHealRunner"/>) or as the
/// activities of a Dapr workflow. Each call is one <see cref="HealSteps"/> method (the report is the
/// guardian's); a call that cannot be made (a step that threw, a watcher that cannot be reached) comes back
/// as a <see cref="StepOutcome"/> that stops the heal, with why.
/// </summary>
public interface IHealStepCalls
{
    /// <summary>Waits until <paramref name="due"/> (a durable timer in a workflow).</summary>
    Task WaitUntilAsync(DateTimeOffset due);

    /// <inheritdoc cref="HealSteps.EnterSlotAsync"/>
    Task<StepOutcome> EnterSlotAsync(HealJob job);

    /// <inheritdoc cref="HealSteps.LeaveSlotAsync"/>
    Task LeaveSlotAsync(HealJob job);

    /// <inheritdoc cref="HealSteps.RecheckAsync"/>
    Task<StepOutcome> RecheckAsync(HealJob job);

    /// <inheritdoc cref="HealSteps.RestartAsync"/>
    Task<StepOutcome> RestartAsync(RestartRequest request);

    /// <inheritdoc cref="HealSteps.RecreateAsync"/>
    Task<StepOutcome> RecreateAsync(HealJob job);

    /// <inheritdoc cref="HealSteps.VerifyAsync"/>
    Task<StepOutcome> VerifyAsync(VerifyRequest request);

    /// <summary>Tells the container's guardian a step, until it is recorded.</summary>
    Task<ReportReply> ReportAsync(HealReport report);

    /// <summary>
    /// Tells the container's guardian the restart begins, trying a few times only: the job holds a restart slot
    /// meanwhile. When it cannot be told, the answer says why (<see cref="ReportReply.Problem"/>).
    /// </summary>
    Task<ReportReply> BeginRestartAsync(HealReport report);

    /// <summary>Where the heal is now, for whoever watches it (a workflow's custom status).</summary>
    void Status(string stage);
}

/// <summary>
/// The one heal sequence, for both transports: wait out the backoff; take a restart slot on the container's
/// host; recheck, tell the guardian the restart begins, restart (when Docker refuses and the container may be
/// recreated: tell the guardian, recreate); give the slot back; tell the guardian; verify; tell the guardian the outcome. A job resumed from a later stage starts there. Deterministic: it
/// only calls <see cref="IHealStepCalls"/>, so a workflow can replay it.
/// </summary>
public static class HealSequence
{
    /// <summary>Runs the job to its last report; returns the step reported last.</summary>
    public static async Task<HealStep> RunAsync(IHealStepCalls calls, HealJob job)
    {
        var restartedAt = job.RestartedAt;
        if (job.Stage != HealStage.Verifying)
        {
            if (job.Stage == HealStage.Waiting)
            {
                calls.Status("waiting");
                await calls.WaitUntilAsync(job.DueAt);
            }

            // The slot comes first: until the guardian hears BeginRestart, a stop is the operator's.
            StepOutcome slot;
            while ((slot = await calls.EnterSlotAsync(job)).Again)
            {
            }

            if (!slot.Proceed)
            {
                return await FinishAsync(calls, job, slot);
            }

            (HealJob Job, StepOutcome? Outcome) restart;
            try
            {
                restart = await InSlotAsync(calls, job);
            }
            finally
            {
                await calls.LeaveSlotAsync(job);
            }

            job = restart.Job;
            if (restart.Outcome is not { } restarted)
            {
                return HealStep.Cancelled; // the guardian called the heal off in the meantime
            }

            if (!restarted.Proceed)
            {
                return await FinishAsync(calls, job, restarted);
            }

            restartedAt = restarted.StartedAt;
            await calls.ReportAsync(new HealReport(job.Key, job.Id, restarted.ContainerId is null ? HealStep.Restarted : HealStep.Recreated)
            {
                Detail = restarted.Detail,
                ContainerStartedAt = restartedAt,
                NewContainerId = restarted.ContainerId,
            });
        }

        calls.Status("verifying");
        return await FinishAsync(calls, job, await calls.VerifyAsync(new VerifyRequest(job, restartedAt)));
    }

    /// <summary>Recheck, tell the guardian, restart (or recreate): while holding the slot. No outcome when the guardian called the heal off.</summary>
    private static async Task<(HealJob Job, StepOutcome? Outcome)> InSlotAsync(IHealStepCalls calls, HealJob job)
    {
        if (job.Stage == HealStage.Recreating)
        {
            // Resumed: the recreation was cut short, and the watcher's start finished or undid it.
            return (job, StepOutcome.Stop(HealStep.Cancelled, "AutoHeal stopped while recreating it; what it left was finished or put back when it started again"));
        }

        Domain.Ports.ContainerSeen? seen = null;
        if (job.Stage == HealStage.Waiting)
        {
            calls.Status("rechecking");
            var check = await calls.RecheckAsync(job);
            if (!check.Proceed)
            {
                return (job, check);
            }

            var begin = await calls.BeginRestartAsync(new HealReport(job.Key, job.Id, HealStep.BeginRestart)
            {
                Diagnostics = check.Diagnostics,
                ContainerStartedAt = check.Seen?.StartedAt,
            });
            if (begin.Problem is { } problem)
            {
                return (job, StepOutcome.Stop(HealStep.Cancelled, $"heal job failed: the restart could not be recorded ({problem})"));
            }

            if (!begin.Accepted)
            {
                return (job, null);
            }

            job = begin.ActiveHeal ?? job with { Stage = HealStage.Restarting };
            seen = check.Seen;
        }

        calls.Status("restarting");
        var restart = await calls.RestartAsync(new RestartRequest(job, seen));
        if (restart.Recreate is not { } why)
        {
            return (job, restart);
        }

        var recreate = await calls.ReportAsync(new HealReport(job.Key, job.Id, HealStep.BeginRecreate) { Detail = $"{restart.Detail}; recreating it: {why}" });
        if (!recreate.Accepted)
        {
            return (job, null);
        }

        job = recreate.ActiveHeal ?? job with { Stage = HealStage.Recreating };
        calls.Status("recreating");
        var recreated = await calls.RecreateAsync(job);
        return (recreated.ContainerId is { } id ? job with { ContainerId = id } : job, recreated);
    }

    private static async Task<HealStep> FinishAsync(IHealStepCalls calls, HealJob job, StepOutcome outcome)
    {
        var step = outcome.Report ?? HealStep.Cancelled;
        calls.Status(step.ToString());
        await calls.ReportAsync(new HealReport(job.Key, job.Id, step) { Detail = outcome.Detail });
        return step;
    }
}
