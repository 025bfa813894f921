namespace AutoHeal.Api;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Debug, Message = "Notification {Webhook}: {Kind} delivered (attempt {Attempt})")]
    public static partial void WebhookDelivered(ILogger logger, string webhook, string kind, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {Webhook}: {Kind} for {Container} folded into the next alert (a repeat within the fold window)")]
    public static partial void WebhookFolded(ILogger logger, string webhook, string kind, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Webhook}: {Kind} not delivered (attempt {Attempt}: {Error}); retrying")]
    public static partial void WebhookRetrying(ILogger logger, string webhook, string kind, int attempt, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Notification {Webhook}: {Kind} not delivered after {Attempts} attempts: {Error} (the target is reported failing already)")]
    public static partial void WebhookGaveUp(ILogger logger, string webhook, string kind, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Webhook}: {Kind} not delivered after {Attempts} attempts: {Error}. The target is failing: its next failures are logged at debug level only, until one is delivered")]
    public static partial void TargetFailing(ILogger logger, string webhook, string kind, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Notification {Webhook}: the delivery failed unexpectedly")]
    public static partial void DeliveryCrashed(ILogger logger, string webhook, Exception ex);

    [LoggerMessage(Level = LogLevel.Information, Message = "Notification {Webhook}: delivering again")]
    public static partial void TargetDeliversAgain(ILogger logger, string webhook);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Notification {Webhook}: its failing could not be written to the event log: {Error}")]
    public static partial void TargetFailingNotRecorded(ILogger logger, string webhook, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Container}: not told that the holds changed (it wakes at the hold's end anyway)")]
    public static partial void NudgeFailed(ILogger logger, string container, Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat to {Target} not sent: {Why} (it is sent again once AutoHeal is healthy)")]
    public static partial void HeartbeatHeld(ILogger logger, string target, string why);

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat to {Target} answered {Status}")]
    public static partial void HeartbeatRefused(ILogger logger, string target, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "heartbeat to {Target} failed: {Error}")]
    public static partial void HeartbeatFailed(ILogger logger, string target, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the end of maintenance could not be saved yet ({Error}); trying again")]
    public static partial void MaintenanceEndFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "the watcher of {Host} does not answer: {Error}")]
    public static partial void WatcherUnreachable(ILogger logger, string host, string error);
}
