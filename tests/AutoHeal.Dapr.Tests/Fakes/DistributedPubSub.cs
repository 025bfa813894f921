using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>One delivery of a signal to the subscriber: what it answered (SUCCESS, DROP, or an HTTP status), after how many attempts.</summary>
internal sealed record DistributedDelivery(ContainerSignal Signal, string Outcome, int Attempts);

/// <summary>
/// The pub/sub part of the pipeline, as daprd with one partition and concurrency 1: the watcher's signals are taken
/// in order (serialized as <see cref="DaprWire.Json"/>, as the watcher's Dapr client publishes them), and delivered one
/// at a time, as CloudEvents, to the route the healer lists for <see cref="DaprNames.SignalsTopic"/> on
/// <c>GET /dapr/subscribe</c>. A failed delivery (not 2xx, or RETRY) is retried a few times, then dead-lettered.
/// </summary>
internal sealed class DistributedPubSub(HttpClient subscriber) : ISignalBus, IAsyncDisposable
{
    private const int MaxAttempts = 3;
    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(500);
    private readonly Channel<(ContainerSignal Signal, string Data)> _topic = Channel.CreateUnbounded<(ContainerSignal, string)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Recorded<DistributedDelivery> _deliveries = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _pump = Task.CompletedTask;
    private string? _route;

    /// <summary>Every delivery so far, in order.</summary>
    public IReadOnlyList<DistributedDelivery> Deliveries => _deliveries.Items;

    /// <summary>The deliveries of one container's signals, in order.</summary>
    public IReadOnlyList<DistributedDelivery> For(ContainerKey key) => Deliveries.Where(d => d.Signal.Key == key).ToList();

    /// <summary>Learns the subscription from the app, as the sidecar does when the app starts, and starts delivering.</summary>
    public async Task StartAsync()
    {
        using var response = await subscriber.GetAsync(new Uri("/dapr/subscribe", UriKind.Relative));
        response.EnsureSuccessStatusCode();
        var subscriptions = await response.Content.ReadFromJsonAsync<JsonElement>();
        foreach (var s in subscriptions.EnumerateArray())
        {
            if (s.GetProperty("pubsubName").GetString() == DaprNames.PubSub && s.GetProperty("topic").GetString() == DaprNames.SignalsTopic)
            {
                var route = s.TryGetProperty("route", out var r) ? r.GetString() : s.GetProperty("routes").GetProperty("default").GetString();
                _route = "/" + route!.TrimStart('/');
            }
        }

        if (_route is null)
        {
            throw new InvalidOperationException($"the app does not subscribe to {DaprNames.SignalsTopic} on {DaprNames.PubSub}: {subscriptions}");
        }

        _pump = Task.Run(() => PumpAsync(_stop.Token));
    }

    /// <summary>Publishing returns once the broker holds the message.</summary>
    public ValueTask PublishAsync(ContainerSignal signal, CancellationToken cancellationToken)
    {
        if (!_topic.Writer.TryWrite((signal, JsonSerializer.Serialize(signal, DaprWire.Json))))
        {
            throw new InvalidOperationException("the pub/sub is closed");
        }

        return ValueTask.CompletedTask;
    }

    private async Task PumpAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var (signal, data) in _topic.Reader.ReadAllAsync(ct))
            {
                var outcome = "";
                var attempt = 0;
                while (++attempt <= MaxAttempts)
                {
                    outcome = await DeliverAsync(data, ct);
                    if (outcome is "SUCCESS" or "DROP")
                    {
                        break;
                    }

                    if (attempt < MaxAttempts)
                    {
                        await Task.Delay(RetryDelay, ct);
                    }
                }

                _deliveries.Add(new DistributedDelivery(signal, outcome is "SUCCESS" or "DROP" ? outcome : $"dead-lettered after {outcome}", Math.Min(attempt, MaxAttempts)));
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // the test is over
        }
    }

    private async Task<string> DeliverAsync(string data, CancellationToken ct)
    {
        var envelope = new JsonObject
        {
            ["specversion"] = "1.0",
            ["id"] = Guid.NewGuid().ToString(),
            ["source"] = DaprNames.WatcherAppId(DistributedPipeline.HostName),
            ["type"] = "com.dapr.event.sent",
            ["pubsubname"] = DaprNames.PubSub,
            ["topic"] = DaprNames.SignalsTopic,
            ["datacontenttype"] = "application/json",
            ["data"] = JsonNode.Parse(data),
        };
        try
        {
            using var content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/cloudevents+json");
            using var response = await subscriber.PostAsync(new Uri(_route!, UriKind.Relative), content, ct);
            if (!response.IsSuccessStatusCode)
            {
                return $"HTTP {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(ct)}";
            }

            // An empty 2xx body is a success to daprd; otherwise the status field decides.
            var body = await response.Content.ReadAsStringAsync(ct);
            if (string.IsNullOrWhiteSpace(body))
            {
                return "SUCCESS";
            }

            using var answer = JsonDocument.Parse(body);
            return answer.RootElement.TryGetProperty("status", out var status) ? status.GetString() ?? "SUCCESS" : "SUCCESS";
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }

    public async ValueTask DisposeAsync()
    {
        _topic.Writer.TryComplete();
        await _stop.CancelAsync();
        await _pump;
        _stop.Dispose();
    }
}
