namespace AutoHeal.Integration.Tests;

/// <summary>
/// AutoHeal behind a socket proxy that allows less than the whole Docker API (as Tecnativa's docker-socket-proxy with a
/// narrow profile): at start it asks what the engine refuses and says so in one log line, in <c>GET /api/status</c> and
/// on the dashboard, and without restart it is notify-only instead of failing at every heal. A proxy on loopback in
/// front of the real socket answers 403 to what the test refuses.
/// </summary>
public sealed class EngineAccessTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Behind_a_proxy_that_refuses_restart_and_exec_it_says_so_at_start_and_only_tells_of_a_crash()
    {
        await using var proxy = new DockerSocketProxy();
        proxy.Refuse(line => line.StartsWith("POST ", StringComparison.Ordinal) && (line.Contains("/restart", StringComparison.Ordinal) || line.Contains("/exec", StringComparison.Ordinal)));
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Docker:Endpoint"] = proxy.Endpoint });

        await Autoheal.WaitForLogAsync("refuses part of what AutoHeal does: restart refused by the engine (403 Forbidden): notify-only", Soon);
        var line = Autoheal.Lines.Single(l => l.Contains("refuses part of what AutoHeal does", StringComparison.Ordinal));
        Assert.Contains("exec refused by the engine (403 Forbidden): exec health checks cannot run", line, StringComparison.Ordinal);
        Assert.DoesNotContain("logs refused", line, StringComparison.Ordinal);
        var status = await Api.GetStatusAsync();
        Assert.Equal(["restart", "exec"], status.Engine.Refused.Select(r => r.Action));
        Assert.Equal("notify-only: failures are recorded and notified, never healed", status.Engine.Refused[0].Effect);
        Assert.True(status.Engine.Reachable);

        var name = Docker.Name("access-crash");
        await Docker.StartAsync(name, DockerCli.CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name && c.Status == "running"), Soon, "the container listed");
        var asked = proxy.Refused.Count; // the start's questions, each about a container that does not exist
        await DockerCli.TriggerCrashAsync(name);

        var held = await Eventually.ValueAsync(async () => (await Api.GetEventsAsync(container: name, kind: "skipped")).Items is [var first, ..] ? first : null,
            Soon, "the crash recorded and not healed");
        Assert.Contains("crashed with exit code 9", held.Message, StringComparison.Ordinal);
        Assert.Contains("not healed now: restart refused by the engine (notify-only)", held.Message, StringComparison.Ordinal);
        Assert.Equal("exited", await DockerCli.StateAsync(name));
        Assert.Equal(asked, proxy.Refused.Count); // no restart was even tried
        Assert.Empty((await Api.GetEventsAsync(container: name, kind: "heal_failed")).Items);
        Assert.All(proxy.Refused, r => Assert.Contains("autoheal-access-check-", r, StringComparison.Ordinal));

        // Nor through the API: a manual restart is refused at once, in those words, and recorded as nothing.
        var manual = await Assert.ThrowsAnyAsync<Refit.ApiException>(() => Api.RestartAsync(name));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, manual.StatusCode);
        Assert.Contains($"The Docker engine refuses restarts (403 Forbidden): AutoHeal is notify-only on local, and {name} was not restarted", manual.Content, StringComparison.Ordinal);
        Assert.Equal(asked, proxy.Refused.Count);
        Assert.Empty((await Api.GetEventsAsync(container: name, kind: "heal_scheduled,restarting,heal_failed")).Items);
    }

    [Fact]
    public async Task Before_the_whole_socket_it_says_in_one_line_that_everything_is_allowed()
    {
        await Autoheal.WaitForLogAsync("allows everything AutoHeal does (list, inspect, events, restart, logs, exec, create)", Soon);

        Assert.Empty((await Api.GetStatusAsync()).Engine.Refused);
        // The question about creating created nothing.
        Assert.Empty(await DockerCli.RunAsync("ps", "-aq", "--filter", "name=autoheal-access-check-"));
    }
}
