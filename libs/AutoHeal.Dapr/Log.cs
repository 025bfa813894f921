using AutoHeal.Domain.Events;

namespace AutoHeal.Dapr;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Count} container actor(s) did not answer within 5 s and are left out of the list: {Error}")]
    public static partial void GuardiansUnreadable(ILogger logger, int count, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not publish the {Kind} event of {Container} to heal-events")]
    public static partial void EventNotPublished(ILogger logger, EventKind kind, string container, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not read the shared settings from the state store: {Error}")]
    public static partial void SharedDocumentsUnreadable(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "dropped a message on {Topic}: {Why}")]
    public static partial void MessageDropped(ILogger logger, string topic, string why);
}
