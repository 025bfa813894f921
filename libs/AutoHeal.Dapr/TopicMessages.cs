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

    /// <summary>
    /// Whether a failure to handle a message is the message's own doing: the subscriber's code failed on it (through the
    /// actor runtime, the actor's exception by type name), and would fail the same way at every delivery. Retrying it
    /// would only hold up every message behind it (one at a time, in order); it is dropped to the dead letters instead.
    /// A failure to reach the actor, its state store or the sidecar is not: that is retried.
    /// </summary>
    public static bool IsPoison(Exception exception) => exception switch
    {
        global::Dapr.Actors.ActorMethodInvocationException { InnerException: global::Dapr.Actors.ActorInvokeException inner } =>
            Deterministic.Contains(inner.ActualExceptionType),
        global::Dapr.Actors.ActorMethodInvocationException => false,
        _ => Deterministic.Contains(exception.GetType().FullName ?? ""),
    };

    private static readonly HashSet<string> Deterministic = new(StringComparer.Ordinal)
    {
        "System.ArgumentException", "System.ArgumentNullException", "System.ArgumentOutOfRangeException", "System.FormatException",
        "System.InvalidCastException", "System.NullReferenceException", "System.IndexOutOfRangeException", "System.OverflowException",
        "System.Collections.Generic.KeyNotFoundException", "System.NotSupportedException", "System.Text.Json.JsonException",
    };

    /// <summary>A <c>DROP</c> answer for a message its handler failed on (<see cref="IsPoison"/>), logged with the topic.</summary>
    public static IResult Poisoned(ILogger logger, string topic, Exception exception) =>
        Drop(logger, topic, $"handling it failed, as it would at every delivery ({exception.InnerException?.Message ?? exception.Message}); dropped so that the messages behind it go on");

    private static IResult Drop(ILogger logger, string topic, string why)
    {
        Log.MessageDropped(logger, topic, why);
        return Results.Json(new { status = "DROP", reason = why });
    }
}
