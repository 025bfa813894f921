using AutoHeal.Contracts.Dapr;
using Dapr.Client;

namespace AutoHeal.Watcher.Dapr;

/// <summary>
/// The distributed <see cref="ISignalBus"/>: each signal is published as a CloudEvent to
/// <see cref="DaprNames.SignalsTopic"/>. The container key is the partition key, so brokers that
/// partition keep one container's signals in order; the guardian also drops late ones by their time.
/// While the sidecar or the broker is down, publishing is retried with backoff (1 s to 30 s): the
/// container's later signals wait behind it, in order, and the watcher's view of its engine is unaffected.
/// </summary>
internal sealed class DaprSignalBus(DaprClient dapr, TimeProvider time, ILogger<DaprSignalBus> logger) : ISignalBus
{
    private static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(30);

    public async ValueTask PublishAsync(ContainerSignal signal, CancellationToken cancellationToken)
    {
        var metadata = new Dictionary<string, string> { ["partitionKey"] = signal.Key.ToString() };
        for (var delay = TimeSpan.FromSeconds(1); ; delay = delay * 2 < MaxDelay ? delay * 2 : MaxDelay)
        {
            try
            {
                await dapr.PublishEventAsync(DaprNames.PubSub, DaprNames.SignalsTopic, signal, metadata, cancellationToken);
                return;
            }
            catch (global::Dapr.DaprException ex)
            {
                Log.SignalNotPublished(logger, signal.Kind, signal.Key.ToString(), delay, ex.Message);
                await Task.Delay(delay, time, cancellationToken);
            }
        }
    }
}
