using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Ports;
using Dapr.Client;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// Publishes every saved event to <see cref="DaprNames.EventsTopic"/>: the API keeps its event log and
/// sends webhooks from there, and any other consumer may subscribe. A failed publish is logged, never
/// thrown: the guardian's state is saved already and the heal goes on.
/// </summary>
public sealed partial class DaprEventPublisher(DaprClient dapr, ILogger<DaprEventPublisher> logger) : IEventSinkPart
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            try
            {
                await dapr.PublishEventAsync(
                    DaprNames.PubSub,
                    DaprNames.EventsTopic,
                    e,
                    new Dictionary<string, string> { ["partitionKey"] = e.Key?.ToString() ?? "engine" },
                    cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Lost(logger, e.Kind, e.Key?.ToString() ?? "engine", ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not publish the {Kind} event of {Container} to heal-events")]
    private static partial void Lost(ILogger logger, EventKind kind, string container, Exception exception);
}
