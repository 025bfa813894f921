using System.Collections.Concurrent;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Healer;

/// <summary>
/// The embedded <see cref="IHealRunner"/>: each job is an async flow on <see cref="TimeProvider"/>
/// (no thread per job) that walks <see cref="HealSteps"/> and reports each step to its guardian.
/// A job stopped by shutdown reports nothing: its stage is saved and the next start resumes it.
/// </summary>
internal sealed class InProcessHealRunner(
    HealSteps steps,
    IGuardians guardians,
    RestartGate gate,
    TimeProvider time,
    ILogger<InProcessHealRunner> logger) : IHealRunner, IDisposable
{
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _jobs = new();
    private readonly CancellationTokenSource _stopping = new();
    private int _disposed;

    public int Running => _jobs.Count;

    public void Start(HealJob job)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
        if (!_jobs.TryAdd(job.Id, cts))
        {
            cts.Dispose();
            return;
        }

        _ = Task.Run(() => RunAsync(job, cts), CancellationToken.None);
    }

    public void Cancel(string jobId)
    {
        if (_jobs.TryRemove(jobId, out var cts))
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
    }

    // Registered as itself and as IHealRunner, so the container disposes it twice.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopping.Cancel();
            _stopping.Dispose();
        }
    }

    private async Task RunAsync(HealJob job, CancellationTokenSource cts)
    {
        var ct = cts.Token;
        try
        {
            await FlowAsync(job, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // called off by its guardian, or AutoHeal is stopping: nothing to report
        }
        catch (EngineUnavailableException ex)
        {
            await ReportAsync(job, HealStep.Cancelled, $"{ex.Message}; healing resumes when the engine is back", null, ct);
        }
        catch (Exception ex)
        {
            Log.JobFailed(logger, job.Key, job.Id, ex);
            await ReportAsync(job, HealStep.Cancelled, $"heal job failed: {ex.Message}", null, ct);
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

    private async Task FlowAsync(HealJob job, CancellationToken ct)
    {
        var resumed = job.Stage != HealStage.Waiting;
        var restartedAt = job.RestartedAt;
        if (job.Stage is HealStage.Waiting or HealStage.Restarting)
        {
            if (job.Stage == HealStage.Waiting)
            {
                var wait = job.DueAt - time.GetUtcNow();
                if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, time, ct);
                }
            }

            StepResult restart;
            // The slot comes first: until the guardian hears BeginRestart, a stop is the operator's.
            using (await gate.EnterAsync(ct))
            {
                if (job.Stage == HealStage.Waiting)
                {
                    var check = await steps.RecheckAsync(job, ct);
                    if (!check.Proceed)
                    {
                        await ReportAsync(job, HealStep.Cancelled, $"heal not needed: {check.Detail}", null, ct);
                        return;
                    }

                    var diagnostics = check.Container is { } seen ? await steps.DiagnoseAsync(seen, ct) : null;
                    var begin = await guardians.TellAsync(new HealReport(job.Key, job.Id, HealStep.BeginRestart) { Diagnostics = diagnostics }, ct);
                    if (!begin.Accepted)
                    {
                        return;
                    }

                    job = begin.State.ActiveHeal ?? job;
                }

                try
                {
                    restart = await steps.RestartAsync(job, resumed, ct);
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or EngineUnavailableException))
                {
                    await ReportAsync(job, HealStep.RestartFailed, $"Docker refused the restart: {ex.Message}", null, ct);
                    return;
                }
            }

            if (!restart.Proceed)
            {
                await ReportAsync(job, HealStep.Cancelled, restart.Detail, null, ct);
                return;
            }

            restartedAt = restart.StartedAt;
            await ReportAsync(job, HealStep.Restarted, restart.Detail, restartedAt, ct);
        }

        var (outcome, detail) = await steps.VerifyAsync(job, restartedAt, ct);
        var step = outcome switch
        {
            VerifyOutcome.Healed => HealStep.Healed,
            VerifyOutcome.Failed => HealStep.VerifyFailed,
            _ => HealStep.Cancelled,
        };
        await ReportAsync(job, step, detail, null, ct);
    }

    /// <summary>
    /// Reports a step, retrying while the guardian cannot save it (a full disk, a locked file): a lost
    /// final report would leave the heal "under way" for good. Reports are idempotent by job id.
    /// </summary>
    private async Task ReportAsync(HealJob job, HealStep step, string detail, DateTimeOffset? startedAt, CancellationToken ct)
    {
        var report = new HealReport(job.Key, job.Id, step) { Detail = detail, ContainerStartedAt = startedAt };
        for (var delay = TimeSpan.FromSeconds(1); ; delay = delay < TimeSpan.FromSeconds(30) ? delay * 2 : delay)
        {
            try
            {
                await guardians.TellAsync(report, ct);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.ReportFailed(logger, job.Key, step, delay, ex);
                await Task.Delay(delay, time, ct);
            }
        }
    }
}
