namespace AutoHeal.Integration.Tests;

/// <summary>The embedded autoheal against real containers on the real engine.</summary>
public sealed class HealingTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);

    // Crashes once with exit code 3; after a restart (its filesystem keeps the marker) it stays up.
    private const string CrashOnce = "if [ -f /crashed ]; then exec sleep 1000; fi; touch /crashed; sleep 1; exit 3";

    // Healthy at first, unhealthy after a second; after a restart it stays healthy.
    private const string UnhealthyOnce = "rm -f /tmp/bad; if [ -f /was-sick ]; then exec sleep 1000; fi; touch /was-sick; sleep 1; touch /tmp/bad; exec sleep 1000";
    // Runs until a test touches /tmp/crash, then exits with code 9 (PID 1 ignores signals sent from inside).
    private const string CrashOnTrigger = DockerCli.CrashOnTrigger;

    private static readonly string[] HealthCheck = ["--health-cmd", "test ! -f /tmp/bad", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "1s"];

    [Fact]
    public async Task A_crashed_container_is_restarted_at_once_and_verified()
    {
        var name = Docker.Name("crash");
        await Docker.StartAsync(name, CrashOnce, Autoheal.OptIn);
        var firstStart = await DockerCli.StartedAtAsync(name);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the crash to be healed");

        Assert.Equal("running", await DockerCli.StateAsync(name));
        Assert.NotEqual(firstStart, await DockerCli.StartedAtAsync(name));
        var events = await EventLog.ReadAsync(Autoheal.DataDir, name);
        var scheduled = Assert.Single(events, e => e.Kind == EventKind.HealScheduled);
        Assert.Contains("exit code 3", scheduled.Message, StringComparison.Ordinal);
        Assert.Contains("heal now", scheduled.Message, StringComparison.Ordinal);
        Assert.Single(events, e => e.Kind == EventKind.Restarting);
    }

    [Fact]
    public async Task An_unhealthy_container_is_restarted_and_verified_healthy()
    {
        var name = Docker.Name("sick");
        await Docker.StartAsync(name, UnhealthyOnce, [.. Autoheal.OptIn, .. HealthCheck]);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the unhealthy container to be healed");

        var healed = (await EventLog.ReadAsync(Autoheal.DataDir, name)).First(e => e.Kind == EventKind.Healed);
        Assert.Contains("healthy", healed.Message, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(name, "{{.State.Health.Status}}") == "healthy", Soon, "healthy");
    }

    [Fact]
    public async Task A_container_stopped_or_killed_on_purpose_stays_down()
    {
        var stopped = Docker.Name("stopped");
        var killed = Docker.Name("killed");
        await Docker.StartAsync(stopped, CrashOnTrigger, Autoheal.OptIn);
        await Docker.StartAsync(killed, "exec sleep 1000", Autoheal.OptIn);
        await Eventually.HoldsAsync(() => Task.FromResult(Autoheal.LinesFor(killed).Any()), Soon, "autoheal to see the containers");

        await DockerCli.RunAsync("stop", "-t", "1", stopped);
        await DockerCli.RunAsync("kill", killed);

        // AutoHeal's own word that it decided not to heal them.
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, stopped, EventKind.Skipped) == 1
            && await EventLog.CountAsync(Autoheal.DataDir, killed, EventKind.Skipped) == 1, Soon, "both stops to be recognised");
        Assert.Equal("exited", await DockerCli.StateAsync(stopped));
        Assert.Equal("exited", await DockerCli.StateAsync(killed));
        Assert.Contains("on purpose", (await EventLog.ReadAsync(Autoheal.DataDir, killed)).Single(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventLog.CountAsync(Autoheal.DataDir, stopped, EventKind.Restarting));

        // Started again by hand, a later crash is healed: the stop's intent ended with the start.
        await DockerCli.RunAsync("start", stopped);
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(stopped) == "running", Soon, "started");
        await DockerCli.TriggerCrashAsync(stopped);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, stopped, EventKind.Healed) == 1, Soon, "the crash after the restart to be healed");
    }

    [Fact]
    public async Task A_paused_container_is_never_healed()
    {
        var name = Docker.Name("paused");
        await Docker.StartAsync(name, "touch /tmp/ok; exec sleep 1000", [.. Autoheal.OptIn, "--health-cmd", "test -f /tmp/ok", "--health-interval", "1s", "--health-retries", "1"]);
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(name, "{{.State.Health.Status}}") == "healthy", Soon, "healthy");
        var started = await DockerCli.StartedAtAsync(name);

        var from = Autoheal.Lines.Count;
        await DockerCli.RunAsync("pause", name);

        await Autoheal.WaitForLogAboutAsync(name, "Paused", Soon, from); // its guardian has been told
        await Eventually.StaysTrueAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.HealScheduled) == 0,
            "no heal while paused, through several health intervals and sweeps", TimeSpan.FromSeconds(2));
        Assert.Equal("paused", await DockerCli.StateAsync(name));
        Assert.Equal(started, await DockerCli.StartedAtAsync(name));
        Assert.Equal(0, await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.HealScheduled));
        await DockerCli.RunAsync("unpause", name);
    }

    [Fact]
    public async Task A_crash_is_left_to_the_containers_own_restart_policy_but_unmonitored_ones_are_ignored()
    {
        var withPolicy = Docker.Name("policy");
        var unlabelled = Docker.Name("unlabelled");
        await Docker.StartAsync(withPolicy, "sleep 1; exit 4", [.. Autoheal.OptIn, "--restart", "on-failure:2"]);
        await Docker.StartAsync(unlabelled, "sleep 1; exit 5");

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, withPolicy, EventKind.Skipped) >= 1, Soon, "the crash to be left to Docker");
        Assert.Contains("restart policy 'on-failure'", (await EventLog.ReadAsync(Autoheal.DataDir, withPolicy)).First(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventLog.CountAsync(Autoheal.DataDir, withPolicy, EventKind.Restarting));

        // AutoHeal saw the crash (its view of the container says exited) and does not look after it.
        await Eventually.HoldsAsync(async () => await Autoheal.Api.GetContainerAsync(unlabelled) is { Container: { Status: "exited", Monitored: false } },
            Soon, "AutoHeal to see the unlabelled container exited");
        Assert.Empty(await EventLog.ReadAsync(Autoheal.DataDir, unlabelled));
        Assert.Equal("exited", await DockerCli.StateAsync(unlabelled));
    }

    [Fact]
    public async Task A_container_that_keeps_crashing_is_quarantined_and_left_down()
    {
        await RestartWithAsync(QuarantineAfter(3));
        var name = Docker.Name("flapping");
        await Docker.StartAsync(name, "sleep 0.5; exit 1", Autoheal.OptIn);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Quarantined) == 1, TimeSpan.FromSeconds(40), "quarantine");

        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal(3, await EventLog.CountAsync(Autoheal.DataDir, name, EventKind.Restarting));
        var quarantined = (await EventLog.ReadAsync(Autoheal.DataDir, name)).Single(e => e.Kind == EventKind.Quarantined);
        Assert.Contains("3 heals within 600s", quarantined.Message, StringComparison.Ordinal);
        Assert.Contains(Autoheal.LinesFor(name), l => l.Contains("warn", StringComparison.Ordinal) && l.Contains("Quarantined", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Killing_autoheal_during_a_backoff_loses_nothing_and_does_nothing_twice()
    {
        await RestartWithAsync(new Dictionary<string, string>
        {
            ["AutoHeal:Restart:BackoffInitialSeconds"] = "4",
            ["AutoHeal:Restart:CooldownSeconds"] = "0",
        });
        var name = Docker.Name("resumed");
        // Crashes twice, then stays up.
        await Docker.StartAsync(name, "n=$(cat /n 2>/dev/null || echo 0); echo $((n+1)) > /n; if [ $n -ge 2 ]; then exec sleep 1000; fi; sleep 1; exit 7", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await EventLog.ReadAsync(Autoheal.DataDir, name)).Any(e => e.Kind == EventKind.HealScheduled && e.Attempt == 2), Soon, "the second heal to wait out its backoff");

        await Autoheal.KillAsync();
        Assert.Equal("exited", await DockerCli.StateAsync(name));
        var again = Autoheal.OnSameData();

        await using (again)
        {
            await again.StartAsync();
            await again.WaitForLogAsync("Resuming 1 heal job", Soon);
            await Eventually.HoldsAsync(async () => await EventLog.CountAsync(again.DataDir, name, EventKind.Healed) == 2, Soon, "the resumed heal");

            var events = await EventLog.ReadAsync(again.DataDir, name);
            Assert.Equal([1, 2], events.Where(e => e.Kind == EventKind.Restarting).Select(e => e.Attempt!.Value).Order());
            Assert.Equal(2, events.Count(e => e.Kind == EventKind.HealScheduled));
            Assert.Equal("running", await DockerCli.StateAsync(name));
        }
    }

    [Fact]
    public async Task Autoheal_restarted_mid_restart_verifies_instead_of_restarting_again()
    {
        // SIGTERM right after a restart was issued: the stage is saved, the next start verifies it.
        var name = Docker.Name("midheal");
        await Docker.StartAsync(name, CrashOnce, Autoheal.OptIn);
        await Autoheal.WaitForLogAsync($"/{name}: Restarting", Soon);
        await Autoheal.StopAsync();

        var again = Autoheal.OnSameData();
        await using (again)
        {
            await again.StartAsync();
            await Eventually.HoldsAsync(async () => await EventLog.CountAsync(again.DataDir, name, EventKind.Healed) == 1, Soon, "the heal to complete");
            Assert.Equal(1, await EventLog.CountAsync(again.DataDir, name, EventKind.Restarting));
            Assert.Equal("running", await DockerCli.StateAsync(name));
        }
    }
}
