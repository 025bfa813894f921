using System.Collections.Concurrent;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Healer;

/// <summary>Caps the restarts in flight on one host, so a storm of failures cannot stampede the engine.</summary>
public sealed class RestartGate(int maxConcurrent) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxConcurrent, maxConcurrent);

    /// <summary>Restarts under way now.</summary>
    public int InFlight => maxConcurrent - _slots.CurrentCount;

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken);
        return new Slot(_slots);
    }

    /// <inheritdoc />
    public void Dispose() => _slots.Dispose();

    private sealed class Slot(SemaphoreSlim slots) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                slots.Release();
            }
        }
    }
}

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
            cts.Cancel();
        }
    }

    public void Dispose()
    {
        _stopping.Cancel();
        _stopping.Dispose();
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
        if (job.Stage == HealStage.Waiting)
        {
            var wait = job.DueAt - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, ct);
            }

            var check = await steps.RecheckAsync(job, ct);
            if (!check.Proceed)
            {
                await ReportAsync(job, HealStep.Cancelled, $"heal not needed: {check.Detail}", null, ct);
                return;
            }

            var begin = await guardians.TellAsync(new HealReport(job.Key, job.Id, HealStep.BeginRestart), ct);
            if (!begin.Accepted)
            {
                return;
            }

            job = begin.State.ActiveHeal ?? job;
        }

        if (job.Stage is HealStage.Waiting or HealStage.Restarting)
        {
            StepResult restart;
            using (await gate.EnterAsync(ct))
            {
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

    private Task ReportAsync(HealJob job, HealStep step, string detail, DateTimeOffset? startedAt, CancellationToken ct) =>
        guardians.TellAsync(new HealReport(job.Key, job.Id, step) { Detail = detail, ContainerStartedAt = startedAt }, ct);
}
