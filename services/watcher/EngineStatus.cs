namespace AutoHeal.Watcher;

/// <summary>Whether the Docker engine answers, as the watcher last saw it.</summary>
public sealed class EngineStatus
{
    private volatile Snapshot _now = new(false, "not connected yet", null);

    /// <summary>The current status.</summary>
    public Snapshot Current => _now;

    internal void Up(DateTimeOffset at) => _now = new Snapshot(true, null, at);

    internal void Down(string error, DateTimeOffset at) => _now = new Snapshot(false, error, _now.Reachable ? at : _now.Since ?? at);

    /// <summary>One reading.</summary>
    public sealed record Snapshot(bool Reachable, string? Error, DateTimeOffset? Since);
}
