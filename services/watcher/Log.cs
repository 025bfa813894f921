using AutoHeal.Domain.Containers;
namespace AutoHeal.Watcher;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Docker engine unreachable at {Endpoint}: {Reason}. Retrying with backoff (1s to 30s); containers are not watched meanwhile.")]
    public static partial void EngineDown(ILogger logger, string endpoint, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "The Docker engine at {Endpoint} allows everything AutoHeal does (list, inspect, events, restart, logs, exec, create)")]
    public static partial void EngineAllowsAll(ILogger logger, string endpoint);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Docker engine at {Endpoint} refuses part of what AutoHeal does: {Refusals}")]
    public static partial void EngineRefuses(ILogger logger, string endpoint, string refusals);

    [LoggerMessage(Level = LogLevel.Debug, Message = "What the Docker engine refuses is not known yet ({Reason}); asked again at the next sweep")]
    public static partial void AccessNotKnown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Docker engine still unreachable: {Reason}; next try in {Delay}")]
    public static partial void EngineStillDown(ILogger logger, string reason, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Information, Message = "Connected to the Docker engine at {Endpoint}; watching {Count} container(s), {Monitored} monitored")]
    public static partial void EngineUp(ILogger logger, string endpoint, int count, int monitored);

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected error while watching the Docker engine; reconnecting")]
    public static partial void WatchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Container}: the engine did not answer an inspect within {Timeout}; skipped until the next sweep")]
    public static partial void InspectTimedOut(ILogger logger, string container, TimeSpan timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not record the {Kind} event in the store")]
    public static partial void RecordFailed(ILogger logger, AutoHeal.Domain.Events.EventKind kind, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Custom health checks could not be brought up to date")]
    public static partial void ProbeReconcileFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Container}: its exec check defined through the API does not run: {Why}")]
    public static partial void ApiExecRefused(ILogger logger, ContainerKey container, string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Container}: custom health check loop failed")]
    public static partial void ProbeFailed(ILogger logger, string container, Exception exception);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Container}: custom health check {Check} (from {Source}) started")]
    public static partial void ProbeStarted(ILogger logger, AutoHeal.Domain.Containers.ContainerKey container, AutoHeal.Domain.Probes.ProbeSpec check, string source);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Container}: custom health check {Check} (from {Source}) stopped")]
    public static partial void ProbeStopped(ILogger logger, AutoHeal.Domain.Containers.ContainerKey container, AutoHeal.Domain.Probes.ProbeSpec check, string source);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Container}: custom health check passing: {Detail}")]
    public static partial void ProbePassing(ILogger logger, AutoHeal.Domain.Containers.ContainerKey container, string detail);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Container}: health check failed ({Failures}/{Retries}): {Detail}")]
    public static partial void ProbeFailedOnce(ILogger logger, string container, int failures, int retries, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not publish the {Kind} signal of {Container} to container-signals; retrying in {Delay}: {Error}")]
    public static partial void SignalNotPublished(ILogger logger, AutoHeal.Domain.Guardians.SignalKind kind, string container, TimeSpan delay, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Dependent} depends on {Parent}, which depends on it in turn: a cycle, so it is not restarted with it")]
    public static partial void DependencyCycle(ILogger logger, string dependent, string parent);

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Container}: {Kind} ({Detail})")]
    public static partial void Signal(ILogger logger, AutoHeal.Domain.Containers.ContainerKey container, AutoHeal.Domain.Guardians.SignalKind kind, string? detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{What}")]
    public static partial void RecreationTidied(ILogger logger, string what);
}
