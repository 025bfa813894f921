using System.Net;
using System.Net.Sockets;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// Custom health checks (HTTP, TCP, exec) for containers without a HEALTHCHECK, on the real engine.
/// Servers run in test containers with host networking bound to 127.0.0.1: traffic stays on loopback.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ProbeTests(EngineFixture engine) : IAsyncLifetime
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);
    private readonly DockerCli _docker = engine.Docker;
    private AutoHealProcess _autoheal = null!;

    public async Task InitializeAsync()
    {
        _autoheal = new AutoHealProcess(_docker);
        await _autoheal.StartAsync();
    }

    public async Task DisposeAsync() => await _autoheal.DisposeAsync();

    private IAutoHealApi Api => _autoheal.Api;

    // First run: serves /ok for a second, then 404s (its file is removed). After a restart: keeps serving.
    private static string HttpServerFailingOnce(int port) =>
        $"mkdir -p /www; echo ok > /www/ok; if [ ! -f /failed-once ]; then touch /failed-once; (sleep 1; rm -f /www/ok) & fi; exec httpd -f -p 127.0.0.1:{port} -h /www";

    [Fact]
    public async Task An_http_check_defined_through_the_api_turns_a_container_unhealthy_and_it_is_healed()
    {
        var port = FreePort();
        var name = _docker.Name("probe-http");
        await _docker.StartAsync(name, HttpServerFailingOnce(port), [.. _autoheal.OptIn, "--network", "host"]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");

        await Api.CreateHealthCheckAsync(new HealthCheckDefinition
        {
            ContainerId = name,
            CheckType = "http",
            HttpEndpoint = $"http://127.0.0.1:{port}/ok",
            HttpBodyContains = "ok",
            IntervalSeconds = 1,
            TimeoutSeconds = 1,
            Retries = 2,
        });

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count == 1, Soon, "the heal");
        var healedAt = _autoheal.Lines.Count;
        var scheduled = (await Api.GetEventsAsync(container: name, kind: "heal_scheduled")).Items.Single();
        Assert.True(scheduled.Message.Contains($"http GET http://127.0.0.1:{port}/ok answered 404 (expected 200)", StringComparison.Ordinal), scheduled.Message);
        Assert.Equal("unhealthy", scheduled.Reason);
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/ok"))); // serving again
        await _autoheal.WaitForLogAboutAsync(name, "custom health check passing", Soon, healedAt); // checked again since, and healthy
        Assert.Single((await Api.GetEventsAsync(container: name, kind: "restarting")).Items); // no second heal
    }

    [Fact]
    public async Task Tcp_and_exec_checks_from_labels_heal_their_containers()
    {
        var port = FreePort();
        var tcp = _docker.Name("probe-tcp");
        var exec = _docker.Name("probe-exec");
        // TCP: listens for a second on its first run, then stops listening. Exec: /tmp/ok goes away after a second, once.
        await _docker.StartAsync(tcp,
            $"mkdir -p /www; httpd -f -p 127.0.0.1:{port} -h /www & pid=$!; if [ ! -f /failed-once ]; then touch /failed-once; sleep 1; kill $pid; fi; exec sleep 1000",
            [.. _autoheal.OptIn, "--network", "host", "--label", "autoheal.check.type=tcp", "--label", "autoheal.check.host=127.0.0.1",
             "--label", $"autoheal.check.port={port}", "--label", "autoheal.check.interval=500ms", "--label", "autoheal.check.retries=2"]);
        await _docker.StartAsync(exec,
            "touch /tmp/ok; if [ ! -f /failed-once ]; then touch /failed-once; sleep 1; rm /tmp/ok; fi; exec sleep 1000",
            [.. _autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=test -f /tmp/ok && echo fine || { echo missing /tmp/ok; exit 3; }",
             "--label", "autoheal.check.interval=500ms", "--label", "autoheal.check.retries=2"]);

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: tcp, kind: "healed")).Items.Count == 1
            && (await Api.GetEventsAsync(container: exec, kind: "healed")).Items.Count == 1, Soon, "both heals");

        var tcpScheduled = (await Api.GetEventsAsync(container: tcp, kind: "heal_scheduled")).Items.Single();
        Assert.Contains($"tcp 127.0.0.1:{port} failed", tcpScheduled.Message, StringComparison.Ordinal);
        var execScheduled = (await Api.GetEventsAsync(container: exec, kind: "heal_scheduled")).Items.Single();
        Assert.Contains("exited 3: missing /tmp/ok", execScheduled.Message, StringComparison.Ordinal);
        var metrics = await _autoheal.GetTextAsync("/metrics");
        Assert.Contains("autoheal_health_checks_failed_total{kind=\"tcp\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("autoheal_health_checks_failed_total{kind=\"exec\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_in_the_start_period_do_not_count()
    {
        var name = _docker.Name("probe-start");
        // Not ready for its first two seconds: a start period of 4 s covers it, so it is never healed.
        await _docker.StartAsync(name, "rm -f /tmp/ready; (sleep 2; touch /tmp/ready) & exec sleep 1000",
            [.. _autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=test -f /tmp/ready",
             "--label", "autoheal.check.interval=300ms", "--label", "autoheal.check.retries=1", "--label", "autoheal.check.start_period=4s"]);
        var other = _docker.Name("probe-nostart");
        await _docker.StartAsync(other, "rm -f /tmp/ready; (sleep 2; touch /tmp/ready) & exec sleep 1000",
            [.. _autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=test -f /tmp/ready",
             "--label", "autoheal.check.interval=300ms", "--label", "autoheal.check.retries=1"]);

        // Without a start period the same container is taken for unhealthy: the control case.
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: other, kind: "heal_scheduled")).Items.Count >= 1, Soon, "the control container's heal");
        // Its checks failed for two seconds, then pass: had a failure counted, it would have been healed before this.
        await _autoheal.WaitForLogAboutAsync(name, "custom health check passing", Soon);
        Assert.DoesNotContain((await Api.GetEventsAsync(container: name)).Items, e => e.Kind is "heal_scheduled" or "restarting");
    }

    [Fact]
    public async Task A_hung_endpoint_times_out_as_a_failure()
    {
        // Accepts connections and never answers.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var held = new List<TcpClient>();
        using var stop = new CancellationTokenSource();
        var accepting = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                held.Add(await listener.AcceptTcpClientAsync(stop.Token));
            }
        });
        var name = _docker.Name("probe-hung");
        await _docker.StartAsync(name, "exec sleep 1000", [.. _autoheal.OptIn, "--label", "autoheal.check.type=http",
            "--label", $"autoheal.check.url=http://127.0.0.1:{port}/", "--label", "autoheal.check.timeout=500ms",
            "--label", "autoheal.check.interval=500ms", "--label", "autoheal.check.retries=2"]);

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "heal_scheduled")).Items.Count >= 1, Soon, "the timeout to count as a failure");

        var scheduled = (await Api.GetEventsAsync(container: name, kind: "heal_scheduled")).Items[^1];
        Assert.Contains($"http GET http://127.0.0.1:{port}/ did not answer within 0.5s", scheduled.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        held.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_bad_check_label_is_reported_by_name_and_the_api_definition_wins_over_labels()
    {
        var bad = _docker.Name("probe-badlabel");
        var overridden = _docker.Name("probe-override");
        await _docker.StartAsync(bad, "exec sleep 1000", [.. _autoheal.OptIn, "--label", "autoheal.check.type=tcp", "--label", "autoheal.check.host=127.0.0.1", "--label", "autoheal.check.port=http"]);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: bad, kind: "label_invalid")).Items.Count == 1, Soon, "the bad label to be reported");
        Assert.Contains("autoheal.check.port=http", (await Api.GetEventsAsync(container: bad, kind: "label_invalid")).Items[0].Message, StringComparison.Ordinal);

        // Its labels define a check that always fails (after a start period that leaves time to define another).
        await _docker.StartAsync(overridden, "exec sleep 1000", [.. _autoheal.OptIn, "--label", "autoheal.check.type=exec",
            "--label", "autoheal.check.command=exit 1", "--label", "autoheal.check.interval=300ms", "--label", "autoheal.check.retries=1", "--label", "autoheal.check.start_period=3s"]);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == overridden), Soon, "listed");
        await Api.CreateHealthCheckAsync(new HealthCheckDefinition
        {
            ContainerId = overridden,
            CheckType = "exec",
            ExecCommand = "exit 0",
            IntervalSeconds = 1,
            TimeoutSeconds = 1,
            Retries = 1,
        });

        // The API's check runs instead of the labels', and passes: AutoHeal's own word, in its log.
        await _autoheal.WaitForLogAboutAsync(overridden, "custom health check exec 'exit 0' (from api) started", Soon);
        await _autoheal.WaitForLogAboutAsync(overridden, "custom health check passing", Soon);
        Assert.Empty((await Api.GetEventsAsync(container: overridden, kind: "heal_scheduled")).Items);
        Assert.Single((await Api.GetEventsAsync(container: bad, kind: "label_invalid")).Items); // reported once, not at every pass since
        Assert.Equal("running", await DockerCli.StateAsync(bad));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
