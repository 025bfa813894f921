using AutoHeal.Domain.Ports;

namespace AutoHeal.Watcher;

/// <summary>Whether the Docker engine answers, as the watcher last saw it.</summary>
public sealed class EngineStatus(IContainerRuntime runtime) : IEngineStatus
{
    private volatile EngineReading? _now;

    /// <inheritdoc />
    public EngineReading Current => _now ?? new EngineReading(false, runtime.Endpoint, "not connected yet", null);

    internal void Up(DateTimeOffset at) => _now = new EngineReading(true, runtime.Endpoint, null, at);

    internal void Down(string error, DateTimeOffset at) =>
        _now = new EngineReading(false, runtime.Endpoint, error, _now is { Reachable: false, Since: { } since } ? since : at);
}
