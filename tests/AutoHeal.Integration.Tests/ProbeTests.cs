using System.Net;
using System.Net.Sockets;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// Custom health checks (HTTP, TCP, exec) for containers without a HEALTHCHECK, on the real engine.
/// Servers run in test containers with host networking bound to 127.0.0.1: traffic stays on loopback.
/// </summary>
public sealed class ProbeTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(30);

    // First run: serves /ok for a second, then 404s (its file is removed). After a restart: keeps serving.
    private static string HttpServerFailingOnce(int port) =>
        $"mkdir -p /www; echo ok > /www/ok; if [ ! -f /failed-once ]; then touch /failed-once; (sleep 1; rm -f /www/ok) & fi; exec httpd -f -p 127.0.0.1:{port} -h /www";

    [Fact]
    public async Task An_http_check_defined_through_the_api_turns_a_container_unhealthy_and_it_is_healed()
    {
        var port = Loopback.FreePort();
        var name = Docker.Name("probe-http");
        await Docker.StartAsync(name, HttpServerFailingOnce(port), [.. Autoheal.OptIn, "--network", "host"]);
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
        var scheduled = (await Api.GetEventsAsync(container: name, kind: "heal_scheduled")).Items.Single();
        Assert.True(scheduled.Message.Contains($"http GET http://127.0.0.1:{port}/ok answered 404 (expected 200)", StringComparison.Ordinal), scheduled.Message);
        Assert.Equal("unhealthy", scheduled.Reason);
        using var http = new HttpClient();
        Assert.Equal("ok\n", await http.GetStringAsync(new Uri($"http://127.0.0.1:{port}/ok"))); // serving again
        // Checked again since the restart, and healthy: the check was failing until then, so it says so once.
        await Autoheal.WaitForLogAboutAsync(name, "custom health check passing", Soon, Autoheal.LineAbout(name, "Restarting:"));
        Assert.Single((await Api.GetEventsAsync(container: name, kind: "restarting")).Items); // no second heal
    }

    [Fact]
    public async Task Tcp_and_exec_checks_from_labels_heal_their_containers()
    {
        var port = Loopback.FreePort();
        var tcp = Docker.Name("probe-tcp");
        var exec = Docker.Name("probe-exec");
        // TCP: listens until the test stops its server, which only its first run's is. Exec: passes until the test removes /tmp/ok.
        // A label-defined TCP check on loopback runs only once the container listens there: the test waits for both to pass first.
        await Docker.StartAsync(tcp, $"mkdir -p /www; httpd -f -p 127.0.0.1:{port} -h /www & echo $! > /httpd.pid; exec sleep 1000",
            [.. Autoheal.OptIn, "--network", "host", "--label", "autoheal.check.type=tcp", "--label", "autoheal.check.host=127.0.0.1",
             "--label", $"autoheal.check.port={port}", "--label", "autoheal.check.interval=1s", "--label", "autoheal.check.retries=2"]);
        await Docker.StartAsync(exec, "touch /tmp/ok; exec sleep 1000",
            [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=test -f /tmp/ok && echo fine || { echo missing /tmp/ok; exit 3; }",
             "--label", "autoheal.check.interval=1s", "--label", "autoheal.check.retries=2"]);
        await Autoheal.WaitForLogAboutAsync(tcp, "custom health check passing", Soon);
        await Autoheal.WaitForLogAboutAsync(exec, "custom health check passing", Soon);

        await DockerCli.RunAsync("exec", tcp, "sh", "-c", "kill $(cat /httpd.pid)");
        await DockerCli.RunAsync("exec", exec, "rm", "/tmp/ok");
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: tcp, kind: "healed")).Items.Count == 1
            && (await Api.GetEventsAsync(container: exec, kind: "healed")).Items.Count == 1, Soon, "both heals");

        var tcpScheduled = (await Api.GetEventsAsync(container: tcp, kind: "heal_scheduled")).Items.Single();
        Assert.Contains($"tcp 127.0.0.1:{port} failed", tcpScheduled.Message, StringComparison.Ordinal);
        var execScheduled = (await Api.GetEventsAsync(container: exec, kind: "heal_scheduled")).Items.Single();
        Assert.Contains("exited 3: missing /tmp/ok", execScheduled.Message, StringComparison.Ordinal);
        var metrics = await Autoheal.GetTextAsync("/metrics");
        Assert.Contains("autoheal_health_checks_failed_total{kind=\"tcp\"}", metrics, StringComparison.Ordinal);
        Assert.Contains("autoheal_health_checks_failed_total{kind=\"exec\"}", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failures_in_the_start_period_do_not_count()
    {
        var name = Docker.Name("probe-start");
        // Not ready for its first two seconds: a start period of 4 s covers it, so it is never healed.
        await Docker.StartAsync(name, "rm -f /tmp/ready; (sleep 2; touch /tmp/ready) & exec sleep 1000",
            [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=test -f /tmp/ready",
             "--label", "autoheal.check.interval=1s", "--label", "autoheal.check.retries=1", "--label", "autoheal.check.start_period=4s"]);
        var other = Docker.Name("probe-nostart");
        await Docker.StartAsync(other, "rm -f /tmp/ready; (sleep 2; touch /tmp/ready) & exec sleep 1000",
            [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec", "--label", "autoheal.check.command=test -f /tmp/ready",
             "--label", "autoheal.check.interval=1s", "--label", "autoheal.check.retries=1"]);

        // Without a start period the same container is taken for unhealthy: the control case.
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: other, kind: "heal_scheduled")).Items.Count >= 1, Soon, "the control container's heal");
        // Its checks failed for two seconds, then pass: had a failure counted, it would have been healed before this.
        await Autoheal.WaitForLogAboutAsync(name, "custom health check passing", Soon);
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
        var name = Docker.Name("probe-hung");
        await Docker.StartAsync(name, "exec sleep 1000", Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");
        // Aimed at the test's own listener, not at the container: only a check defined through the API may be.
        await Api.CreateHealthCheckAsync(new HealthCheckDefinition
        {
            ContainerId = name,
            CheckType = "http",
            HttpEndpoint = $"http://127.0.0.1:{port}/",
            HttpExpectedStatus = 200,
            IntervalSeconds = 1,
            TimeoutSeconds = 0.5,
            Retries = 2,
        });

        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "heal_scheduled")).Items.Count >= 1, Soon, "the timeout to count as a failure");

        var scheduled = (await Api.GetEventsAsync(container: name, kind: "heal_scheduled")).Items[^1];
        Assert.Contains($"http GET http://127.0.0.1:{port}/ did not answer within 0.5s", scheduled.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        held.ForEach(c => c.Dispose());
    }

    [Fact]
    public async Task A_bad_check_label_is_reported_by_name_and_the_api_definition_wins_over_labels()
    {
        var bad = Docker.Name("probe-badlabel");
        var overridden = Docker.Name("probe-override");
        await Docker.StartAsync(bad, "exec sleep 1000", [.. Autoheal.OptIn, "--label", "autoheal.check.type=tcp", "--label", "autoheal.check.host=127.0.0.1", "--label", "autoheal.check.port=http"]);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: bad, kind: "label_invalid")).Items.Count == 1, Soon, "the bad label to be reported");
        Assert.Contains("autoheal.check.port=http", (await Api.GetEventsAsync(container: bad, kind: "label_invalid")).Items[0].Message, StringComparison.Ordinal);

        // Its labels define a check that always fails (after a start period that leaves time to define another).
        await Docker.StartAsync(overridden, "exec sleep 1000", [.. Autoheal.OptIn, "--label", "autoheal.check.type=exec",
            "--label", "autoheal.check.command=exit 1", "--label", "autoheal.check.interval=1s", "--label", "autoheal.check.retries=1", "--label", "autoheal.check.start_period=3s"]);
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
        await Autoheal.WaitForLogAboutAsync(overridden, "custom health check exec 'exit 0' (from api) started", Soon);
        await Autoheal.WaitForLogAboutAsync(overridden, "custom health check passing", Soon);
        Assert.Empty((await Api.GetEventsAsync(container: overridden, kind: "heal_scheduled")).Items);
        Assert.Single((await Api.GetEventsAsync(container: bad, kind: "label_invalid")).Items); // reported once, not at every pass since
        Assert.Equal("running", await DockerCli.StateAsync(bad));
    }
}
