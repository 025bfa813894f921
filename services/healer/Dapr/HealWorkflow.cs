using Dapr.Workflow;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// One heal as a Dapr workflow: <see cref="HealSequence"/>, its steps called as activities (on the
/// container's watcher, with explicit retry policies), its backoff a durable timer. The embedded runner
/// runs the very same sequence. Deterministic: time comes from the context, all I/O is in activities.
/// Changing the order of its calls breaks replay of running instances: it is registered under a versioned
/// name (<see cref="AutoHeal.Contracts.Dapr.DaprNames.HealWorkflow"/>), to be raised with every such change.
/// </summary>
public sealed class HealWorkflow : Workflow<HealJob, HealStep>
{
    /// <summary>Calls to a watcher: it may be restarting or briefly unreachable.</summary>
    internal static readonly WorkflowTaskOptions WatcherCalls = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 4, firstRetryInterval: TimeSpan.FromSeconds(2), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(30)));

    /// <summary>Reports to the actor: a lost final report would leave the heal "under way" for good. (A restart that
    /// begins is told with <see cref="WatcherCalls"/>' few tries: the heal holds a restart slot meanwhile.)</summary>
    internal static readonly WorkflowTaskOptions ActorCalls = new(new WorkflowRetryPolicy(
        maxNumberOfAttempts: 10, firstRetryInterval: TimeSpan.FromSeconds(1), backoffCoefficient: 2, maxRetryInterval: TimeSpan.FromSeconds(60)));

    /// <inheritdoc />
    public override Task<HealStep> RunAsync(WorkflowContext context, HealJob input) =>
        HealSequence.RunAsync(new ActivityCalls(context), input);

    /// <summary>The steps as activities; a watcher that cannot be reached after the retries stops the heal.</summary>
    private sealed class ActivityCalls(WorkflowContext context) : IHealStepCalls
    {
        public async Task WaitUntilAsync(DateTimeOffset due)
        {
            if (due.UtcDateTime > context.CurrentUtcDateTime)
            {
                await context.CreateTimer(due.UtcDateTime, CancellationToken.None);
            }
        }

        public Task<StepOutcome> EnterSlotAsync(HealJob job) => WatcherAsync(nameof(EnterSlotActivity), job, job);

        public async Task LeaveSlotAsync(HealJob job)
        {
            try
            {
                await context.CallActivityAsync<bool>(nameof(LeaveSlotActivity), job, WatcherCalls);
            }
            catch (WorkflowTaskFailedException)
            {
                // the watcher frees the slot by itself once its hold time has passed
            }
        }

        public Task<StepOutcome> RecheckAsync(HealJob job) => WatcherAsync(nameof(RecheckActivity), job, job);

        public Task<StepOutcome> RestartAsync(RestartRequest request) => WatcherAsync(nameof(RestartActivity), request, request.Job);

        // Only a refused restart that may be recreated gets here: a history from before this step never does, so it replays as before.
        public Task<StepOutcome> RecreateAsync(HealJob job) => WatcherAsync(nameof(RecreateActivity), job, job);

        public Task<StepOutcome> VerifyAsync(VerifyRequest request) => WatcherAsync(nameof(VerifyActivity), request, request.Job);

        public Task<ReportReply> ReportAsync(HealReport report) =>
            context.CallActivityAsync<ReportReply>(nameof(ReportActivity), report, ActorCalls);

        public async Task<ReportReply> BeginRestartAsync(HealReport report)
        {
            try
            {
                return await context.CallActivityAsync<ReportReply>(nameof(ReportActivity), report, WatcherCalls);
            }
            catch (WorkflowTaskFailedException ex)
            {
                return ReportReply.Unanswered(ex.FailureDetails?.ErrorMessage ?? ex.Message);
            }
        }

        public void Status(string stage) => context.SetCustomStatus(stage);

        private async Task<StepOutcome> WatcherAsync(string activity, object input, HealJob job)
        {
            try
            {
                return await context.CallActivityAsync<StepOutcome>(activity, input, WatcherCalls);
            }
            catch (WorkflowTaskFailedException ex)
            {
                return StepOutcome.Stop(HealStep.Cancelled,
                    $"the watcher of {job.Key.Host} could not be reached ({ex.FailureDetails?.ErrorMessage ?? ex.Message}); healing resumes with the next failure signal");
            }
        }
    }
}
