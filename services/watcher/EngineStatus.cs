using AutoHeal.Domain.Events;

namespace AutoHeal.Watcher;

/// <summary>
/// Whether the Docker engine answers, as the watcher last saw it, and telling people when that changes:
/// one log line and one event per change (a store that cannot be written, a full disk, never stops the
/// watcher, least of all when the engine has just gone away).
/// </summary>
public sealed class EngineStatus(
    IContainerRuntime runtime, IEventRecorder events, ContainerCatalog catalog, TimeProvider time, ILogger<EngineStatus> logger) : IEngineStatus
{
    private volatile EngineReading? _now;
    private volatile bool _connected;

    /// <inheritdoc />
    public EngineReading Current => _now ?? new EngineReading(false, runtime.Endpoint, "not connected yet", null);

    /// <summary>Whether the watcher follows the engine now (connected, its first sweep done).</summary>
    public bool Connected => _connected;

    /// <summary>The engine answered.</summary>
    internal void Up() => _now = new EngineReading(true, runtime.Endpoint, null, time.GetUtcNow());

    /// <summary>The watcher follows the engine again: said once.</summary>
    internal async Task ConnectedAsync(CancellationToken ct)
    {
        if (_connected)
        {
            return;
        }

        _connected = true;
        var containers = catalog.Containers;
        var monitored = containers.Count(c => catalog.Select(c).Monitored);
        Log.EngineUp(logger, runtime.Endpoint, containers.Count, monitored);
        await RecordAsync(EventKind.EngineUp, $"Docker engine at {runtime.Endpoint} reachable", ct);
    }

    /// <summary>The engine did not answer: said once per outage, then quietly retried.</summary>
    internal async Task DisconnectedAsync(string reason, TimeSpan retryIn, CancellationToken ct)
    {
        var first = Current.Reachable || Current.Since is null;
        _now = new EngineReading(false, runtime.Endpoint, reason, _now is { Reachable: false, Since: { } since } ? since : time.GetUtcNow());
        if (_connected || first)
        {
            _connected = false;
            Log.EngineDown(logger, runtime.Endpoint, reason);
            await RecordAsync(EventKind.EngineDown, $"Docker engine unreachable: {reason}", ct);
        }
        else
        {
            Log.EngineStillDown(logger, reason, retryIn);
        }
    }

    private async Task RecordAsync(EventKind kind, string message, CancellationToken ct)
    {
        try
        {
            await events.RecordAsync([new AutoHealEvent { At = time.GetUtcNow(), Kind = kind, Message = message }], ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Log.RecordFailed(logger, kind, ex);
        }
    }
}
