using AutoHeal.Domain.Probes;

namespace AutoHeal.Domain.Tests.Probes;

/// <summary>A check from a container's labels reaches that container and nothing else.</summary>
public sealed class ProbeTargetsTests
{
    private static readonly ContainerInfo Bridged = new()
    {
        Host = "local",
        Id = "c1",
        Name = "web",
        ImageId = "sha256:i",
        NetworkMode = "bridge",
        Addresses = ["127.0.0.5", "::ffff:127.0.0.5"], // loopback stand-ins for its own addresses: no test names another
        LoopbackPorts = [8080],
    };

    private static readonly ContainerInfo OnHostNetwork = Bridged with { NetworkMode = "host", Addresses = [], LoopbackPorts = [] };

    private static ProbeSpec Http(string url) => new() { Kind = ProbeKind.Http, Url = url };

    private static ProbeSpec Tcp(string host, int port) => new() { Kind = ProbeKind.Tcp, Host = host, Port = port };

    private static Task<LabelProblem?> CheckAsync(ProbeSpec spec, ContainerInfo c, IReadOnlySet<int>? listening = null, bool loopbackIsHost = true) =>
        ProbeTargets.CheckAsync(spec, c, loopbackIsHost, () => Task.FromResult(listening));

    [Fact]
    public async Task When_autoheal_runs_in_a_network_of_its_own_loopback_is_its_own_and_no_label_reaches_it()
    {
        // AutoHeal in a container (its API on 8080, a Dapr sidecar on 3500): a container publishing 3500 on the host must not
        // make 127.0.0.1:3500 "its own".
        var publishing = Bridged with { LoopbackPorts = [3500] };

        var problem = await CheckAsync(Http("http://127.0.0.1:3500/v1.0/invoke/autoheal-watcher-local/method/containers/db/logs"), publishing, loopbackIsHost: false);

        Assert.Contains("loopback is AutoHeal's, not the host's", problem!.Problem);
        Assert.Contains("127.0.0.5", problem.Problem); // where to point it instead
        Assert.Null(await CheckAsync(Http("http://127.0.0.5:80/"), publishing, loopbackIsHost: false));
    }

    [Theory]
    [InlineData("http://127.0.0.5:9000/health")] // its own address, any port
    [InlineData("http://[::ffff:127.0.0.5]/health")]
    [InlineData("http://127.0.0.1:8080/health")] // a port it publishes on the host
    [InlineData("http://localhost:8080/")]
    [InlineData("http://[::1]:8080/")]
    public async Task A_check_at_the_container_itself_may_run(string url)
    {
        Assert.Null(await CheckAsync(Http(url), Bridged));
    }

    [Theory]
    [InlineData("http://neighbour:8080/", "must point at the container itself")] // a neighbour
    [InlineData("http://docker-proxy:2375/containers/other/kill", "must point at the container itself")] // a socket proxy
    [InlineData("http://db.example:5432/", "must point at the container itself")] // a name could resolve anywhere
    [InlineData("http://127.0.0.1:3500/v1.0/invoke/autoheal-watcher-local/method/watcher/restart", "port 3500 on loopback is not one the container publishes")] // the Dapr sidecar
    [InlineData("http://127.0.0.1:8081/", "port 8081 on loopback is not one the container publishes")]
    public async Task A_check_aimed_anywhere_else_is_refused_naming_the_label(string url, string why)
    {
        var problem = await CheckAsync(Http(url), Bridged);

        Assert.Equal(("autoheal.check.url", url), (problem!.Label, problem.Value));
        Assert.Contains(why, problem.Problem);
        Assert.EndsWith("a check aimed anywhere else must be defined through the API", problem.Problem);
    }

    [Fact]
    public async Task On_the_hosts_network_a_container_may_be_checked_on_the_loopback_ports_its_processes_listen_on()
    {
        Assert.Null(await CheckAsync(Tcp("127.0.0.1", 5432), OnHostNetwork, new HashSet<int> { 5432 }));
        Assert.Contains("port 2375 on loopback is not one the container listens on",
            (await CheckAsync(Tcp("127.0.0.1", 2375), OnHostNetwork, new HashSet<int> { 5432 }))!.Problem);
        Assert.Contains("AutoHeal cannot see which ports this host-network container listens on",
            (await CheckAsync(Tcp("127.0.0.1", 5432), OnHostNetwork, listening: null))!.Problem);
        Assert.Equal("autoheal.check.host", (await CheckAsync(Tcp("127.0.0.1", 2375), OnHostNetwork, new HashSet<int>()))!.Label);
    }

    [Fact]
    public async Task An_exec_check_is_not_a_target_and_is_never_refused_here()
    {
        Assert.Null(await CheckAsync(new ProbeSpec { Kind = ProbeKind.Exec, Command = "true" }, Bridged));
    }
}
