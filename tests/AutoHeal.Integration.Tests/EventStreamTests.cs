using System.Net;

namespace AutoHeal.Integration.Tests;

/// <summary>
/// An event stream gone silent while the engine answers (a socket proxy that lost the connection without closing it):
/// the reconcile sweep catches a change the stream should have carried, /health says so, and AutoHeal reconnects.
/// </summary>
public sealed class EventStreamTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(45);

    [Fact]
    public async Task A_silent_event_stream_makes_health_fail_naming_what_it_missed_until_the_reconnected_stream_delivers_again()
    {
        await using var proxy = new DockerSocketProxy();
        await RestartWithAsync(new Dictionary<string, string> { ["AutoHeal:Docker:Endpoint"] = proxy.Endpoint });
        var connected = DateTimeOffset.UtcNow;
        var name = Docker.Name("stream-silent");
        await using var removal = DockerCli.RemoveAtEnd(name); // its polling loop would load the rest of the run
        await Docker.StartAsync(name, DockerCli.CrashOnTrigger, Autoheal.OptIn);
        await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Any(c => c.Name == name), Soon, "listed");
        await Autoheal.WaitForLogAboutAsync(name, "Started", Soon); // the stream delivers

        // Changes in a stream's first seconds are the sweep's to catch (it may still be subscribing): the crash comes after them.
        var settled = connected + AutoHeal.Core.Containers.EventStreamWatch.Grace + TimeSpan.FromSeconds(1) - DateTimeOffset.UtcNow;
        if (settled > TimeSpan.Zero)
        {
            await Task.Delay(settled);
        }

        proxy.FreezeEvents();
        await DockerCli.TriggerCrashAsync(name);

        // The crash, or the start of its heal (the sweep catches the crash, and AutoHeal heals it): the stream carried neither.
        await Autoheal.WaitForLogAsync($"event stream missed that {name} ", Soon);
        using var http = new HttpClient();
        using (var health = await http.GetAsync(new Uri(Autoheal.BaseAddress, "/health")))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Contains($"missed that {name} ", await health.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        proxy.Thaw();
        await Autoheal.WaitForLogAsync("event stream delivers again", Soon);
        await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(container: name, kind: "healed")).Items.Count >= 1, Soon, "the crash to be healed");
        await Eventually.HoldsAsync(async () => (await http.GetAsync(new Uri(Autoheal.BaseAddress, "/health"))).StatusCode == HttpStatusCode.OK, Soon, "/health to be good again");
    }
}
