using System.Collections.Concurrent;
using System.Threading.Channels;

namespace AutoHeal.Healer;

/// <summary>
/// The embedded <see cref="IHealRunner"/>: the guardians' starts and cancels, queued in order for the
/// <see cref="InProcessHealRunner"/>. (The queue between them is what lets the runner report to the
/// guardians that start its jobs: neither holds the other.)
/// </summary>
internal sealed class HealQueue : IHealRunner
{
    private readonly Channel<(HealJob? Start, string? Cancel)> _commands =
        Channel.CreateUnbounded<(HealJob?, string?)>(new UnboundedChannelOptions { SingleReader = true });

    public void Start(HealJob job) => _commands.Writer.TryWrite((job, null));

    public void Cancel(string jobId) => _commands.Writer.TryWrite((null, jobId));

    public IAsyncEnumerable<(HealJob? Start, string? Cancel)> ReadAllAsync(CancellationToken cancellationToken) =>
        _commands.Reader.ReadAllAsync(cancellationToken);
}

/// <summary>
/// Runs embedded heal jobs: each one is <see cref="HealSequence"/> on <see cref="TimeProvider"/> (no thread per
/// job), its steps called in this process and each one reported to its guardian. A job stopped by shutdown
/// reports nothing: its stage is saved and the next start resumes it.
/// </summary>
internal sealed class InProcessHealRunner(
    HealQueue queue,
    HealSteps steps,
    IGuardians guardians,
    TimeProvider time,
    ILogger<InProcessHealRunner> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _jobs = new();

    /// <summary>Jobs under way now.</summary>
    public int Running => _jobs.Count;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var (start, cancel) in queue.ReadAllAsync(stoppingToken))
            {
                if (start is not null)
                {
                    Start(start, stoppingToken);
                }
                else if (cancel is not null && _jobs.TryGetValue(cancel, out var cts))
                {
                    Cancel(cts); // the job disposes it when it ends
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: the jobs' tokens are linked to it
        }
    }

    private void Start(HealJob job, CancellationToken stopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        if (!_jobs.TryAdd(job.Id, cts))
        {
            cts.Dispose();
            return;
        }

        _ = Task.Run(() => RunAsync(job, cts), CancellationToken.None);
    }

    private static void Cancel(CancellationTokenSource cts)
    {
        try
        {
            cts.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // the job had just ended on its own
        }
    }

    private async Task RunAsync(HealJob job, CancellationTokenSource cts)
    {
        try
        {
            await HealSequence.RunAsync(new DirectCalls(steps, guardians, time, logger, job, cts.Token), job);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            // called off by its guardian, or AutoHeal is stopping: nothing to report
        }
        catch (Exception ex)
        {
            // Not a step's failure (those are outcomes): a fault of the runner's own. The job's stage is saved, so
            // the next start resumes it; until then its guardian sees it under way.
            Log.JobFailed(logger, job.Key, job.Id, ex);
        }
        finally
        {
            if (_jobs.TryGetValue(job.Id, out var current) && current == cts)
            {
                _jobs.TryRemove(job.Id, out _);
            }

            cts.Dispose();
        }
    }

    /// <summary>Tries to tell a guardian a restart begins, while holding a restart slot.</summary>
    private const int BeginRestartAttempts = 3;

    /// <summary>The steps called in this process; a step that throws stops the heal, with why.</summary>
    private sealed class DirectCalls(HealSteps steps, IGuardians guardians, TimeProvider time, ILogger logger, HealJob heal, CancellationToken ct) : IHealStepCalls
    {
        public async Task WaitUntilAsync(DateTimeOffset due)
        {
            var wait = due - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct);
            }
        }

        public Task<StepOutcome> EnterSlotAsync(HealJob job) => GuardAsync(() => steps.EnterSlotAsync(job, Timeout.InfiniteTimeSpan, steps.SlotHold(remote: false), ct));

        public Task LeaveSlotAsync(HealJob job) => steps.LeaveSlotAsync(job, CancellationToken.None);

        public Task<StepOutcome> RecheckAsync(HealJob job) => GuardAsync(() => steps.RecheckAsync(job, ct));

        public Task<StepOutcome> RestartAsync(RestartRequest request) => GuardAsync(() => steps.RestartAsync(request, ct));

        public Task<StepOutcome> RecreateAsync(HealJob job) => GuardAsync(() => steps.RecreateAsync(job, ct));

        public Task<StepOutcome> VerifyAsync(VerifyRequest request) => GuardAsync(() => steps.VerifyAsync(request, ct));

        /// <summary>
        /// Retried while the guardian cannot save it (a full disk, a locked file): a lost final report would
        /// leave the heal "under way" for good. Reports are idempotent by job id.
        /// </summary>
        public async Task<ReportReply> ReportAsync(HealReport report)
        {
            for (var delay = TimeSpan.FromSeconds(1); ; delay = delay < TimeSpan.FromSeconds(30) ? delay * 2 : delay)
            {
                try
                {
                    var result = await guardians.TellAsync(report, ct);
                    return new ReportReply(result.Accepted, result.State.ActiveHeal);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.ReportFailed(logger, report.Key, report.Step, delay, ex);
                    await Task.Delay(delay, time, ct);
                }
            }
        }

        public async Task<ReportReply> BeginRestartAsync(HealReport report)
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    var result = await guardians.TellAsync(report, ct);
                    return new ReportReply(result.Accepted, result.State.ActiveHeal);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    if (attempt == BeginRestartAttempts)
                    {
                        return ReportReply.Unanswered(ex.Message);
                    }

                    var delay = TimeSpan.FromSeconds(attempt);
                    Log.ReportFailed(logger, report.Key, report.Step, delay, ex);
                    await Task.Delay(delay, time, ct);
                }
            }
        }

        public void Status(string stage)
        {
        }

        private async Task<StepOutcome> GuardAsync(Func<Task<StepOutcome>> step)
        {
            try
            {
                return await step();
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                Log.JobFailed(logger, heal.Key, heal.Id, ex);
                return StepOutcome.Stop(HealStep.Cancelled, $"heal job failed: {ex.Message}");
            }
        }
    }
}
