namespace AutoHeal.Integration.Tests;

/// <summary>
/// The heartbeat (<c>heartbeat.url</c>): AutoHeal calls a dead-man's switch on 127.0.0.1 at its interval while it is
/// healthy, keeps the URL secret in reads, and stops calling when it is not healthy.
/// </summary>
public sealed class HeartbeatTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);
    private readonly WebhookReceiver _receiver = new();

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        _receiver.Dispose();
    }

    [Fact]
    public async Task A_healthy_autoheal_calls_its_heartbeat_at_its_interval_and_keeps_the_url_secret()
    {
        var url = _receiver.Url("ping/secret-check-uuid");

        var saved = await Api.PutConfigAsync(new { heartbeat = new { url, interval_seconds = 1 } });
        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Delivered.Count(p => p == "/ping/secret-check-uuid") >= 3), Soon, "three heartbeats");

        Assert.Equal($"http://127.0.0.1:{_receiver.Port}/***", saved.Heartbeat.Url); // masked in the answer
        Assert.Equal($"http://127.0.0.1:{_receiver.Port}/***", (await Api.GetConfigAsync()).Heartbeat.Url);
        var exported = await (await Api.ExportConfigAsync()).Content.ReadAsStringAsync();
        Assert.DoesNotContain("secret-check-uuid", exported, StringComparison.Ordinal);
        Assert.DoesNotContain(Autoheal.Lines, l => l.Contains("secret-check-uuid", StringComparison.Ordinal)); // nor in the log

        // The masked read sent back keeps the stored URL: the heartbeats go on.
        await Api.PutConfigAsync(new { heartbeat = new { url = saved.Heartbeat.Url, interval_seconds = 1 } });
        var before = _receiver.Delivered.Count;
        await Eventually.HoldsAsync(() => Task.FromResult(_receiver.Delivered.Count >= before + 2), Soon, "heartbeats after the masked URL came back");
        Assert.All(_receiver.Paths, p => Assert.Equal("/ping/secret-check-uuid", p));
    }

    [Theory]
    [InlineData("""{"heartbeat": {"url": "ftp://example.test/x"}}""", "heartbeat.url")]
    [InlineData("""{"heartbeat": {"url": "http://127.0.0.1:9/***"}}""", "heartbeat.url")] // masked, with nothing stored behind it
    [InlineData("""{"heartbeat": {"url": "http://127.0.0.1:9/x", "interval_seconds": 0}}""", "heartbeat.interval_seconds")]
    public async Task A_bad_heartbeat_is_refused_naming_its_field(string body, string field)
    {
        using var http = Autoheal.AuthorizedHttp();
        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");

        using var answer = await http.PutAsync(new Uri("/api/config", UriKind.Relative), content);

        Assert.Equal(System.Net.HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Contains(field, await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Null((await Api.GetConfigAsync()).Heartbeat.Url);
    }

    [Fact]
    public async Task An_autoheal_that_cannot_reach_its_engine_sends_no_heartbeat_and_says_why()
    {
        var socket = $"unix:///tmp/{Docker.RunId}-no-engine-beat.sock";
        await using var sick = new AutoHealProcess(Docker, new Dictionary<string, string>
        {
            ["AutoHeal:Docker:Endpoint"] = socket,
        });
        await sick.StartAsync(waitForEngine: false);
        await sick.Api.PutConfigAsync(new { heartbeat = new { url = _receiver.Url("sick"), interval_seconds = 1 } });

        await sick.WaitForLogAsync("heartbeat to http://127.0.0.1", Soon); // its own word that it held the call back
        await Eventually.HoldsAsync(() => Task.FromResult(sick.Lines.Any(l => l.Contains("not sent: the Docker engine does not answer", StringComparison.Ordinal))), Soon, "the reason");

        Assert.DoesNotContain("/sick", _receiver.Paths);
    }
}
