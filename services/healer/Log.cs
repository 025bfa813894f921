namespace AutoHeal.Healer;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Error, Message = "{Container}: guardian failed to handle {Input}")]
    public static partial void GuardianFailed(ILogger logger, ContainerKey container, string input, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Container}: heal job {JobId} failed unexpectedly")]
    public static partial void JobFailed(ILogger logger, ContainerKey container, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Container}: the heal step {Step} could not be recorded; retrying in {Delay}")]
    public static partial void ReportFailed(ILogger logger, ContainerKey container, HealStep step, TimeSpan delay, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resuming {Count} heal job(s) and {Wakes} quarantine probation timer(s) from the last run")]
    public static partial void Resuming(ILogger logger, int count, int wakes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Actor}: could not check the workflow of heal {JobId}; the next activation retries")]
    public static partial void WorkflowCheckFailed(ILogger logger, string actor, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Actor}: could not start the workflow of heal {JobId}; a reminder tries again every 30 s")]
    public static partial void WorkflowStartFailed(ILogger logger, string actor, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Actor}: could not terminate the workflow of heal {JobId}; its reports are no longer accepted")]
    public static partial void WorkflowCancelFailed(ILogger logger, string actor, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Actor}: could not register the {Name} reminder (is the Dapr scheduler up?); tried again at the actor's next call, and every 30 s while it stays active")]
    public static partial void ReminderFailed(ILogger logger, string actor, string name, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Actor}: could not set the watchdog reminder of heal {JobId}; tried again at the actor's next call, and every 30 s while it stays active")]
    public static partial void WatchdogFailed(ILogger logger, string actor, string jobId, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Actor}: could not remove the watchdog reminder of a finished heal; it removes itself when it next fires")]
    public static partial void WatchdogNotStopped(ILogger logger, global::Dapr.Actors.ActorId actor, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Container}: could not save what its guardian decided on a {Input} ({Error}); trying again in {Wait}")]
    public static partial void TurnNotSaved(ILogger logger, ContainerKey container, string input, TimeSpan wait, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Forgot the guardians of {Count} container(s) removed over {Days} days ago")]
    public static partial void GuardiansForgotten(ILogger logger, int count, double days);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not forget the guardians of long-removed containers")]
    public static partial void ForgetFailed(ILogger logger, Exception exception);
}
