using AutoHeal.Domain.Events;

namespace AutoHeal.Dapr;

/// <summary>
/// Publishes every event to <see cref="DaprNames.EventsTopic"/>: the API keeps its event log and sends
/// webhooks from there, and any other consumer may subscribe. A failed publish is logged, never thrown: the
/// guardian's state is saved already and the heal goes on.
/// </summary>
public sealed class DaprEventPublisher(DaprClient dapr, ILogger<DaprEventPublisher> logger) : IEventSinkPart
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
                Log.EventNotPublished(logger, e.Kind, e.Key?.ToString() ?? "engine", ex);
            }
        }
    }
}

/// <summary>
/// The <see cref="IEventRecorder"/> of every role on Dapr: the events are fanned out, <c>heal-events</c>
/// among the sinks, and the API's subscription to it appends them to the event log it keeps.
/// </summary>
public sealed class PublishedEventRecorder(IEventSink sink) : IEventRecorder
{
    /// <inheritdoc />
    public async Task RecordAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken) =>
        await sink.PublishAsync(events, cancellationToken);
}
