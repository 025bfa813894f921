using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace AutoHeal.Dapr;

/// <summary>
/// How a subscriber reads what the sidecar delivers from a topic, and Dapr's answers to it: <c>SUCCESS</c>; <c>DROP</c>
/// for a message that is not one the subscriber understands (it goes to the topic's dead letters, if any, and is never
/// retried); anything else (an exception: a 500) is delivered again.
/// </summary>
public static class TopicMessages
{
    /// <summary>Dapr's answer to a message handled.</summary>
    public static IResult Success() => Results.Ok(new { status = "SUCCESS" });

    /// <summary>
    /// The body read as a <typeparamref name="T"/> (<see cref="DaprWire.Json"/>), or, when it is not JSON of one or
    /// <paramref name="problem"/> finds something wrong with it, a <c>DROP</c> answer saying why, logged with the topic.
    /// </summary>
    public static async Task<(T? Message, IResult? Dropped)> ReadAsync<T>(
        HttpRequest request, string topic, string what, Func<T?, string?> problem, ILogger logger, CancellationToken cancellationToken)
        where T : class
    {
        T? message;
        try
        {
            message = await JsonSerializer.DeserializeAsync<T>(request.Body, DaprWire.Json, cancellationToken);
        }
        catch (JsonException ex)
        {
            return (null, Drop(logger, topic, $"not {what}: {ex.Message}"));
        }

        return problem(message) is { } why ? (null, Drop(logger, topic, why)) : (message, null);
    }

    private static IResult Drop(ILogger logger, string topic, string why)
    {
        Log.MessageDropped(logger, topic, why);
        return Results.Json(new { status = "DROP", reason = why });
    }
}
