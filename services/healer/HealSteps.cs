using AutoHeal.Domain.Policies;

namespace AutoHeal.Healer;

/// <summary>
/// What a heal step found: go on (with what the next step needs), or stop and report <see cref="Report"/>
/// with <see cref="Detail"/>; or, asking for a restart slot, not yet (<see cref="Again"/>).
/// </summary>
public sealed record StepOutcome(bool Proceed, string Detail)
{
    /// <summary>The final step to report when it stops.</summary>
    public HealStep? Report { get; init; }

    /// <summary>Not yet: ask again (no restart slot came free in time).</summary>
    public bool Again { get; init; }

    /// <summary>The restarted container's start time (engine clock).</summary>
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>A refused restart the next rung may mend: why the container may be recreated.</summary>
    public string? Recreate { get; init; }

    /// <summary>The container that replaced the original, when it was recreated.</summary>
    public string? ContainerId { get; init; }

    /// <summary>What the recheck kept before the restart.</summary>
    public HealDiagnostics? Diagnostics { get; init; }

    /// <summary>The container as the recheck saw it (by the engine's clock): the restart goes ahead only while it is still so.</summary>
    public ContainerSeen? Seen { get; init; }

    /// <summary>Go on.</summary>
    public static StepOutcome Go(string detail = "") => new(true, detail);

    /// <summary>Stop, reporting <paramref name="report"/>.</summary>
    public static StepOutcome Stop(HealStep report, string detail) => new(false, detail) { Report = report };

    /// <summary>Not yet: ask again.</summary>
    public static StepOutcome NotYet(string detail) => new(false, detail) { Again = true };
}

/// <summary>The restart step's input: the job, and the container as the recheck saw it (null when resumed past the recheck).</summary>
public sealed record RestartRequest(HealJob Job, ContainerSeen? Seen);

/// <summary>The verify step's input: the job, and when its restart started the container (engine clock).</summary>
public sealed record VerifyRequest(HealJob Job, DateTimeOffset? RestartedAt);

/// <summary>The guardian's answer to a report: whether it took it, and the job as it now stands.</summary>
public sealed record ReportReply(bool Accepted, HealJob? ActiveHeal)
{
    /// <summary>Why the guardian could not be told at all (it never answered), or null.</summary>
    public string? Problem { get; init; }

    /// <summary>The answer when the guardian could not be told.</summary>
    public static ReportReply Unanswered(string problem) => new(false, null) { Problem = problem };
}

/// <summary>
/// The steps of a heal, each one method: take a restart slot on the container's host, recheck (keeping
/// what the restart destroys), restart only if the container is still as the recheck saw it, verify, give
/// the slot back. <see cref="HealSequence"/> calls them in order, in this process or as workflow activities.
/// </summary>
public sealed class HealSteps(IHealHosts hosts, ISettingsSource settings, TimeProvider time)
{
    /// <summary>How often verification looks at the container.</summary>
    public static readonly TimeSpan VerifyPoll = TimeSpan.FromMilliseconds(200);

    /// <summary>How many log lines a heal keeps.</summary>
    public const int LogLines = 30;

    /// <summary>
    /// How long a slot is held beyond the global stop timeout at most, by a heal in the engine's own process: the
    /// recheck, the diagnostics, the guardian's answer and the restart's margin fit in it.
    /// </summary>
    public static readonly TimeSpan LocalSlotSlack = TimeSpan.FromSeconds(45);

    /// <summary>
    /// The same for a heal in another process than the host's engine (calls over the network, retried): a heal that
    /// died holding its slot frees it after that.
    /// </summary>
    public static readonly TimeSpan RemoteSlotSlack = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan DiagnosticsTimeBox = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The longest a heal holds its restart slot: the global stop timeout, not the container's own (a label may set a
    /// longer one; that restart goes on past it, without the slot), and some slack (<see cref="LocalSlotSlack"/>,
    /// <see cref="RemoteSlotSlack"/>).
    /// </summary>
    public TimeSpan SlotHold(bool remote) => settings.Policy.StopTimeout + (remote ? RemoteSlotSlack : LocalSlotSlack);

    /// <summary>
    /// Waits up to <paramref name="wait"/> for a restart slot on the container's host, held for at most
    /// <paramref name="hold"/> (<see cref="SlotHold"/>).
    /// </summary>
    public async Task<StepOutcome> EnterSlotAsync(HealJob job, TimeSpan wait, TimeSpan hold, CancellationToken cancellationToken) =>
        // An operator's restart, or a dependent's with its parent (one failure, however many dependents), neither
        // counts toward a storm nor waits for one or for a deploy.
        await hosts.For(job.Key.Host).EnterSlotAsync(new SlotAsk(job.Id, job.Key.ToString(), job.Reason is not (FailureKind.Manual or FailureKind.Dependency)), hold, wait, cancellationToken) switch
        {
            SlotEntry.Held => StepOutcome.Go(),
            SlotEntry.Busy => StepOutcome.NotYet($"no restart slot free on {job.Key.Host} yet"),
            _ => StepOutcome.Stop(HealStep.Cancelled, $"the heal was called off on {job.Key.Host}"),
        };

    /// <summary>Gives the job's restart slot back.</summary>
    public Task LeaveSlotAsync(HealJob job, CancellationToken cancellationToken) =>
        hosts.For(job.Key.Host).LeaveSlotAsync(job.Id, cancellationToken);

    /// <summary>
    /// Looks again before restarting: the failure may be over, or the container gone or replaced. When the
    /// heal goes on, keeps what the restart destroys.
    /// </summary>
    public async Task<StepOutcome> RecheckAsync(HealJob job, CancellationToken cancellationToken)
    {
        var host = hosts.For(job.Key.Host);
        try
        {
            if (await host.InspectAsync(job.ContainerId, cancellationToken) is not { } c)
            {
                return NotNeeded("the container is gone");
            }

            // Started since the failure was seen: someone (an operator, Docker) brought it back. A container
            // still running from AutoHeal's own earlier attempt is not "back on its own". Start times are the
            // engine's, so they are compared with the engine's times only: the failure's, else the failed run's start.
            var startedSince = c.StartedAt is { } s && (job.EngineSeenAt is { } seen ? s >= seen : job.FailedRunStartedAt is { } before && s > before);
            var notNeeded = c.Status switch
            {
                ContainerStatus.Paused => "the container is paused",
                ContainerStatus.Restarting => "Docker is restarting it already",
                _ when job.Reason == FailureKind.Manual => null,
                // Cut off from its parent's new namespace until it restarts, however healthy it looks; unless it did since.
                ContainerStatus.Running when job.Reason == FailureKind.Dependency => startedSince ? "it was started again since its parent was" : null,
                ContainerStatus.Running when c.Health == HealthStatus.Healthy => "it is running and healthy again",
                ContainerStatus.Running when c.Health == HealthStatus.None && job.Reason == FailureKind.Crash && startedSince =>
                    "it is running again on its own",
                ContainerStatus.Running when c.Health == HealthStatus.Starting && startedSince =>
                    "it was started again and its health check is starting",
                _ => null,
            };
            return notNeeded is not null
                ? NotNeeded(notNeeded)
                : StepOutcome.Go() with { Diagnostics = await DiagnoseAsync(host, c, cancellationToken), Seen = c.Seen };
        }
        catch (EngineUnavailableException ex)
        {
            return EngineDown(ex);
        }
    }

    /// <summary>
    /// Restarts the container if it is still as the recheck saw it. Done at most once per job: a call
    /// repeated after a lost answer, or a job resumed after AutoHeal stopped mid-restart, finds the
    /// container started since and does not restart it again.
    /// </summary>
    public async Task<StepOutcome> RestartAsync(RestartRequest request, CancellationToken cancellationToken)
    {
        var job = request.Job;
        var host = hosts.For(job.Key.Host);
        try
        {
            var expected = request.Seen;
            if (expected is null)
            {
                // Resumed past the recheck: the restart may have happened before AutoHeal stopped.
                if (await host.InspectAsync(job.ContainerId, cancellationToken) is not { } now)
                {
                    return StepOutcome.Stop(HealStep.Cancelled, "the container is gone");
                }

                // Started since the recheck (a job saved by an older version knows only the failed run's start), both by
                // the engine's clock, or running when neither is known: the restart was done.
                if (now.Status == ContainerStatus.Running && ((job.RecheckedStartedAt ?? job.FailedRunStartedAt) is not { } before || now.StartedAt > before))
                {
                    return StepOutcome.Go("restarted before AutoHeal stopped") with { StartedAt = now.StartedAt };
                }

                expected = now.Seen;
            }

            var result = await host.RestartAsync(job.ContainerId, job.StopTimeout, expected, cancellationToken);
            return result switch
            {
                { Outcome: RestartOutcome.Restarted } => StepOutcome.Go("restarted") with { StartedAt = result.Container?.StartedAt },
                // Running again, and newer than what the recheck saw: this call's first answer was lost, or
                // someone restarted it meanwhile. Either way it is not restarted twice.
                { Outcome: RestartOutcome.Changed, Container: { Status: ContainerStatus.Running } c } when c.StartedAt > expected.StartedAt =>
                    StepOutcome.Go("restarted already (it started again since the recheck)") with { StartedAt = c.StartedAt },
                { Outcome: RestartOutcome.Changed } => StepOutcome.Stop(HealStep.Cancelled, $"heal called off: {result.Detail}"),
                { Outcome: RestartOutcome.Gone } => StepOutcome.Stop(HealStep.Cancelled, "the container is gone"),
                { Outcome: RestartOutcome.TimedOut } => StepOutcome.Stop(HealStep.RestartFailed, result.Detail),
                _ => StepOutcome.Stop(HealStep.RestartFailed, $"Docker refused the restart: {result.Detail}") with
                {
                    Recreate = await host.InspectAsync(job.ContainerId, cancellationToken) is { } refused ? Recreations.Why(refused) : null,
                },
            };
        }
        catch (EngineUnavailableException ex)
        {
            return EngineDown(ex);
        }
    }

    /// <summary>
    /// The rung after a refused restart: creates the container again and swaps it in (<see cref="IHealHost.RecreateAsync"/>).
    /// Goes on with the new container's id and start time; stops with <see cref="HealStep.RecreateFailed"/> when the
    /// original had to be put back.
    /// </summary>
    public async Task<StepOutcome> RecreateAsync(HealJob job, CancellationToken cancellationToken)
    {
        try
        {
            var host = hosts.For(job.Key.Host);
            var result = await host.RecreateAsync(job.ContainerId, job.StopTimeout, cancellationToken);
            if (result is { Recreated: true, Container: { } c })
            {
                return StepOutcome.Go(result.Detail) with { StartedAt = c.StartedAt, ContainerId = c.Id };
            }

            // The original gone and another container running under its name: this call's first answer was lost.
            if (result.Detail == "the container is gone" && await host.InspectAsync(job.Key.Name, cancellationToken) is { Status: ContainerStatus.Running } now
                && now.Name == job.Key.Name && now.Id != job.ContainerId)
            {
                return StepOutcome.Go($"recreated as {now.Id[..Math.Min(12, now.Id.Length)]} (was {job.ContainerId[..Math.Min(12, job.ContainerId.Length)]})") with { StartedAt = now.StartedAt, ContainerId = now.Id };
            }

            return result.Retry
                ? StepOutcome.Stop(HealStep.RestartFailed, $"Docker refused the restart, and recreating it cannot work yet: {result.Detail}")
                : StepOutcome.Stop(HealStep.RecreateFailed, $"recreating it failed: {result.Detail}");
        }
        catch (EngineUnavailableException ex)
        {
            return EngineDown(ex);
        }
    }

    /// <summary>Waits until the container is running (and healthy, if it has a health check), or the job's verify timeout.</summary>
    public async Task<StepOutcome> VerifyAsync(VerifyRequest request, CancellationToken cancellationToken)
    {
        var (job, restartedAt) = (request.Job, request.RestartedAt);
        var host = hosts.For(job.Key.Host);
        var start = time.GetUtcNow();
        var deadline = start + job.VerifyTimeout;
        ContainerInfo? last = null;
        string? engineError = null;
        DateTimeOffset? runningAt = null; // first seen running again, by AutoHeal's clock (as the failure's detection)
        while (true)
        {
            try
            {
                last = await host.InspectAsync(job.ContainerId, cancellationToken);
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
                    return StepOutcome.Stop(HealStep.Cancelled, "the container was removed during verification");
                }

                var restartedAgain = restartedAt is { } r && last.StartedAt > r;
                if (last.Status == ContainerStatus.Running)
                {
                    runningAt ??= time.GetUtcNow();
                }

                switch (last.Status)
                {
                    case ContainerStatus.Running when !job.ExpectHealthy || last.Health == HealthStatus.Healthy:
                        return StepOutcome.Stop(HealStep.Healed, Healed(job, runningAt!.Value, time.GetUtcNow()));
                    case ContainerStatus.Running when job.ExpectHealthy && last.Health == HealthStatus.Unhealthy:
                        return StepOutcome.Stop(HealStep.VerifyFailed, $"unhealthy again {elapsed} after the restart{Output(last)}");
                    case ContainerStatus.Exited or ContainerStatus.Dead when !restartedAgain:
                        return StepOutcome.Stop(HealStep.VerifyFailed, $"exited again with code {last.ExitCode} {elapsed} after the restart");
                }
            }

            var now = time.GetUtcNow();
            if (now >= deadline)
            {
                return engineError is not null
                    ? StepOutcome.Stop(HealStep.Cancelled, engineError)
                    : StepOutcome.Stop(HealStep.VerifyFailed, $"not {(job.ExpectHealthy ? "healthy" : "running")} within the verify timeout of {Seconds(job.VerifyTimeout)} (status {last?.Status.ToString().ToLowerInvariant()}, health {last?.Health.ToString().ToLowerInvariant()})");
            }

            var wait = deadline - now < VerifyPoll ? deadline - now : VerifyPoll;
            await Task.Delay(wait, time, cancellationToken);
        }
    }

    /// <summary>
    /// Keeps what the restart destroys: exit code, OOM flag, recent health check outputs, the log tail.
    /// Best effort and time-boxed: a heal never waits long for its diagnostics.
    /// </summary>
    private async Task<HealDiagnostics?> DiagnoseAsync(IHealHost host, ContainerInfo c, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(DiagnosticsTimeBox, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            return c.Diagnostics(await host.LogTailAsync(c, LogLines, either.Token));
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The heal matters more than its diagnostics: a time-out, an engine or watcher error, or a
            // log driver that cannot be read (`--log-driver none`) leaves them out, never the heal.
            return null;
        }
    }

    private static StepOutcome NotNeeded(string why) => StepOutcome.Stop(HealStep.Cancelled, $"heal not needed: {why}");

    private static StepOutcome EngineDown(EngineUnavailableException ex) =>
        StepOutcome.Stop(HealStep.Cancelled, $"{ex.Message}; healing resumes when the engine is back");

    private static string Output(ContainerInfo c) => c.LastHealthOutput is { Length: > 0 } o ? $": {o}" : "";

    private static string Seconds(TimeSpan t) => $"{t.TotalSeconds:0.0}s";

    // What a user wants to know of a heal: how long the container was down, from the failure seen (or the restart asked
    // for) to running again, and to healthy.
    private static string Healed(HealJob job, DateTimeOffset runningAt, DateTimeOffset now)
    {
        var manual = job.Reason == FailureKind.Manual;
        var since = manual ? "the restart was asked for" : "the failure was seen";
        var attempt = manual ? "" : $" (attempt {job.Attempt})";
        var running = Seconds(Max(runningAt - job.DetectedAt, TimeSpan.Zero));
        var healthy = job.ExpectHealthy ? $", healthy after {Seconds(Max(now - job.DetectedAt, TimeSpan.Zero))}" : "";
        return $"healed: running again {running} after {since}{healthy}{attempt}";
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
