using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Dapr.Client;

namespace AutoHeal.Watcher.Dapr;

/// <summary>
/// The distributed <see cref="ISignalBus"/>: each signal is published as a CloudEvent to
/// <see cref="DaprNames.SignalsTopic"/>. The container key is the partition key, so brokers that
/// partition keep one container's signals in order; the guardian also drops late ones by their time.
/// </summary>
internal sealed class DaprSignalBus(DaprClient dapr) : ISignalBus
{
    public async ValueTask PublishAsync(ContainerSignal signal, CancellationToken cancellationToken) =>
        await dapr.PublishEventAsync(
            DaprNames.PubSub,
            DaprNames.SignalsTopic,
            signal,
            new Dictionary<string, string> { ["partitionKey"] = signal.Key.ToString() },
            cancellationToken);
}
