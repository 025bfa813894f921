using System.Text.Json;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Events;
using Microsoft.Extensions.Logging;

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
        AutoHealEvent? e;
        try
        {
            e = await JsonSerializer.DeserializeAsync<AutoHealEvent>(request.Body, DaprWire.Json, ct);
        }
        catch (JsonException ex)
        {
            return Drop(loggers, $"not an AutoHeal event: {ex.Message}");
        }

        if (e is null || string.IsNullOrEmpty(e.Message) || !Enum.IsDefined(e.Kind))
        {
            return Drop(loggers, "an event needs a known kind and a message");
        }

        var saved = await log.AppendEventsAsync([e with { Id = 0 }], ct);
        await webhooks.PublishAsync(saved, ct); // not the whole event sink: that would publish to heal-events again
        return Results.Ok(new { status = "SUCCESS" });
    }

    private static IResult Drop(ILoggerFactory loggers, string why)
    {
        Log.MessageDropped(loggers.CreateLogger(typeof(EventProjection)), DaprNames.EventsTopic, why);
        return Results.Json(new { status = "DROP", reason = why });
    }
}
