namespace AutoHeal.Integration.Tests;

/// <summary>The embedded autoheal against real containers on the real engine.</summary>
[Collection(EngineCollection.Name)]
public sealed class HealingTests(EngineFixture engine) : IAsyncLifetime
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);
    private readonly DockerCli _docker = engine.Docker;
    private AutoHealProcess _autoheal = null!;

    // Crashes once with exit code 3; after a restart (its filesystem keeps the marker) it stays up.
    private const string CrashOnce = "if [ -f /crashed ]; then exec sleep 1000; fi; touch /crashed; sleep 1; exit 3";

    // Healthy at first, unhealthy after a second; after a restart it stays healthy.
    private const string UnhealthyOnce = "rm -f /tmp/bad; if [ -f /was-sick ]; then exec sleep 1000; fi; touch /was-sick; sleep 1; touch /tmp/bad; exec sleep 1000";
    // Runs until a test touches /tmp/crash, then exits with code 9 (PID 1 ignores signals sent from inside).
    private const string CrashOnTrigger = DockerCli.CrashOnTrigger;

    private static readonly string[] HealthCheck = ["--health-cmd", "test ! -f /tmp/bad", "--health-interval", "1s", "--health-retries", "1", "--health-timeout", "1s"];

    public async Task InitializeAsync()
    {
        _autoheal = new AutoHealProcess(_docker);
        await _autoheal.StartAsync();
    }

    public async Task DisposeAsync() => await _autoheal.DisposeAsync();

    [Fact]
    public async Task A_crashed_container_is_restarted_at_once_and_verified()
    {
        var name = _docker.Name("crash");
        await _docker.StartAsync(name, CrashOnce, _autoheal.OptIn);
        var firstStart = await DockerCli.StartedAtAsync(name);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the crash to be healed");

        Assert.Equal("running", await DockerCli.StateAsync(name));
        Assert.NotEqual(firstStart, await DockerCli.StartedAtAsync(name));
        var events = await EventLog.ReadAsync(_autoheal.DataDir, name);
        var scheduled = Assert.Single(events, e => e.Kind == EventKind.HealScheduled);
        Assert.Contains("exit code 3", scheduled.Message, StringComparison.Ordinal);
        Assert.Contains("heal now", scheduled.Message, StringComparison.Ordinal);
        Assert.Single(events, e => e.Kind == EventKind.Restarting);
    }

    [Fact]
    public async Task An_unhealthy_container_is_restarted_and_verified_healthy()
    {
        var name = _docker.Name("sick");
        await _docker.StartAsync(name, UnhealthyOnce, [.. _autoheal.OptIn, .. HealthCheck]);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, name, EventKind.Healed) == 1, Soon, "the unhealthy container to be healed");

        var healed = (await EventLog.ReadAsync(_autoheal.DataDir, name)).First(e => e.Kind == EventKind.Healed);
        Assert.Contains("healthy", healed.Message, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(name, "{{.State.Health.Status}}") == "healthy", Soon, "healthy");
    }

    [Fact]
    public async Task A_container_stopped_or_killed_on_purpose_stays_down()
    {
        var stopped = _docker.Name("stopped");
        var killed = _docker.Name("killed");
        await _docker.StartAsync(stopped, CrashOnTrigger, _autoheal.OptIn);
        await _docker.StartAsync(killed, "exec sleep 1000", _autoheal.OptIn);
        await Eventually.HoldsAsync(() => Task.FromResult(_autoheal.LinesFor(killed).Any()), Soon, "autoheal to see the containers");

        await DockerCli.RunAsync("stop", "-t", "1", stopped);
        await DockerCli.RunAsync("kill", killed);

        // AutoHeal's own word that it decided not to heal them.
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, stopped, EventKind.Skipped) == 1
            && await EventLog.CountAsync(_autoheal.DataDir, killed, EventKind.Skipped) == 1, Soon, "both stops to be recognised");
        Assert.Equal("exited", await DockerCli.StateAsync(stopped));
        Assert.Equal("exited", await DockerCli.StateAsync(killed));
        Assert.Contains("on purpose", (await EventLog.ReadAsync(_autoheal.DataDir, killed)).Single(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventLog.CountAsync(_autoheal.DataDir, stopped, EventKind.Restarting));

        // Started again by hand, a later crash is healed: the stop's intent ended with the start.
        await DockerCli.RunAsync("start", stopped);
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(stopped) == "running", Soon, "started");
        await DockerCli.TriggerCrashAsync(stopped);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, stopped, EventKind.Healed) == 1, Soon, "the crash after the restart to be healed");
    }

    [Fact]
    public async Task A_paused_container_is_never_healed()
    {
        var name = _docker.Name("paused");
        await _docker.StartAsync(name, "touch /tmp/ok; exec sleep 1000", [.. _autoheal.OptIn, "--health-cmd", "test -f /tmp/ok", "--health-interval", "1s", "--health-retries", "1"]);
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(name, "{{.State.Health.Status}}") == "healthy", Soon, "healthy");
        var started = await DockerCli.StartedAtAsync(name);

        var from = _autoheal.Lines.Count;
        await DockerCli.RunAsync("pause", name);

        await _autoheal.WaitForLogAboutAsync(name, "Paused", Soon, from); // its guardian has been told
        await Eventually.StaysTrueAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, name, EventKind.HealScheduled) == 0,
            "no heal while paused, through several health intervals and sweeps", TimeSpan.FromSeconds(2));
        Assert.Equal("paused", await DockerCli.StateAsync(name));
        Assert.Equal(started, await DockerCli.StartedAtAsync(name));
        Assert.Equal(0, await EventLog.CountAsync(_autoheal.DataDir, name, EventKind.HealScheduled));
        await DockerCli.RunAsync("unpause", name);
    }

    [Fact]
    public async Task A_crash_is_left_to_the_containers_own_restart_policy_but_unmonitored_ones_are_ignored()
    {
        var withPolicy = _docker.Name("policy");
        var unlabelled = _docker.Name("unlabelled");
        await _docker.StartAsync(withPolicy, "sleep 1; exit 4", [.. _autoheal.OptIn, "--restart", "on-failure:2"]);
        await _docker.StartAsync(unlabelled, "sleep 1; exit 5");

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, withPolicy, EventKind.Skipped) >= 1, Soon, "the crash to be left to Docker");
        Assert.Contains("restart policy 'on-failure'", (await EventLog.ReadAsync(_autoheal.DataDir, withPolicy)).First(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        Assert.Equal(0, await EventLog.CountAsync(_autoheal.DataDir, withPolicy, EventKind.Restarting));

        // AutoHeal saw the crash (its view of the container says exited) and does not look after it.
        await Eventually.HoldsAsync(async () => await _autoheal.Api.GetContainerAsync(unlabelled) is { Container: { Status: "exited", Monitored: false } },
            Soon, "AutoHeal to see the unlabelled container exited");
        Assert.Empty(await EventLog.ReadAsync(_autoheal.DataDir, unlabelled));
        Assert.Equal("exited", await DockerCli.StateAsync(unlabelled));
    }

    [Fact]
    public async Task A_container_that_keeps_crashing_is_quarantined_and_left_down()
    {
        await _autoheal.DisposeAsync();
        _autoheal = new AutoHealProcess(_docker, new Dictionary<string, string>
        {
            ["AutoHeal:Restart:MaxRestarts"] = "3",
            ["AutoHeal:Restart:BackoffInitialSeconds"] = "0.2",
            ["AutoHeal:Restart:CooldownSeconds"] = "0.2",
        });
        await _autoheal.StartAsync();
        var name = _docker.Name("flapping");
        await _docker.StartAsync(name, "sleep 0.5; exit 1", _autoheal.OptIn);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(_autoheal.DataDir, name, EventKind.Quarantined) == 1, TimeSpan.FromSeconds(40), "quarantine");

        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal(3, await EventLog.CountAsync(_autoheal.DataDir, name, EventKind.Restarting));
        var quarantined = (await EventLog.ReadAsync(_autoheal.DataDir, name)).Single(e => e.Kind == EventKind.Quarantined);
        Assert.Contains("3 heals within 600s", quarantined.Message, StringComparison.Ordinal);
        Assert.Contains(_autoheal.LinesFor(name), l => l.Contains("warn", StringComparison.Ordinal) && l.Contains("Quarantined", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Killing_autoheal_during_a_backoff_loses_nothing_and_does_nothing_twice()
    {
        await _autoheal.DisposeAsync();
        _autoheal = new AutoHealProcess(_docker, new Dictionary<string, string>
        {
            ["AutoHeal:Restart:BackoffInitialSeconds"] = "4",
            ["AutoHeal:Restart:CooldownSeconds"] = "0",
        });
        await _autoheal.StartAsync();
        var name = _docker.Name("resumed");
        // Crashes twice, then stays up.
        await _docker.StartAsync(name, "n=$(cat /n 2>/dev/null || echo 0); echo $((n+1)) > /n; if [ $n -ge 2 ]; then exec sleep 1000; fi; sleep 1; exit 7", _autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await EventLog.ReadAsync(_autoheal.DataDir, name)).Any(e => e.Kind == EventKind.HealScheduled && e.Attempt == 2), Soon, "the second heal to wait out its backoff");

        await _autoheal.KillAsync();
        Assert.Equal("exited", await DockerCli.StateAsync(name));
        var again = new AutoHealProcess(_docker, dataDir: _autoheal.DataDir);
        foreach (var (k, v) in _autoheal.Settings)
        {
            again.Settings[k] = v;
        }

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
        var name = _docker.Name("midheal");
        await _docker.StartAsync(name, CrashOnce, _autoheal.OptIn);
        await _autoheal.WaitForLogAsync($"/{name}: Restarting", Soon);
        await _autoheal.StopAsync();

        var again = new AutoHealProcess(_docker, dataDir: _autoheal.DataDir);
        await using (again)
        {
            await again.StartAsync();
            await Eventually.HoldsAsync(async () => await EventLog.CountAsync(again.DataDir, name, EventKind.Healed) == 1, Soon, "the heal to complete");
            Assert.Equal(1, await EventLog.CountAsync(again.DataDir, name, EventKind.Restarting));
            Assert.Equal("running", await DockerCli.StateAsync(name));
        }
    }
}
