namespace AutoHeal.Dapr.Tests;

/// <summary>
/// <see cref="HealWorkflow"/> run the way the Dapr SDK tests workflows: <c>RunAsync</c> on a substituted context, here
/// one that runs the real activities against a watcher's real routes over a fake engine, with every input and output
/// sent through the engine's serializer. The same heals must report the same steps, in the same words, as the
/// embedded runner.
/// </summary>
public sealed class HealWorkflowTests
{
    private const string Enter = nameof(EnterSlotActivity);
    private const string Leave = nameof(LeaveSlotActivity);
    private const string Recheck = nameof(RecheckActivity);
    private const string Restart = nameof(RestartActivity);
    private const string Verify = nameof(VerifyActivity);
    private const string Report = nameof(ReportActivity);
    private static readonly TimeSpan Backoff = HealPolicy.Default.DelayBeforeHeal(1);

    // ---- the same heals, embedded and on Dapr ----

    private sealed record HealCase(
        HealStep[] Reports,
        int Restarts,
        Action<FakeContainerRuntime>? Before = null,
        Action<FakeContainerRuntime>? Meanwhile = null,
        bool GuardianRefuses = false);

    private static readonly Dictionary<string, HealCase> HealCases = new()
    {
        ["a crashed container is healed"] = new(
            [HealStep.BeginRestart, HealStep.Restarted, HealStep.Healed], Restarts: 1),
        ["a container back on its own is left alone"] = new(
            [HealStep.Cancelled], Restarts: 0, Meanwhile: r => r.StartAgain(WorkflowRig.Name)),
        ["the guardian refuses the restart"] = new(
            [HealStep.BeginRestart], Restarts: 0, GuardianRefuses: true),
        ["Docker refuses the restart"] = new(
            [HealStep.BeginRestart, HealStep.RestartFailed], Restarts: 1,
            Before: r => r.RestartFailure = new InvalidOperationException("cannot start: port is already allocated")),
        ["the container exits again after its restart"] = new(
            [HealStep.BeginRestart, HealStep.Restarted, HealStep.VerifyFailed], Restarts: 1, Before: r => r.ExitAfterRestart(3)),
        ["the engine is unreachable"] = new(
            [HealStep.Cancelled], Restarts: 0, Meanwhile: r => r.Unreachable = true),
    };

    public static TheoryData<string> HealCaseNames => new(HealCases.Keys);

    [Theory]
    [MemberData(nameof(HealCaseNames))]
    public async Task The_workflow_reports_the_same_steps_as_the_embedded_runner(string name)
    {
        var @case = HealCases[name];
        await using var embedded = await WorkflowEmbeddedRig.StartAsync();
        await using var workflow = await WorkflowHealRig.StartAsync();

        foreach (var rig in (IWorkflowRig[])[embedded, workflow])
        {
            await StartRunningAsync(rig);
            @case.Before?.Invoke(rig.Runtime);
            rig.Guardians.RefuseBeginRestart = @case.GuardianRefuses;
            var job = await CrashAsync(rig, meanwhile: @case.Meanwhile);
            await rig.HealAsync(job);
        }

        var expected = Reported(embedded.Guardians);
        var actual = Reported(workflow.Guardians);
        Assert.Equal(@case.Reports, actual.Select(r => r.Step));
        Assert.Equal(expected, actual);
        Assert.Equal(@case.Restarts, workflow.Runtime.Restarts.Count);
        Assert.Equal(embedded.Runtime.Restarts, workflow.Runtime.Restarts);
        Assert.Equal(Json(embedded.Guardians.Jobs[0]), Json(workflow.Guardians.Jobs[0]));
    }

    // ---- the workflow's own behaviour ----

    [Fact]
    public async Task A_crashed_container_is_rechecked_restarted_verified_and_each_step_reported()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        var job = await CrashAsync(rig, exitCode: 42);

        await rig.HealAsync(job);

        var run = Assert.Single(rig.Runs);
        Assert.Equal([Enter, Recheck, Report, Restart, Leave, Report, Verify, Report], run.ActivityNames);
        Assert.DoesNotContain(run.Calls, c => c.Name == ScriptedCall.Timer); // the first heal of an incident does not wait
        Assert.Equal(HealStep.Healed, Assert.Single(rig.Results));
        Assert.Equal(["waiting", "rechecking", "restarting", "verifying", "Healed"], run.Statuses);

        var restart = Assert.Single(rig.Runtime.Restarts);
        Assert.Equal(WorkflowRig.Id, restart.Id);
        Assert.Equal(job.DetectedAt, restart.At);
        Assert.Equal(HealPolicy.Default.StopTimeout, restart.StopTimeout);

        var reports = rig.Guardians.Reports;
        Assert.Equal([HealStep.BeginRestart, HealStep.Restarted, HealStep.Healed], reports.Select(r => r.Step));
        Assert.All(reports, r => Assert.Equal(job.Id, r.JobId));
        var diagnostics = reports[0].Diagnostics!; // kept before the restart destroys them
        Assert.Equal(42, diagnostics.ExitCode);
        Assert.Equal(["listening on :8080", "panic: out of cheese"], diagnostics.LogTail);
        Assert.Equal(restart.At, reports[1].ContainerStartedAt);
        Assert.Equal("healed: running again 0.0s after the failure was seen (attempt 1)", reports[2].Detail);
        Assert.All(rig.Guardians.Answers, a => Assert.True(a.Accepted));

        var state = (await rig.Guardians.GetAsync(WorkflowRig.Key, CancellationToken.None))!;
        Assert.Null(state.ActiveHeal);
        Assert.Equal(1, state.TotalHeals);
        Assert.Equal(restart.At, state.LastStartedAt);
    }

    [Fact]
    public async Task The_backoff_is_a_durable_timer_that_fires_at_the_jobs_due_time()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        await rig.HealAsync(await CrashAsync(rig));
        var firstRestart = rig.Runtime.Restarts[0].At;
        rig.Clock.Advance(TimeSpan.FromSeconds(2));

        var second = await CrashAsync(rig);
        await rig.HealAsync(second);

        Assert.Equal(2, second.Attempt);
        Assert.Equal(firstRestart + Backoff, second.DueAt);
        var calls = rig.Runs[1].Calls;
        Assert.Equal(ScriptedCall.Timer, calls[0].Name);
        Assert.Equal(second.DueAt.UtcDateTime, calls[0].FireAt);
        Assert.Equal(DateTimeKind.Utc, calls[0].FireAt!.Value.Kind);
        Assert.Equal([Enter, Recheck, Report, Restart, Leave, Report, Verify, Report], rig.Runs[1].ActivityNames);
        Assert.Equal(second.DueAt, rig.Runtime.Restarts[1].At); // not a moment before its due time
        Assert.Equal(HealStep.Healed, rig.Results[1]);
    }

    [Fact]
    public async Task Repeated_crashes_wait_out_a_growing_backoff_until_the_guardian_quarantines_the_container()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        var policy = HealPolicy.Default;

        // Every heal works, and the container crashes again a second later: five heals, each after a longer wait.
        for (var heal = 1; heal <= policy.MaxRestarts; heal++)
        {
            var job = await CrashAsync(rig);
            await rig.HealAsync(job);
            Assert.Equal(heal, job.Attempt);
            Assert.Equal(HealStep.Healed, rig.Results[^1]);
            var timers = rig.Runs[^1].Calls.Where(c => c.Name == ScriptedCall.Timer).ToList();
            if (heal == 1)
            {
                Assert.Empty(timers); // the first heal of an incident is at once
            }
            else
            {
                var previousRestart = rig.Runtime.Restarts[heal - 2].At;
                Assert.Equal((previousRestart + policy.DelayBeforeHeal(heal - 1)).UtcDateTime, Assert.Single(timers).FireAt);
            }

            rig.Clock.Advance(TimeSpan.FromSeconds(1));
        }

        // One failure more within the window: quarantined, and no workflow is started for it.
        rig.Runtime.Exit(WorkflowRig.Name, 1);
        var quarantined = await rig.SignalAsync(SignalKind.Died, 1);

        Assert.Empty(quarantined.Decisions.OfType<StartHeal>());
        Assert.NotNull(quarantined.State.Quarantine);
        Assert.Equal(policy.MaxRestarts, rig.Runs.Count);
        Assert.Equal(policy.MaxRestarts, rig.Runtime.Restarts.Count);
    }

    [Fact]
    public async Task A_job_that_starts_after_its_due_time_does_not_wait()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        await rig.HealAsync(await CrashAsync(rig));
        rig.Clock.Advance(TimeSpan.FromSeconds(2));
        var second = await CrashAsync(rig);

        rig.Clock.Advance(Backoff + TimeSpan.FromMinutes(1)); // the engine ran the instance late
        await rig.HealAsync(second);

        Assert.DoesNotContain(rig.Runs[1].Calls, c => c.Name == ScriptedCall.Timer);
        Assert.Equal(rig.Clock.GetUtcNow(), rig.Runtime.Restarts[1].At);
    }

    [Fact]
    public async Task A_container_running_again_on_its_own_is_not_restarted()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        var job = await CrashAsync(rig, meanwhile: r => r.StartAgain(WorkflowRig.Name));

        await rig.HealAsync(job);

        Assert.Equal([Enter, Recheck, Leave, Report], rig.Runs[0].ActivityNames);
        var report = Assert.Single(rig.Guardians.Reports);
        Assert.Equal(HealStep.Cancelled, report.Step);
        Assert.Equal("heal not needed: it is running again on its own", report.Detail);
        Assert.Empty(rig.Runtime.Restarts);
        Assert.DoesNotContain(rig.Watcher.Requests, r => r.Contains("/restart", StringComparison.Ordinal));
        Assert.Equal(HealStep.Cancelled, rig.Results[0]);
    }

    [Fact]
    public async Task An_operators_stop_between_the_recheck_and_the_restart_calls_the_heal_off()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        rig.Runtime.Add(rig.Runtime.Running(WorkflowRig.Id, WorkflowRig.Name) with { HasHealthCheck = true, Health = Domain.Containers.HealthStatus.Healthy });
        await rig.SignalAsync(SignalKind.Observed);
        rig.Clock.Advance(TimeSpan.FromSeconds(30));
        rig.Runtime.SetHealth(WorkflowRig.Name, Domain.Containers.HealthStatus.Unhealthy);
        var job = Assert.Single((await rig.SignalAsync(SignalKind.Unhealthy)).Decisions.OfType<StartHeal>()).Job;
        // Between the recheck and the restart (the guardian's answer crossing the network), the operator stops it.
        rig.Guardians.OnReport = r =>
        {
            if (r.Step == HealStep.BeginRestart)
            {
                rig.Runtime.SetStatus(WorkflowRig.Name, Domain.Containers.ContainerStatus.Exited, exitCode: 143);
            }
        };

        await rig.HealAsync(job);

        Assert.Empty(rig.Runtime.Restarts);
        Assert.Equal([HealStep.BeginRestart, HealStep.Cancelled], rig.Guardians.Reports.Select(r => r.Step));
        Assert.StartsWith("heal called off: the container changed since it was rechecked (now exited", rig.Guardians.Reports[1].Detail);
    }

    [Fact]
    public async Task A_restart_the_engine_runs_again_after_a_lost_answer_does_not_restart_twice()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        var job = await CrashAsync(rig);
        var seen = rig.Runtime.Get(WorkflowRig.Name);
        var request = new RestartRequest(job with { Stage = HealStage.Restarting }, seen.Seen);
        var activity = new RestartActivity(rig.Steps);

        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        var first = await activity.RunAsync(null!, request);
        var again = await activity.RunAsync(null!, request); // the engine retries: it never got the first answer

        Assert.Single(rig.Runtime.Restarts);
        Assert.True(first.Proceed);
        Assert.True(again.Proceed);
        Assert.Equal("restarted already (it started again since the recheck)", again.Detail);
        Assert.Equal(first.StartedAt, again.StartedAt);
    }

    [Fact]
    public async Task Docker_refusing_the_restart_is_reported_in_Dockers_words()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        rig.Runtime.RestartFailure = new InvalidOperationException("cannot start: port is already allocated");

        await rig.HealAsync(await CrashAsync(rig));

        Assert.Equal([Enter, Recheck, Report, Restart, Leave, Report], rig.Runs[0].ActivityNames);
        var failed = rig.Guardians.Reports[^1];
        Assert.Equal(HealStep.RestartFailed, failed.Step);
        Assert.Equal("Docker refused the restart: cannot start: port is already allocated", failed.Detail);
        Assert.Equal(HealStep.RestartFailed, rig.Results[0]);
        Assert.Single(rig.Runtime.Restarts);
    }

    [Theory]
    [InlineData(Recheck, new[] { Enter, Recheck, Leave, Report })]
    [InlineData(Restart, new[] { Enter, Recheck, Report, Restart, Leave, Report })]
    [InlineData(Verify, new[] { Enter, Recheck, Report, Restart, Leave, Report, Verify, Report })]
    public async Task A_watcher_activity_that_fails_after_its_retries_calls_the_heal_off_naming_the_watcher(string failing, string[] calls)
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        rig.Script = context => context.FailAfterRetries(
            failing, typeof(HttpRequestException).FullName!, "the watcher at dapr://autoheal-watcher-host-1 answered 500: ERR_DIRECT_INVOKE");

        await rig.HealAsync(await CrashAsync(rig));

        Assert.Equal(calls, rig.Runs[0].ActivityNames);
        var cancelled = rig.Guardians.Reports[^1];
        Assert.Equal(HealStep.Cancelled, cancelled.Step);
        Assert.Equal(
            "the watcher of host-1 could not be reached (the watcher at dapr://autoheal-watcher-host-1 answered 500: ERR_DIRECT_INVOKE); healing resumes with the next failure signal",
            cancelled.Detail);
        Assert.Equal(HealStep.Cancelled, rig.Results[0]);
        Assert.Null((await rig.Guardians.GetAsync(WorkflowRig.Key, CancellationToken.None))!.ActiveHeal);
        Assert.Equal(failing == Verify ? 1 : 0, rig.Runtime.Restarts.Count);
    }

    [Fact]
    public async Task A_job_resumed_while_verifying_skips_the_recheck_and_the_restart()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        var job = await CrashAsync(rig);
        // A previous healer had the restart done and reported before it died.
        await rig.Guardians.TellAsync(new HealReport(WorkflowRig.Key, job.Id, HealStep.BeginRestart), CancellationToken.None);
        rig.Runtime.StartAgain(WorkflowRig.Name);
        await rig.Guardians.TellAsync(
            new HealReport(WorkflowRig.Key, job.Id, HealStep.Restarted) { ContainerStartedAt = rig.Clock.GetUtcNow() }, CancellationToken.None);
        var resumed = (await rig.Guardians.GetAsync(WorkflowRig.Key, CancellationToken.None))!.ActiveHeal!;
        Assert.Equal(HealStage.Verifying, resumed.Stage);

        await rig.HealAsync(resumed);

        Assert.Equal([Verify, Report], rig.Runs[0].ActivityNames);
        Assert.DoesNotContain(rig.Runs[0].Calls, c => c.Name == ScriptedCall.Timer);
        Assert.Equal(HealStep.Healed, rig.Guardians.Reports[^1].Step);
        Assert.Empty(rig.Runtime.Restarts);
    }

    [Fact]
    public async Task A_job_resumed_after_its_restart_went_through_does_not_restart_again()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        var job = await CrashAsync(rig);
        await rig.Guardians.TellAsync(new HealReport(WorkflowRig.Key, job.Id, HealStep.BeginRestart), CancellationToken.None);
        rig.Clock.Advance(TimeSpan.FromSeconds(1));
        rig.Runtime.StartAgain(WorkflowRig.Name); // the restart was done; its answer was lost with the healer
        var resumed = (await rig.Guardians.GetAsync(WorkflowRig.Key, CancellationToken.None))!.ActiveHeal!;
        Assert.Equal(HealStage.Restarting, resumed.Stage);

        await rig.HealAsync(resumed);

        Assert.Equal([Enter, Restart, Leave, Report, Verify, Report], rig.Runs[0].ActivityNames);
        Assert.Equal("restarted before AutoHeal stopped", rig.Guardians.Reports[^2].Detail);
        Assert.Equal(rig.Clock.GetUtcNow(), rig.Guardians.Reports[^2].ContainerStartedAt);
        Assert.Equal(HealStep.Healed, rig.Guardians.Reports[^1].Step);
        Assert.Empty(rig.Runtime.Restarts);
    }

    [Fact]
    public async Task A_restart_the_actor_cannot_record_gives_its_slot_back_and_restarts_nothing()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        rig.Guardians.FailBeginRestart = true;

        await rig.HealAsync(await CrashAsync(rig));

        Assert.Equal([Enter, Recheck, Report, Leave, Report], rig.Runs[0].ActivityNames);
        var last = rig.Guardians.Reports[^1];
        Assert.Equal(HealStep.Cancelled, last.Step);
        Assert.StartsWith("heal job failed: the restart could not be recorded (", last.Detail);
        Assert.Empty(rig.Runtime.Restarts);
        Assert.Equal(0, rig.Watcher.SlotsHeld);
    }

    [Fact]
    public async Task A_guardian_that_called_the_heal_off_gets_no_restart()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);
        rig.Guardians.RefuseBeginRestart = true;

        await rig.HealAsync(await CrashAsync(rig));

        Assert.Equal([Enter, Recheck, Report, Leave], rig.Runs[0].ActivityNames);
        var (report, accepted) = Assert.Single(rig.Guardians.Answers);
        Assert.Equal(HealStep.BeginRestart, report.Step);
        Assert.False(accepted);
        Assert.Equal(HealStep.Cancelled, rig.Results[0]);
        Assert.Empty(rig.Runtime.Restarts);
        Assert.DoesNotContain(rig.Watcher.Requests, r => r.Contains("/restart", StringComparison.Ordinal));
        Assert.Equal(0, rig.Watcher.SlotsHeld); // given back
    }

    [Fact]
    public async Task A_heal_waits_for_a_restart_slot_held_by_another_heal_on_the_same_host_before_it_rechecks()
    {
        await using var rig = await WorkflowHealRig.StartAsync(maxConcurrentRestarts: 1);
        await StartRunningAsync(rig);
        var other = rig.Watcher.For(WorkflowRig.HostName);
        Assert.Equal(SlotEntry.Held, await other.EnterSlotAsync(new SlotAsk("host-1/other#1", "host-1/other", Automatic: true), TimeSpan.FromMinutes(5), TimeSpan.Zero, CancellationToken.None));
        var job = await CrashAsync(rig);

        var heal = rig.HealAsync(job);
        await Eventually.TrueAsync(() => rig.Watcher.Requests.Any(r => r == "POST /watcher/slots"), "the heal to ask for a slot");
        await Eventually.StaysTrueAsync(() => !heal.IsCompleted && rig.Runtime.Restarts.Count == 0 && rig.Guardians.Reports.Count == 0,
            "no recheck, report or restart while the other heal holds the only slot");
        await other.LeaveSlotAsync("host-1/other#1", CancellationToken.None);
        await heal;

        Assert.Single(rig.Runtime.Restarts);
        Assert.Equal(HealStep.Healed, rig.Results[0]);
        Assert.Equal(0, rig.Watcher.SlotsHeld);
    }

    [Fact]
    public async Task Every_activity_call_has_an_explicit_retry_policy()
    {
        await using var rig = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(rig);

        await rig.HealAsync(await CrashAsync(rig));

        var calls = rig.Runs[0].Calls.Where(c => c.Name != ScriptedCall.Timer).ToList();
        Assert.Equal(8, calls.Count);
        Assert.All(calls, c =>
        {
            var policy = c.Options?.RetryPolicy;
            Assert.NotNull(policy);
            Assert.True(policy.MaxNumberOfAttempts > 1, $"{c.Name} is tried only once");
            Assert.True(policy.FirstRetryInterval > TimeSpan.Zero, $"{c.Name} is retried at once");
            // Reports are retried hard, but not the one that tells a restart begins: the heal holds a restart slot then.
            var finalish = c.Name == Report && JsonDocument.Parse(c.InputJson!).RootElement.GetProperty("step").GetInt32() != (int)HealStep.BeginRestart;
            Assert.Same(finalish ? HealWorkflow.ActorCalls : HealWorkflow.WatcherCalls, c.Options);
        });
        Assert.True(HealWorkflow.ActorCalls.RetryPolicy!.MaxNumberOfAttempts >= HealWorkflow.WatcherCalls.RetryPolicy!.MaxNumberOfAttempts,
            "a lost final report leaves the heal under way for good: reports must be retried at least as hard as watcher calls");
    }

    [Fact]
    public async Task The_workflow_is_deterministic_on_replay_and_on_a_second_run()
    {
        await using var first = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(first);
        await first.HealAsync(await CrashAsync(first));
        first.Clock.Advance(TimeSpan.FromSeconds(2));
        var job = await CrashAsync(first); // attempt 2: with a backoff timer
        await first.HealAsync(job);
        var live = first.Runs[1];

        // The engine replays the instance from its history after every step: the workflow must ask for the same things.
        var replay = ScriptedWorkflowContext.Replay(first.Clock, live.InstanceId, live.Start, live.Calls);
        var replayed = await WorkflowHealRig.RunAsync(replay, job);

        Assert.Equal(first.Results[1], replayed);
        Assert.Equal(live.Calls.Select(c => c.Request), replay.Calls.Select(c => c.Request));

        // And the same script run again, from scratch, makes the same calls.
        await using var second = await WorkflowHealRig.StartAsync();
        await StartRunningAsync(second);
        await second.HealAsync(await CrashAsync(second));
        second.Clock.Advance(TimeSpan.FromSeconds(2));
        await second.HealAsync(await CrashAsync(second));
        Assert.Equal(live.Calls.Select(c => (c.Request, c.OutputJson, c.Now)), second.Runs[1].Calls.Select(c => (c.Request, c.OutputJson, c.Now)));
        Assert.Equal(first.Results, second.Results);
    }

    // ---- helpers ----

    /// <summary>A monitored container running since the rig's start, as the watcher's first sweep reports it; then 30 s pass.</summary>
    private static async Task StartRunningAsync(IWorkflowRig rig)
    {
        rig.Runtime.Add(rig.Runtime.Running(WorkflowRig.Id, WorkflowRig.Name));
        rig.Runtime.Logs[WorkflowRig.Id] = ["listening on :8080", "panic: out of cheese"];
        await rig.SignalAsync(SignalKind.Observed);
        rig.Clock.Advance(TimeSpan.FromSeconds(30));
    }

    /// <summary>The container's process dies; <paramref name="meanwhile"/> happens before the watcher reports it. Returns the heal job decided.</summary>
    private static async Task<HealJob> CrashAsync(IWorkflowRig rig, int exitCode = 1, Action<FakeContainerRuntime>? meanwhile = null)
    {
        rig.Runtime.Exit(WorkflowRig.Name, exitCode);
        meanwhile?.Invoke(rig.Runtime);
        var result = await rig.SignalAsync(SignalKind.Died, exitCode);
        return Assert.Single(result.Decisions.OfType<StartHeal>()).Job;
    }

    private static List<(HealStep Step, string? Detail, DateTimeOffset? StartedAt, string Diagnostics)> Reported(WorkflowRecordingGuardians guardians) =>
        guardians.Reports.Select(r => (r.Step, r.Detail, r.ContainerStartedAt, Json(r.Diagnostics))).ToList();

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, DaprWire.Json);
}
