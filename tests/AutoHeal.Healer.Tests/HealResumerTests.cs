namespace AutoHeal.Healer.Tests;

/// <summary>Heal jobs picked up from the store when AutoHeal starts again.</summary>
public sealed class HealResumerTests
{
    /// <summary>When the interrupted run issued its restart: 20 s before this run's clock starts.</summary>
    private static readonly DateTimeOffset IssuedAt = HealerHarness.Start - TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_heal_interrupted_after_docker_restarted_the_container_is_verified_without_restarting_it_again()
    {
        await using var h = await HealerHarness.StartAsync();
        h.Runtime.Add(h.Runtime.Running(HealerHarness.IdOf("web"), "web") with { StartedAt = IssuedAt + TimeSpan.FromSeconds(1) });
        await h.Store.SaveAsync(Interrupted("web", HealStage.Restarting), [], CancellationToken.None);

        await h.ResumeAsync();

        await h.WaitForEventAsync("web", EventKind.Healed);
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 0, "no second restart");
        var healed = Assert.Single(await h.EventsAsync("web", EventKind.Healed));
        Assert.Equal("host-1/web#1", healed.JobId);
        var state = await h.StateAsync("web");
        Assert.Null(state.ActiveHeal);
        Assert.Equal(GuardianPhase.Watching, state.Phase);
        Assert.Equal(Condition.Running, state.Condition);
        Assert.Equal(1, state.TotalHeals);
        Assert.Equal(IssuedAt + TimeSpan.FromSeconds(1), state.LastStartedAt);
    }

    [Fact]
    public async Task A_heal_interrupted_before_docker_restarted_the_container_restarts_it_exactly_once()
    {
        await using var h = await HealerHarness.StartAsync();
        h.Runtime.Add(h.Runtime.Running(HealerHarness.IdOf("web"), "web") with
        {
            Status = ContainerStatus.Exited,
            ExitCode = 1,
            StartedAt = IssuedAt - TimeSpan.FromMinutes(5),
        });
        await h.Store.SaveAsync(Interrupted("web", HealStage.Restarting), [], CancellationToken.None);

        await h.ResumeAsync();

        await h.WaitForEventAsync("web", EventKind.Healed);
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 1, "exactly one restart");
        Assert.Equal(HealerHarness.IdOf("web"), h.Runtime.Restarts[0].Id);
        var state = await h.StateAsync("web");
        Assert.Null(state.ActiveHeal);
        Assert.Equal(GuardianPhase.Watching, state.Phase);
        Assert.Equal(1, state.TotalHeals); // the heal was counted when it began, not again on resume
        Assert.Equal([IssuedAt], state.RecentHeals);
    }

    [Fact]
    public async Task A_heal_interrupted_while_waiting_out_its_backoff_restarts_at_its_due_time()
    {
        await using var h = await HealerHarness.StartAsync();
        var due = HealerHarness.Start + TimeSpan.FromSeconds(5);
        h.Runtime.Add(h.Runtime.Running(HealerHarness.IdOf("web"), "web") with { Status = ContainerStatus.Exited, ExitCode = 1 });
        await h.Store.SaveAsync(Interrupted("web", HealStage.Waiting) with { ActiveHeal = Job("web", HealStage.Waiting) with { DueAt = due } }, [], CancellationToken.None);

        await h.ResumeAsync();

        await h.Clock.AdvanceWhenWaitedOnAsync(TimeSpan.FromSeconds(4));
        await Eventually.StaysTrueAsync(() => h.Runtime.Restarts.Count == 0, "no restart before the due time");
        h.Clock.Advance(TimeSpan.FromSeconds(1));

        await h.WaitForEventAsync("web", EventKind.Healed);
        var restart = Assert.Single(h.Runtime.Restarts);
        Assert.Equal(due, restart.At);
    }

    [Fact]
    public async Task AutoHeal_stopped_in_the_middle_of_a_restart_does_not_restart_the_container_again_when_it_starts()
    {
        using var folder = new TempFolder();
        var crashedAt = HealerHarness.Start;
        await using (var first = await HealerHarness.StartAsync(dataDir: folder.Path))
        {
            await first.AddRunningAsync("web");
            first.Runtime.BlockRestarts();
            await first.CrashAsync("web");
            await Eventually.TrueAsync(() => first.Runtime.RestartsInFlight == 1, "the restart under way");
            await first.StopAsync(); // AutoHeal is stopped while Docker restarts the container
        }

        // Docker finished the restart; AutoHeal starts again 30 s later.
        await using var second = await HealerHarness.StartAsync(dataDir: folder.Path, now: crashedAt + TimeSpan.FromSeconds(30));
        second.Runtime.Add(second.Runtime.Running(HealerHarness.IdOf("web"), "web") with { StartedAt = crashedAt + TimeSpan.FromSeconds(1) });

        await second.ResumeAsync();

        await second.WaitForEventAsync("web", EventKind.Healed);
        await Eventually.StaysTrueAsync(() => second.Runtime.Restarts.Count == 0, "no second restart");
        var state = await second.StateAsync("web");
        Assert.Null(state.ActiveHeal);
        Assert.Equal(1, state.TotalHeals);
        Assert.Equal(
            [EventKind.HealScheduled, EventKind.Restarting, EventKind.Healed],
            (await second.EventsAsync("web")).Select(e => e.Kind));
    }

    [Fact]
    public async Task A_restart_resumed_against_an_engine_whose_clock_runs_an_hour_behind_is_not_done_twice()
    {
        using var folder = new TempFolder();
        var behind = -TimeSpan.FromHours(1);
        await using (var first = await HealerHarness.StartAsync(dataDir: folder.Path, engineAhead: behind))
        {
            await first.AddRunningAsync("web");
            first.Runtime.BlockRestarts();
            await first.CrashAsync("web");
            await Eventually.TrueAsync(() => first.Runtime.RestartsInFlight == 1, "the restart under way");
            await first.StopAsync(); // AutoHeal stops while Docker restarts the container
        }

        // Docker finished the restart a second after the crash, by its own clock (an hour behind AutoHeal's). The start
        // resumes the saved heal.
        await using var second = await HealerHarness.StartAsync(
            dataDir: folder.Path, now: HealerHarness.Start + TimeSpan.FromSeconds(30), engineAhead: behind,
            engine: e => e.Add(e.Running(HealerHarness.IdOf("web"), "web") with { StartedAt = HealerHarness.Start + behind + TimeSpan.FromSeconds(1) }));

        await second.WaitForEventAsync("web", EventKind.Healed);
        await Eventually.StaysTrueAsync(() => second.Runtime.Restarts.Count == 0, "no second restart");
    }

    [Fact]
    public async Task A_container_back_on_its_own_is_left_alone_even_when_the_engines_clock_runs_behind()
    {
        await using var h = await HealerHarness.StartAsync(HealPolicy.Default with { BackoffInitial = TimeSpan.FromSeconds(5) }, engineAhead: -TimeSpan.FromMinutes(10));
        await h.AddRunningAsync("web");
        h.Runtime.RestartFailure = new InvalidOperationException("cannot start: port is already allocated");
        await h.CrashAsync("web");
        await h.WaitForEventAsync("web", EventKind.HealFailed); // attempt 2 follows after its backoff, with no engine time of its own
        h.Runtime.RestartFailure = null;

        // An operator starts it meanwhile, a second later; its start time is the engine's, ten minutes behind AutoHeal's clock.
        h.Clock.Advance(TimeSpan.FromSeconds(1));
        h.Runtime.StartAgain("web");
        await h.Clock.AdvanceWhenWaitedOnAsync(HealPolicy.Default.Cooldown); // the wait before attempt 2

        var cancelled = await Eventually.ValueAsync(async () => (await h.EventsAsync("web", EventKind.HealCancelled)) is [var first, ..] ? first : null, TimeSpan.FromSeconds(5),
            $"the heal to be called off; events: {string.Join(" | ", (await h.EventsAsync("web")).Select(e => $"{e.Kind}: {e.Message}"))}; now {h.Clock.GetUtcNow():O} job {(await h.StateAsync("web")).ActiveHeal}; pending {h.Clock.PendingTimers}");
        Assert.Contains("it is running again on its own", cancelled.Message);
        Assert.Single(h.Runtime.Restarts); // the one Docker refused
    }

    private static HealJob Job(string name, HealStage stage) => new()
    {
        Id = $"{HealerHarness.Key(name)}#1",
        Key = HealerHarness.Key(name),
        ContainerId = HealerHarness.IdOf(name),
        Reason = FailureKind.Crash,
        Detail = "crashed with exit code 1",
        Attempt = 1,
        DetectedAt = IssuedAt,
        DueAt = IssuedAt,
        StopTimeout = HealPolicy.Default.StopTimeout,
        VerifyTimeout = HealPolicy.Default.VerifyTimeout,
        ExpectHealthy = false,
        Stage = stage,
        RestartIssuedAt = stage == HealStage.Waiting ? null : IssuedAt,
    };

    /// <summary>What the last run saved for a container whose heal was under way when it stopped.</summary>
    private static GuardianState Interrupted(string name, HealStage stage)
    {
        var began = stage != HealStage.Waiting;
        return new GuardianState
        {
            Key = HealerHarness.Key(name),
            ContainerId = HealerHarness.IdOf(name),
            ImageId = TestUtils.Fakes.FakeContainerRuntime.DefaultImageId,
            Monitored = true,
            SelectionReason = "label autoheal=true",
            Phase = GuardianPhase.Healing,
            Condition = Condition.Crashed,
            LastExitCode = 1,
            LastStartedAt = IssuedAt - TimeSpan.FromMinutes(5),
            ActiveHeal = Job(name, stage),
            RecentHeals = began ? [IssuedAt] : [],
            HealsInIncident = began ? 1 : 0,
            LastHealAt = began ? IssuedAt : null,
            TotalHeals = began ? 1 : 0,
            JobSequence = 1,
        };
    }
}
