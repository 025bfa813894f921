using AutoHeal.Domain.Events;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "{Container}: {Kind}: {Text}")]
    public static partial void Event(ILogger logger, string container, EventKind kind, string text);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Container}: {Kind}: {Text}")]
    public static partial void Alert(ILogger logger, string container, EventKind kind, string text);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Container}: its heal waits for compose project {Project} to settle (a container of it created, removed or renamed {Seconds:0.#}s ago); then it looks afresh")]
    public static partial void HealWaitsForDeploy(ILogger logger, string container, string project, double seconds);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Docker engine's event stream missed that {Container} {Change} at {ChangeAt:u} and has delivered nothing since, while the engine answers: reconnecting (the reconcile sweep caught it)")]
    public static partial void EventStreamMissed(ILogger logger, string container, string change, DateTimeOffset changeAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "The Docker engine's event stream delivers again (it had missed a change of {Container})")]
    public static partial void EventStreamBack(ILogger logger, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not record the storm event ({Text})")]
    public static partial void StormNotRecorded(ILogger logger, Exception exception, string text);
}
