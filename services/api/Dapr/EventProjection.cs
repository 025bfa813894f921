using AutoHeal.Dapr;
using AutoHeal.Contracts.Dapr;

namespace AutoHeal.Api.Dapr;

/// <summary>
/// In distributed mode the API keeps the event log: it subscribes to <see cref="DaprNames.EventsTopic"/>,
/// appends each event to its own store and sends the webhooks. Delivery is at least
/// once, so an event may rarely appear twice in the log after a redelivery.
/// </summary>
public static class EventProjection
{
    /// <summary>The route the sidecar delivers events to.</summary>
    public const string Route = "/dapr/heal-events";

    /// <summary>Maps the subscription (listed by <c>GET /dapr/subscribe</c>).</summary>
    public static IEndpointRouteBuilder MapEventProjection(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, HandleAsync).WithTopic(DaprNames.PubSub, DaprNames.EventsTopic).ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpRequest request, IEventLog log, WebhookNotifier webhooks, ILoggerFactory loggers, CancellationToken ct)
    {
        var (e, dropped) = await TopicMessages.ReadAsync<AutoHealEvent>(
            request, DaprNames.EventsTopic, "an AutoHeal event",
            e => e is null || string.IsNullOrEmpty(e.Message) || !Enum.IsDefined(e.Kind) ? "an event needs a known kind and a message" : null,
            loggers.CreateLogger(typeof(EventProjection)), ct);
        if (dropped is not null)
        {
            return dropped;
        }

        var saved = await log.AppendEventsAsync([e! with { Id = 0 }], ct);
        await webhooks.PublishAsync(saved, ct); // not the whole event sink: that would publish to heal-events again
        return TopicMessages.Success();
    }
}
