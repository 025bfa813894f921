using AutoHeal.Contracts.Dapr;
using AutoHeal.Dapr;
using Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace AutoHeal.Healer.Dapr;

/// <summary>
/// The healer's subscription to <see cref="DaprNames.SignalsTopic"/>: each signal goes to its container's
/// actor. A message that is not a valid signal is dropped (Dapr's <c>DROP</c>, so it goes to the dead
/// letter topic instead of being retried for ever) and touches no actor, and so is one the actor fails on
/// (<see cref="TopicMessages.IsPoison"/>: with one delivery at a time, its retries would hold up every other
/// container's signals); a failure to reach the actor is a 500, which Dapr retries.
/// </summary>
public static class SignalSubscription
{
    /// <summary>The route the sidecar delivers signals to.</summary>
    public const string Route = "/dapr/container-signals";

    /// <summary>Maps the subscription (listed by <c>GET /dapr/subscribe</c>).</summary>
    public static IEndpointRouteBuilder MapSignalSubscription(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, HandleAsync)
            .WithTopic(new TopicOptions
            {
                PubsubName = DaprNames.PubSub,
                Name = DaprNames.SignalsTopic,
                DeadLetterTopic = DaprNames.SignalsDeadLetterTopic,
            })
            .ExcludeFromDescription();
        return app;
    }

    private static async Task<IResult> HandleAsync(HttpRequest request, IGuardians guardians, ILoggerFactory loggers, CancellationToken ct)
    {
        var logger = loggers.CreateLogger(typeof(SignalSubscription));
        var (signal, dropped) = await TopicMessages.ReadAsync<ContainerSignal>(request, DaprNames.SignalsTopic, "a container signal", Problem, logger, ct);
        if (dropped is not null)
        {
            return dropped;
        }

        try
        {
            await guardians.TellAsync(signal!, ct);
        }
        catch (Exception ex) when (TopicMessages.IsPoison(ex))
        {
            return TopicMessages.Poisoned(logger, DaprNames.SignalsTopic, ex);
        }

        return TopicMessages.Success();
    }

    /// <summary>What makes a signal unusable, or null.</summary>
    internal static string? Problem(ContainerSignal? signal) => signal switch
    {
        null => "empty message",
        { Key: null } => "key is missing",
        { Key.Host: null or "" } => "key.host is missing",
        { Key.Name: null or "" } => "key.name is missing",
        { Facts: null } => "facts are missing",
        _ when !Enum.IsDefined(signal.Kind) => $"kind {(int)signal.Kind} is unknown",
        _ => null,
    };
}
