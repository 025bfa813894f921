using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Policies;
using AutoHeal.Domain.Ports;

namespace AutoHeal.Healer;

/// <summary>What a heal step found: go on, or stop with a reason.</summary>
public sealed record StepResult(bool Proceed, string Detail, DateTimeOffset? StartedAt = null)
{
    /// <summary>The container as the step saw it, for the next step (so it need not ask Docker again).</summary>
    public ContainerInfo? Container { get; init; }

    /// <summary>Go on.</summary>
    public static StepResult Go(string detail = "", DateTimeOffset? startedAt = null) => new(true, detail, startedAt);

    /// <summary>Stop, for this reason.</summary>
    public static StepResult Stop(string detail) => new(false, detail);
}

/// <summary>The outcome of verification.</summary>
public enum VerifyOutcome
{
    /// <summary>Running, and healthy if it has a health check.</summary>
    Healed,
    /// <summary>Not back within the timeout, or failed again.</summary>
    Failed,
    /// <summary>Could not tell: the container is gone or the engine unreachable.</summary>
    Undecided,
}

/// <summary>
/// The three steps of a heal as plain services: recheck, restart, verify. The in-process runner
/// calls them in order; the Dapr workflow calls them as activities.
/// </summary>
public sealed class HealSteps(IContainerRuntime runtime, TimeProvider time)
{
    /// <summary>How often verification looks at the container.</summary>
    public static readonly TimeSpan VerifyPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>Looks again before restarting: the failure may be over, or the container gone or replaced.</summary>
    public async Task<StepResult> RecheckAsync(HealJob job, CancellationToken cancellationToken)
    {
        var c = await runtime.InspectAsync(job.ContainerId, cancellationToken);
        if (c is null)
        {
            return StepResult.Stop("the container is gone");
        }

        // Started since the failure was seen: someone (an operator, Docker) brought it back. A container
        // still running from AutoHeal's own earlier attempt is not "back on its own".
        // By the engine's clock when the job knows it; else by the guardian's, with a second's leeway.
        var startedSince = c.StartedAt is { } s && (job.EngineSeenAt is { } seen ? s >= seen : s >= job.DetectedAt - TimeSpan.FromSeconds(1));
        return c.Status switch
        {
            ContainerStatus.Paused => StepResult.Stop("the container is paused"),
            ContainerStatus.Restarting => StepResult.Stop("Docker is restarting it already"),
            _ when job.Reason == FailureKind.Manual => StepResult.Go(),
            ContainerStatus.Running when c.Health == HealthStatus.Healthy => StepResult.Stop("it is running and healthy again"),
            ContainerStatus.Running when c.Health == HealthStatus.None && job.Reason == FailureKind.Crash && startedSince =>
                StepResult.Stop("it is running again on its own"),
            ContainerStatus.Running when c.Health == HealthStatus.Starting && startedSince =>
                StepResult.Stop("it was started again and its health check is starting"),
            _ => StepResult.Go(),
        } with { Container = c };
    }

    /// <summary>How many log lines a heal keeps.</summary>
    public const int LogLines = 30;

    /// <summary>
    /// Keeps what the restart destroys: exit code, OOM flag, recent health check outputs, the log tail.
    /// Best effort and time-boxed: a heal never waits long for its diagnostics.
    /// </summary>
    /// <param name="c">The container as the recheck just saw it.</param>
    /// <param name="cancellationToken">Cancels the job.</param>
    public async Task<HealDiagnostics?> DiagnoseAsync(ContainerInfo c, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2), time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            var logs = await runtime.LogTailAsync(c, LogLines, either.Token);
            return new HealDiagnostics
            {
                ExitCode = c.Status is ContainerStatus.Exited or ContainerStatus.Dead ? c.ExitCode : null,
                OomKilled = c.OomKilled,
                HealthOutputs = c.HealthOutputs,
                LogTail = logs,
            };
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The heal matters more than its diagnostics: a time-out, an engine or watcher error, or a
            // log driver that cannot be read (`--log-driver none`) leaves them out, never the heal.
            return null;
        }
    }

    /// <summary>
    /// Restarts the container. A job resumed after AutoHeal stopped mid-restart first checks whether
    /// the restart already happened, so a heal is never done twice.
    /// </summary>
    public async Task<StepResult> RestartAsync(HealJob job, bool resumed, CancellationToken cancellationToken)
    {
        if (resumed && job.RestartIssuedAt is { } issued)
        {
            var c = await runtime.InspectAsync(job.ContainerId, cancellationToken);
            if (c is null)
            {
                return StepResult.Stop("the container is gone");
            }

            if (c.Status == ContainerStatus.Running && c.StartedAt >= issued - TimeSpan.FromSeconds(1))
            {
                return StepResult.Go("restarted before AutoHeal stopped", c.StartedAt);
            }
        }

        await runtime.RestartAsync(job.ContainerId, job.StopTimeout, cancellationToken);
        var after = await runtime.InspectAsync(job.ContainerId, cancellationToken);
        return after is null
            ? StepResult.Stop("the container is gone")
            : StepResult.Go("restarted", after.StartedAt);
    }

    /// <summary>Waits until the container is running (and healthy, if it has a health check), or the job's verify timeout.</summary>
    public async Task<(VerifyOutcome Outcome, string Detail)> VerifyAsync(
        HealJob job, DateTimeOffset? restartedAt, CancellationToken cancellationToken)
    {
        var start = time.GetUtcNow();
        var deadline = start + job.VerifyTimeout;
        ContainerInfo? last = null;
        string? engineError = null;
        while (true)
        {
            try
            {
                last = await runtime.InspectAsync(job.ContainerId, cancellationToken);
                engineError = null;
            }
            catch (EngineUnavailableException ex)
            {
                engineError = ex.Message;
            }

            var elapsed = Seconds(time.GetUtcNow() - start);
            if (engineError is null)
            {
                if (last is null)
                {
                    return (VerifyOutcome.Undecided, "the container was removed during verification");
                }

                var restartedAgain = restartedAt is { } r && last.StartedAt > r;
                switch (last.Status)
                {
                    case ContainerStatus.Running when !job.ExpectHealthy || last.Health == HealthStatus.Healthy:
                        return (VerifyOutcome.Healed, job.ExpectHealthy
                            ? $"healed: running and healthy {elapsed} after the restart"
                            : $"healed: running {elapsed} after the restart");
                    case ContainerStatus.Running when job.ExpectHealthy && last.Health == HealthStatus.Unhealthy:
                        return (VerifyOutcome.Failed, $"unhealthy again {elapsed} after the restart{Output(last)}");
                    case ContainerStatus.Exited or ContainerStatus.Dead when !restartedAgain:
                        return (VerifyOutcome.Failed, $"exited again with code {last.ExitCode} {elapsed} after the restart");
                }
            }

            var now = time.GetUtcNow();
            if (now >= deadline)
            {
                return engineError is not null
                    ? (VerifyOutcome.Undecided, engineError)
                    : (VerifyOutcome.Failed, $"not {(job.ExpectHealthy ? "healthy" : "running")} within the verify timeout of {Seconds(job.VerifyTimeout)} (status {last?.Status.ToString().ToLowerInvariant()}, health {last?.Health.ToString().ToLowerInvariant()})");
            }

            var wait = deadline - now < VerifyPoll ? deadline - now : VerifyPoll;
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    private static string Output(ContainerInfo c) => c.LastHealthOutput is { Length: > 0 } o ? $": {o}" : "";

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.0}s";
}
