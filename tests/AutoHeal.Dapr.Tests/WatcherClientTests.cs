using System.Net;
using System.Text;

namespace AutoHeal.Dapr.Tests;

/// <summary>A restart through a watcher asks Docker for no stop timeout the call itself cannot outlast.</summary>
public sealed class WatcherClientTests
{
    [Theory]
    [InlineData(10, 10)]
    [InlineData(90, 90)]
    [InlineData(3600, 90)] // a label's hour: the caller's sidecar would cut the call at 120 s (watcherCall), mid-restart
    public async Task The_stop_timeout_asked_of_the_watcher_fits_in_the_call(int asked, int sent)
    {
        using var handler = new Recording();
        using var http = new HttpClient(handler) { BaseAddress = new Uri("http://watcher") };
        using var client = new WatcherClient(http, "dapr://autoheal-watcher-local");

        var result = await client.RestartAsync("web-id", TimeSpan.FromSeconds(asked), new ContainerSeen(ContainerStatus.Running, null), CancellationToken.None);

        Assert.Equal(RestartOutcome.Restarted, result.Outcome);
        Assert.Contains($"stop_timeout_seconds={sent}&", handler.Asked!.Query, StringComparison.Ordinal);
    }

    private sealed class Recording : HttpMessageHandler
    {
        public Uri? Asked { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Asked = request.RequestUri;
            var body = JsonSerializer.Serialize(new RestartResult(RestartOutcome.Restarted, "restarted"), DaprWire.Json);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
        }
    }
}
