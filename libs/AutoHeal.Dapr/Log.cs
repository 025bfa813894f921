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

    [LoggerMessage(Level = LogLevel.Warning, Message = "the shared document '{Name}' in the state store could not be used ({Why}); it was set aside under the key {Key}")]
    public static partial void DocumentSetAside(ILogger logger, string name, string why, string key);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the shared document '{Name}' in the state store cannot be used by this process ({Why}); it is kept as it is (another AutoHeal version may be using it), and this process runs with its own start-up configuration until it can read it")]
    public static partial void DocumentKept(ILogger logger, string name, string why);
}
