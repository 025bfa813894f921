using System.Globalization;
using Dapr.Workflow;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// The distributed pipeline end to end, against real containers on the real Docker engine: the watcher's signals go
/// through pub/sub (as CloudEvents, in order, one at a time) to the healer's subscription, to the container's actor,
/// whose heal runs as the real <see cref="HealWorkflow"/> with its activities on the watcher's routes. Only the Dapr
/// runtime's plumbing is substituted (see <see cref="DistributedPipeline"/>). What is asserted is what a user sees:
/// <c>docker inspect</c>, the events, and the guardian's saved state.
/// </summary>
public sealed class DistributedHealTests(DistributedPipeline pipeline) : IClassFixture<DistributedPipeline>
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    /// <summary>How long a container left alone is watched for a heal that must not come.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(3);

    // Crashes once with exit code 3 after a second; restarted (its filesystem keeps the marker), it stays up.
    private const string CrashOnce = "if [ -f /crashed ]; then exec sleep 1000; fi; touch /crashed; sleep 1; exit 3";

    private readonly DockerCli _docker = pipeline.Docker;

    [SkippableFact]
    public async Task A_labelled_container_that_crashes_is_restarted_by_its_actors_workflow_and_verified()
    {
        SkipWithoutEngine();
        var name = _docker.Name("crash");
        var key = DistributedPipeline.Key(name);
        await _docker.StartAsync(name, CrashOnce, pipeline.OptIn);
        var firstStart = DateTimeOffset.Parse(await DockerCli.StartedAtAsync(name), CultureInfo.InvariantCulture);

        await pipeline.WaitForAsync(name, async () => (await pipeline.SavedGuardianAsync(name))?.LastHeal is not null, Soon, $"the crash of {name} to be healed");

        // Docker: running again, started anew by the heal.
        Assert.Equal("running", await DockerCli.StateAsync(name));
        var restartedAt = DateTimeOffset.Parse(await DockerCli.StartedAtAsync(name), CultureInfo.InvariantCulture);
        Assert.True(restartedAt > firstStart, $"StartedAt {firstStart:O} -> {restartedAt:O}");
        Assert.Equal("0", await DockerCli.InspectAsync(name, "{{.State.ExitCode}}"));

        // The guardian's saved state, as the actor saved it and as the API reads it.
        var saved = await pipeline.SavedGuardianAsync(name);
        Assert.NotNull(saved);
        Assert.True(saved.LastHeal!.Healed, saved.LastHeal.Message);
        Assert.StartsWith("healed: running", saved.LastHeal.Message, StringComparison.Ordinal);
        Assert.Equal(1, saved.TotalHeals);
        Assert.Null(saved.ActiveHeal);
        Assert.Equal((GuardianPhase.Watching, Condition.Running), (saved.Phase, saved.Condition));
        Assert.Equal(3, saved.LastExitCode);
        var read = await pipeline.Guardians.GetAsync(key, CancellationToken.None);
        Assert.Equal(saved.LastHeal, read?.LastHeal);

        // The events a user reads: scheduled for the crash, restarting, healed, once each, in that order.
        var events = pipeline.Events.Events.Where(e => e.Key == key && e.Kind is EventKind.HealScheduled or EventKind.Restarting or EventKind.Healed or EventKind.HealFailed or EventKind.HealCancelled).ToList();
        Assert.Equal([EventKind.HealScheduled, EventKind.Restarting, EventKind.Healed], events.Select(e => e.Kind));
        Assert.Contains("exit code 3", events[0].Message, StringComparison.Ordinal);
        Assert.Contains("heal now", events[0].Message, StringComparison.Ordinal);
        Assert.Equal(3, events[1].Diagnostics?.ExitCode); // kept by the recheck, before the restart
        Assert.All(events, e => Assert.Equal($"{key}#1", e.JobId));

        // One workflow ran the heal to its end through the watcher's routes; the actor has no reminder left to fire.
        var run = Assert.Single(pipeline.Workflows.For(key));
        await run.Completion;
        Assert.Equal((WorkflowRuntimeStatus.Completed, HealStep.Healed), (run.Status, run.Result));
        Assert.Equal(
            [nameof(EnterSlotActivity), nameof(RecheckActivity), nameof(ReportActivity), nameof(RestartActivity), nameof(LeaveSlotActivity),
                nameof(ReportActivity), nameof(VerifyActivity), nameof(ReportActivity)],
            run.Context.ActivityNames);
        Assert.All(run.Context.Calls, c => Assert.True(c.Attempts == 1 && c.Failure is null, c.ToString()));
        if ((await pipeline.Actors.ActiveRemindersAsync(key)).Count > 0)
        {
            Assert.Fail($"a reminder is left after the heal\n{await pipeline.StoryAsync(name)}");
        }

        // Every signal of the container reached the healer and was taken.
        Assert.All(pipeline.PubSub.For(key), d => Assert.Equal("SUCCESS", d.Outcome));
        Assert.Contains(pipeline.PubSub.For(key), d => d.Signal.Kind == SignalKind.Died && d.Signal.ExitCode == 3);
    }

    [SkippableFact]
    public async Task A_labelled_container_stopped_with_docker_stop_is_left_down()
    {
        SkipWithoutEngine();
        var name = _docker.Name("stopped");
        var key = DistributedPipeline.Key(name);
        // PID 1 ignores SIGTERM: docker stop kills it after its timeout, so it exits with 137, not 0.
        await _docker.StartAsync(name, "exec sleep 1000", pipeline.OptIn);
        await pipeline.WaitForAsync(name, async () => (await pipeline.SavedGuardianAsync(name)) is { Monitored: true, Condition: Condition.Running },
            Soon, $"the actor of {name} to know it runs");
        var startedAt = await DockerCli.StartedAtAsync(name);

        await DockerCli.RunAsync("stop", "-t", "1", name);

        await pipeline.WaitForAsync(name, () => Task.FromResult(pipeline.Events.Events.Any(e => e.Key == key && e.Kind == EventKind.Skipped)),
            Soon, $"the stop of {name} to be recognised");
        await LeftDownAsync(name, key, e => e.Kind is EventKind.HealScheduled or EventKind.Restarting, "a heal was decided");

        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal("137", await DockerCli.InspectAsync(name, "{{.State.ExitCode}}"));
        Assert.Equal(startedAt, await DockerCli.StartedAtAsync(name));
        var skipped = Assert.Single(pipeline.Events.Events, e => e.Key == key && e.Kind == EventKind.Skipped);
        Assert.Contains("stopped on purpose", skipped.Message, StringComparison.Ordinal);
        var saved = await pipeline.SavedGuardianAsync(name);
        Assert.Equal((GuardianPhase.Stopped, 0, (HealOutcome?)null), (saved?.Phase, saved?.TotalHeals, saved?.LastHeal));
        Assert.Contains(pipeline.PubSub.For(key), d => d.Signal.Kind == SignalKind.StopRequested && d.Outcome == "SUCCESS");
        Assert.Contains(pipeline.PubSub.For(key), d => d.Signal.Kind == SignalKind.Died && d.Outcome == "SUCCESS");
    }

    [SkippableFact]
    public async Task An_unlabelled_container_that_crashes_leaves_no_actor_state_and_is_not_restarted()
    {
        SkipWithoutEngine();
        var name = _docker.Name("unlabelled");
        var key = DistributedPipeline.Key(name);
        await _docker.StartAsync(name, "sleep 1; exit 3");
        var startedAt = await DockerCli.StartedAtAsync(name);

        // The crash did reach the healer: the watcher saw it, unmonitored, and the subscription took it.
        await pipeline.WaitForAsync(name, () => Task.FromResult(pipeline.PubSub.For(key).Any(d => d.Signal.Kind == SignalKind.Died && d.Outcome == "SUCCESS")),
            Soon, $"the crash of {name} to reach the healer");
        await LeftDownAsync(name, key, _ => true, "an event was recorded");

        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal("3", await DockerCli.InspectAsync(name, "{{.State.ExitCode}}"));
        Assert.Equal(startedAt, await DockerCli.StartedAtAsync(name));
        Assert.All(pipeline.PubSub.For(key), d => Assert.False(d.Signal.Facts.Monitored, $"{d.Signal.Kind}: {d.Signal.Facts.SelectionReason}"));
        Assert.Contains($"no label {pipeline.LabelKey}=true", pipeline.PubSub.For(key)[0].Signal.Facts.SelectionReason, StringComparison.Ordinal);
        var saved = await pipeline.Actors.SavedAsync(key);
        Assert.NotNull(saved); // its actor was asked...
        Assert.Empty(saved); // ...and kept nothing
        Assert.Null(await pipeline.Guardians.GetAsync(key, CancellationToken.None));
    }

    [SkippableFact]
    public async Task A_dependent_whose_parent_was_removed_and_run_again_is_recreated_by_its_workflow_on_the_watcher()
    {
        SkipWithoutEngine();
        var (vpn, plain) = (_docker.Name("wf-vpn"), _docker.Name("wf-plain"));
        var key = DistributedPipeline.Key(plain);
        await using var removeVpn = DockerCli.RemoveAtEnd(vpn);
        await using var removePlain = DockerCli.RemoveAtEnd(plain);
        await _docker.StartAsync(vpn, "exec sleep 1000", pipeline.OptIn);
        var original = (await _docker.StartAsync(plain, "exec sleep 1000", [.. pipeline.OptIn, "--network", $"container:{vpn}"])).Trim();
        await pipeline.WaitForAsync(plain, async () => (await pipeline.SavedGuardianAsync(plain)) is { Monitored: true, Condition: Condition.Running },
            Soon, $"the actor of {plain} to know it runs");

        await DockerCli.RunAsync("rm", "-f", vpn);
        var newVpn = (await _docker.StartAsync(vpn, "exec sleep 1000", pipeline.OptIn)).Trim();

        await pipeline.WaitForAsync(plain, async () => (await pipeline.SavedGuardianAsync(plain))?.LastHeal is not null, TimeSpan.FromSeconds(40), $"{plain} to be recreated");
        var saved = await pipeline.SavedGuardianAsync(plain);
        Assert.True(saved!.LastHeal!.Healed, saved.LastHeal.Message);
        var now = (await DockerCli.InspectAsync(plain, "{{.Id}}")).Trim();
        Assert.NotEqual(original, now);
        Assert.Equal(now, saved.ContainerId); // the actor follows the new container, its history kept
        Assert.Equal($"container:{newVpn}", await DockerCli.InspectAsync(plain, "{{.HostConfig.NetworkMode}}"));
        Assert.Equal("running", await DockerCli.StateAsync(plain));
        var kinds = pipeline.Events.Events.Where(e => e.Key == key && e.Kind is EventKind.Restarting or EventKind.Recreating or EventKind.Recreated or EventKind.Healed).Select(e => e.Kind);
        Assert.Equal([EventKind.Restarting, EventKind.Recreating, EventKind.Recreated, EventKind.Healed], kinds);
        Assert.Contains(nameof(RecreateActivity), Assert.Single(pipeline.Workflows.For(key)).Context.ActivityNames);
    }

    private void SkipWithoutEngine() => Skip.If(pipeline.SkipReason is not null, pipeline.SkipReason);

    /// <summary>For a quiet while, the container stays exited: no event of <paramref name="unwanted"/> kind, no heal workflow.</summary>
    private Task LeftDownAsync(string name, ContainerKey key, Func<AutoHealEvent, bool> unwanted, string what) =>
        pipeline.HoldsThroughoutAsync(name, Quiet, async () =>
            pipeline.Events.Events.FirstOrDefault(e => e.Key == key && unwanted(e)) is { } e
                ? $"{what}: {e.Kind} {e.Message}"
                : pipeline.Workflows.For(key).Count > 0
                    ? "a heal workflow was started"
                    : await DockerCli.StateAsync(name) is var state and not "exited"
                        ? $"the container is {state}"
                        : null);
}
