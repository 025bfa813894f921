using System.Diagnostics;
using System.Globalization;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// AutoHeal as its users run it: the image <c>scripts/image</c> builds (<c>autoheal:local</c>, from <c>deploy/Dockerfile</c>),
/// in a container of its own with the Docker socket and a data volume, on the real engine. Host networking, so that its
/// API is on this machine's loopback.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ImageTests(EngineFixture engine) : IAsyncLifetime
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    private readonly DockerCli _docker = engine.Docker;
    private readonly List<string> _volumes = [];
    private string _labelKey = "";

    /// <summary>The image under test.</summary>
    public static string Image => Environment.GetEnvironmentVariable("AUTOHEAL_IMAGE") is { Length: > 0 } i ? i : "autoheal:local";

    public async Task InitializeAsync()
    {
        var (code, _, stderr) = await DockerCli.TryRunAsync("image", "inspect", Image);
        if (code != 0)
        {
            throw new InvalidOperationException($"The image {Image} is missing ({stderr.Trim()}). Run scripts/image (scripts/test does) first.");
        }

        _labelKey = $"{_docker.RunId}-{Guid.NewGuid().ToString("N")[..6]}.heal";
    }

    public async Task DisposeAsync()
    {
        foreach (var volume in _volumes)
        {
            await DockerCli.TryRunAsync("volume", "rm", "-f", volume);
        }
    }

    private string[] OptIn => ["--label", $"{_labelKey}=true"];

    // The engine's socket on this machine: the one DOCKER_HOST names, or the default.
    private static string Socket => Environment.GetEnvironmentVariable("DOCKER_HOST") is { } h && h.StartsWith("unix://", StringComparison.Ordinal)
        ? h["unix://".Length..]
        : "/var/run/docker.sock";

    // A data volume with the run's label, so that a cleanup after an aborted run finds it.
    private async Task<string> NewVolumeAsync()
    {
        var name = _docker.Name($"data-{_volumes.Count}");
        _volumes.Add(name);
        await DockerCli.RunAsync("volume", "create", "--label", $"{_docker.RunLabel}={_docker.RunId}", name);
        return name;
    }

    // The sibling, started, and listed running by AutoHeal: what happens to it from now on is seen.
    private async Task StartSiblingAsync(IAutoHealApi api, string name)
    {
        await _docker.StartAsync(name, DockerCli.CrashOnTrigger, OptIn);
        await Eventually.HoldsAsync(async () => (await api.ListContainersAsync()).Any(c => c.Name == name && c.Status == "running" && c.Monitored),
            Soon, $"{name} listed running and monitored");
    }

    // The output of the newest run of the container's health check.
    private static async Task<string> LastHealthOutputAsync(string name)
    {
        var log = System.Text.Json.JsonDocument.Parse(await DockerCli.InspectAsync(name, "{{json .State.Health.Log}}"));
        return log.RootElement.EnumerateArray().Last().GetProperty("Output").GetString() ?? "";
    }

    /// <summary>
    /// <c>docker run -d</c> of the image as the README shows (socket, data volume), with the tests' short timings and
    /// <paramref name="extra"/> options; returns its API at <paramref name="port"/> (no token: it makes one in its volume).
    /// </summary>
    private Task<string> RunAutoHealAsync(string name, string volume, int port, params string[] extra) =>
        RunAutoHealWithSocketAtAsync(name, volume, port, "/var/run/docker.sock", extra);

    /// <summary>The same, with the engine's socket at <paramref name="socketAt"/> in the container.</summary>
    private async Task<string> RunAutoHealWithSocketAtAsync(string name, string volume, int port, string socketAt, params string[] extra)
    {
        string[] settings =
        [
            $"AutoHeal__Monitor__LabelKey={_labelKey}", "AutoHeal__Restart__CooldownSeconds=0.5", "AutoHeal__Restart__BackoffInitialSeconds=1",
            "AutoHeal__Restart__StopTimeoutSeconds=1", "AutoHeal__Restart__VerifyTimeoutSeconds=10", $"ASPNETCORE_URLS=http://127.0.0.1:{port}",
        ];
        return await DockerCli.RunAsync([
            "run", "-d", "--name", name, "--label", $"{_docker.RunLabel}={_docker.RunId}", "--network", "host",
            "-v", $"{Socket}:{socketAt}", "-v", $"{volume}:/data",
            .. settings.SelectMany(s => new[] { "-e", s }), .. extra, Image,
        ]);
    }

    private static async Task<IAutoHealApi> ApiAsync(string volume, int port)
    {
        var token = await Eventually.ValueAsync(async () =>
        {
            var (code, stdout, _) = await DockerCli.TryRunAsync("run", "--rm", "--network", "none", "-v", $"{volume}:/d", DockerCli.Image, "cat", "/d/api-token");
            return code == 0 && stdout.Trim().Length > 0 ? stdout.Trim() : null;
        }, Soon, "the API token in the data volume");
        var api = AutoHealApiClient.Create(new Uri($"http://127.0.0.1:{port}"), token);
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                return (await api.GetStatusAsync()).Engine.Reachable;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Soon, "autoheal's API in its container, connected to the engine");
        return api;
    }

    private static async Task<string> HealedOnceMoreAsync(IAutoHealApi api, string name)
    {
        var before = (await api.GetEventsAsync(container: name, kind: "healed")).Items.Count;
        await DockerCli.TriggerCrashAsync(name);
        return await Eventually.ValueAsync(async () =>
            (await api.GetEventsAsync(container: name, kind: "healed")).Items is { } healed && healed.Count > before ? healed[0].Message : null,
            Soon, $"{name} healed once more");
    }

    [Fact]
    public async Task In_its_container_it_heals_a_sibling_and_never_itself_even_when_its_own_container_is_unhealthy()
    {
        var port = Loopback.FreePort();
        var self = _docker.Name("img-self");
        var sibling = _docker.Name("img-sibling");
        var volume = await NewVolumeAsync();
        await using var _ = DockerCli.RemoveAtEnd(self);
        // Opted in like any container, and its own health check fails at once (the image has no shell for a CMD-SHELL check).
        await RunAutoHealAsync(self, volume, port, [.. OptIn, "--health-cmd", "exit 1", "--health-interval", "1s", "--health-retries", "1", "--health-start-period", "1s"]);
        var api = await ApiAsync(volume, port);
        await StartSiblingAsync(api, sibling);

        await HealedOnceMoreAsync(api, sibling);
        // AutoHeal has seen its own container unhealthy, and says why it leaves it alone.
        var own = await Eventually.ValueAsync(async () =>
            (await api.ListContainersAsync()).FirstOrDefault(c => c.Name == self && c.Health == "unhealthy"), Soon, "its own container, unhealthy, in its list");
        Assert.False(own.Monitored);
        Assert.Equal("AutoHeal's own container", own.MonitoredReason);
        var startedAt = await DockerCli.StartedAtAsync(self);
        // A heal after that is the sign that it went on deciding: still nothing about itself.
        await HealedOnceMoreAsync(api, sibling);

        Assert.Equal(startedAt, await DockerCli.StartedAtAsync(self));
        Assert.Equal("0", await DockerCli.InspectAsync(self, "{{.RestartCount}}"));
        Assert.Empty((await api.GetEventsAsync(container: self)).Items);
    }

    [Fact]
    public async Task Its_state_survives_docker_rm_f_of_its_container_and_a_new_one_on_the_same_volume()
    {
        var port = Loopback.FreePort();
        var first = _docker.Name("img-first");
        var second = _docker.Name("img-second");
        var sibling = _docker.Name("img-kept");
        var volume = await NewVolumeAsync();
        await using var a = DockerCli.RemoveAtEnd(first);
        await using var b = DockerCli.RemoveAtEnd(second);
        await RunAutoHealAsync(first, volume, port);
        var api = await ApiAsync(volume, port);
        await StartSiblingAsync(api, sibling);
        var healed = await HealedOnceMoreAsync(api, sibling);
        var restarts = (await api.GetContainerAsync(sibling)).Container.RestartCount;

        await DockerCli.RunAsync("rm", "-f", first);
        await RunAutoHealAsync(second, volume, port);
        var again = await ApiAsync(volume, port); // the same token, read from the same volume

        var history = (await again.GetEventsAsync(container: sibling, kind: "healed")).Items;
        Assert.Equal(healed, Assert.Single(history).Message);
        Assert.Equal(restarts, (await again.GetContainerAsync(sibling)).Container.RestartCount);
        await HealedOnceMoreAsync(again, sibling);
    }

    [Fact]
    public async Task Its_own_health_check_is_its_health_endpoint()
    {
        var port = Loopback.FreePort();
        var up = _docker.Name("img-health");
        var cut = _docker.Name("img-noengine");
        await using var a = DockerCli.RemoveAtEnd(up);
        await using var b = DockerCli.RemoveAtEnd(cut);
        // The image's own HEALTHCHECK command, asked every second instead of every 30 s (and its failures counted after 1 s, not 60).
        await RunAutoHealAsync(up, await NewVolumeAsync(), port, "--health-interval", "1s");
        await RunAutoHealAsync(cut, await NewVolumeAsync(), Loopback.FreePort(), "-e", "DOCKER_HOST=unix:///nowhere.sock", "--health-interval", "1s", "--health-retries", "1", "--health-start-period", "1s");

        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(up, "{{.State.Health.Status}}") == "healthy", Soon, "healthy");
        // Its first checks, while it was still starting, found nothing listening: unhealthy once one found its 503.
        await Eventually.HoldsAsync(async () => await DockerCli.InspectAsync(cut, "{{.State.Health.Status}}") == "unhealthy"
            && (await LastHealthOutputAsync(cut)).StartsWith("503 ", StringComparison.Ordinal), Soon, "unhealthy without its engine, its /health answering 503");

        var said = await LastHealthOutputAsync(up);
        Assert.StartsWith("200 {\"status\":\"ok\",\"docker_reachable\":true", said, StringComparison.Ordinal);
        var refused = await LastHealthOutputAsync(cut);
        Assert.StartsWith("503 {\"status\":\"degraded\",\"docker_reachable\":false", refused, StringComparison.Ordinal);
        Assert.Contains("/nowhere.sock", refused, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_DOCKER_HOST_and_the_default_socket_it_finds_rootless_Dockers_socket()
    {
        var port = Loopback.FreePort();
        var name = _docker.Name("img-rootless");
        var volume = await NewVolumeAsync();
        await using var _ = DockerCli.RemoveAtEnd(name);
        // As rootless Docker lays it out: no /var/run/docker.sock, the socket in the user's runtime folder.
        await RunAutoHealWithSocketAtAsync(name, volume, port, "/run/user/1000/docker.sock", "-e", "XDG_RUNTIME_DIR=/run/user/1000");

        var api = await ApiAsync(volume, port);

        Assert.Equal("unix:///run/user/1000/docker.sock", (await api.GetStatusAsync()).Engine.Endpoint);
    }

    [Fact]
    public async Task Docker_stop_ends_it_cleanly_within_the_stop_timeout()
    {
        var port = Loopback.FreePort();
        var name = _docker.Name("img-stop");
        var volume = await NewVolumeAsync();
        await using var _ = DockerCli.RemoveAtEnd(name);
        await RunAutoHealAsync(name, volume, port, "--stop-timeout", "20");
        await ApiAsync(volume, port);

        var clock = Stopwatch.StartNew();
        await DockerCli.RunAsync("stop", name);
        clock.Stop();

        // SIGTERM, not the SIGKILL after 20 s: exit code 0 (137 would be the kill), and the stop did not wait for it.
        Assert.Equal("0 false", await DockerCli.InspectAsync(name, "{{.State.ExitCode}} {{.State.OOMKilled}}"));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"docker stop took {clock.Elapsed.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s");
        var (_, stdout, stderr) = await DockerCli.TryRunAsync("logs", name);
        Assert.DoesNotContain("fail:", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task As_the_images_non_root_user_it_heals_with_the_sockets_group_and_says_what_is_missing_without_it()
    {
        var gid = (await DockerCli.RunAsync("run", "--rm", "--network", "none", "-v", $"{Socket}:/s", DockerCli.Image, "stat", "-c", "%g", "/s")).Trim();
        var port = Loopback.FreePort();
        var member = _docker.Name("img-app");
        var stranger = _docker.Name("img-nogroup");
        var sibling = _docker.Name("img-app-sibling");
        var volume = await NewVolumeAsync();
        await using var a = DockerCli.RemoveAtEnd(member);
        await using var b = DockerCli.RemoveAtEnd(stranger);
        await RunAutoHealAsync(member, volume, port, "--user", "1654:1654", "--group-add", gid);
        await RunAutoHealAsync(stranger, await NewVolumeAsync(), Loopback.FreePort(), "--user", "1654:1654");
        var api = await ApiAsync(volume, port);
        await StartSiblingAsync(api, sibling);

        await HealedOnceMoreAsync(api, sibling);
        var log = await Eventually.ValueAsync(async () =>
        {
            var (_, stdout, stderr) = await DockerCli.TryRunAsync("logs", stranger);
            return (stdout + stderr).Split('\n').FirstOrDefault(l => l.Contains("Permission denied", StringComparison.OrdinalIgnoreCase));
        }, Soon, "the non-root autoheal without the socket's group to say so");
        Assert.Contains("--group-add", log, StringComparison.Ordinal);
        Assert.Contains("group_add", log, StringComparison.Ordinal);
    }
}
