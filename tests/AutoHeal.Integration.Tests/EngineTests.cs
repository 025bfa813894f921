using System.Diagnostics;
using System.Net;

namespace AutoHeal.Integration.Tests;

/// <summary>autoheal without an engine, and with one that restarts under it.</summary>
[Collection(EngineCollection.Name)]
public sealed class EngineTests(EngineFixture engine)
{
    private readonly DockerCli _docker = engine.Docker;

    [Fact]
    public async Task Started_without_an_engine_it_says_so_in_one_line_and_keeps_trying()
    {
        var socket = $"unix:///tmp/{_docker.RunId}-no-engine.sock";
        await using var autoheal = new AutoHealProcess(_docker, new Dictionary<string, string> { ["AutoHeal:Docker:Endpoint"] = socket });
        await autoheal.StartAsync(waitForEngine: false);

        await autoheal.WaitForLogAsync($"Docker engine unreachable at {socket}", TimeSpan.FromSeconds(10));
        // It tried again twice since (retries at 1 s, 2 s, 4 s...), quietly.
        await Eventually.HoldsAsync(() => Task.FromResult(autoheal.Lines.Count(l => l.Contains("Docker engine still unreachable", StringComparison.Ordinal)) >= 2),
            TimeSpan.FromSeconds(15), "two more tries");

        Assert.Null(autoheal.ExitCode);
        Assert.Single(autoheal.Lines, l => l.Contains("Docker engine unreachable at", StringComparison.Ordinal));
        Assert.DoesNotContain(autoheal.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
        using var http = new HttpClient();
        var health = await http.GetAsync(new Uri(autoheal.BaseAddress, "/health"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Contains("\"docker_reachable\":false", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [SkippableFact]
    public async Task When_the_engine_restarts_autoheal_reconnects_and_heals_again()
    {
        Skip.IfNot(Environment.GetEnvironmentVariable("AUTOHEAL_TEST_ENGINE_RESTART") == "1",
            "stops and restarts dockerd: runs only where scripts/test started the engine itself (AUTOHEAL_TEST_ENGINE_RESTART=1)");

        await using var autoheal = new AutoHealProcess(_docker);
        await autoheal.StartAsync();
        var name = _docker.Name("survivor");
        await _docker.StartAsync(name, DockerCli.CrashOnTrigger, autoheal.OptIn);

        // Only the default engine (its pidfile), never another dockerd on this machine.
        var pid = (await File.ReadAllTextAsync("/var/run/docker.pid")).Trim();
        await Run("kill", "-TERM", pid);
        await Eventually.HoldsAsync(() => Task.FromResult(!Directory.Exists($"/proc/{pid}")), TimeSpan.FromSeconds(60), "dockerd to exit");
        await autoheal.WaitForLogAsync("Docker engine unreachable", TimeSpan.FromSeconds(15));
        using var http = new HttpClient();
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync(new Uri(autoheal.BaseAddress, "/health"))).StatusCode);

        var before = autoheal.Lines.Count;
        await Run(Path.Combine(RepoRoot(), "scripts", "docker-engine"));
        await autoheal.WaitForLogAsync("Connected to the Docker engine", TimeSpan.FromSeconds(40), from: before);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(new Uri(autoheal.BaseAddress, "/health"))).StatusCode);

        // The engine stopped the container on its way down: that stop was the engine's, not a crash.
        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal(0, await EventLog.CountAsync(autoheal.DataDir, name, EventKind.Restarting));

        await DockerCli.RunAsync("start", name);
        await Eventually.HoldsAsync(async () => await DockerCli.StateAsync(name) == "running", TimeSpan.FromSeconds(10), "started");
        await DockerCli.TriggerCrashAsync(name);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(autoheal.DataDir, name, EventKind.Healed) == 1, TimeSpan.FromSeconds(20), "a crash after the reconnect to be healed");

        var events = await EventLog.ReadAsync(autoheal.DataDir);
        Assert.Contains(events, e => e.Kind == EventKind.EngineDown);
        Assert.True(events.Count(e => e.Kind == EventKind.EngineUp) >= 2);
        Assert.DoesNotContain(autoheal.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "scripts", "docker-engine")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("repository root not found");
    }

    private static async Task Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} failed ({p.ExitCode}): {await output} {await errors}");
        }
    }
}

/// <summary>Bad settings stop autoheal at start with the key named.</summary>
[Collection(EngineCollection.Name)]
public sealed class ConfigurationTests(EngineFixture engine)
{
    [Theory]
    [InlineData("AutoHeal:Restart:CooldownSeconds", "-1", "AutoHeal:Restart:CooldownSeconds must be between 0 and 86400")]
    [InlineData("AutoHeal:Restart:Mode", "sometimes", "AutoHeal:Restart:Mode must be one of both, on-failure, health")]
    [InlineData("AutoHeal:Restart:MaxRestarts", "lots", "AutoHeal:Restart:MaxRestarts")]
    [InlineData("AutoHeal:Restart:Cooldown", "5", "AutoHeal:Restart:Cooldown is not a known setting")]
    [InlineData("AutoHeal:Monitor:IntervalSeconds", "0", "AutoHeal:Monitor:IntervalSeconds must be between 1 and 3600")]
    [InlineData("AutoHeal:Docker:HostName", "bad host", "AutoHeal:Docker:HostName must be letters")]
    [InlineData("AutoHeal:Docker:Endpoint", "/var/run/docker.sock", "AutoHeal:Docker:Endpoint must be a unix://")]
    public async Task A_bad_setting_stops_autoheal_at_start_naming_the_key(string key, string value, string message)
    {
        await using var autoheal = new AutoHealProcess(engine.Docker, new Dictionary<string, string> { [key] = value });
        await autoheal.StartAsync(waitForEngine: false);
        await autoheal.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(2, autoheal.ExitCode);
        Assert.Contains(autoheal.Lines, l => l.Contains(message, StringComparison.Ordinal));
        Assert.False(File.Exists(Path.Combine(autoheal.DataDir, "autoheal.db")), "nothing may start on bad settings");
    }

    [Fact]
    public async Task A_port_already_in_use_stops_autoheal_with_one_clear_line()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        var port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        await using var autoheal = new AutoHealProcess(engine.Docker);

        await autoheal.StartAsync(waitForEngine: false, port: port);
        await autoheal.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(2, autoheal.ExitCode);
        Assert.Contains(autoheal.Lines, l => l.Contains($"autoheal: Failed to bind to address http://127.0.0.1:{port}: address already in use", StringComparison.Ordinal));
        Assert.DoesNotContain(autoheal.Lines, l => l.Contains("Unhandled exception", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_data_folder_that_cannot_be_used_stops_autoheal_naming_it()
    {
        await using var autoheal = new AutoHealProcess(engine.Docker, new Dictionary<string, string> { ["AutoHeal:DataDir"] = "/proc/version/data" });
        await autoheal.StartAsync(waitForEngine: false);
        await autoheal.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.Equal(2, autoheal.ExitCode);
        Assert.Contains(autoheal.Lines, l => l.Contains("cannot use the data folder '/proc/version/data' (AutoHeal:DataDir)", StringComparison.Ordinal));
        Assert.DoesNotContain(autoheal.Lines, l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Settings_come_from_the_environment_too()
    {
        await using var autoheal = new AutoHealProcess(engine.Docker);
        Environment.SetEnvironmentVariable("AutoHeal__Restart__BackoffMultiplier", "99");
        try
        {
            await autoheal.StartAsync(waitForEngine: false);
            await autoheal.WaitForExitAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            Environment.SetEnvironmentVariable("AutoHeal__Restart__BackoffMultiplier", null);
        }

        Assert.Equal(2, autoheal.ExitCode);
        Assert.Contains(autoheal.Lines, l => l.Contains("AutoHeal:Restart:BackoffMultiplier must be between 1 and 10", StringComparison.Ordinal));
    }
}
