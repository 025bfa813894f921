using System.Globalization;
using AutoHeal.Core.Stores;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core.Containers;

/// <summary>
/// Whether the engine's event stream still delivers while the engine answers. Docker's stream has no heartbeat of
/// its own, and a quiet host sends nothing for hours; what proves it silent is a change it should have carried: a
/// container that started or ended, found by the reconcile sweep, when the stream has delivered nothing since
/// shortly before that change (a socket proxy that dropped the connection, an engine whose stream hung). Then
/// <c>/health</c> says so (503) and the event loop reconnects, replaying what it missed; the first event delivered
/// after that clears it.
/// </summary>
public sealed class EventStreamWatch(ILogger<EventStreamWatch> logger) : ILoopHealth
{
    /// <summary>How long after a change its event may still be on its way.</summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    // Docker's event times and a container's start and end times are the engine's, close but not equal.
    private static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);
    private readonly Lock _lock = new();
    private DateTimeOffset? _connectedAt;
    private DateTimeOffset? _lastEvent;
    private Change? _pending;
    private Change? _missed;

    /// <summary>Raised when the stream missed a change: the event loop reconnects.</summary>
    public event EventHandler? Stale;

    /// <summary>
    /// A stream connected at <paramref name="engineNow"/>: changes before it (and in its first seconds, while it
    /// subscribes, with the engine's clock only estimated) are the sweep's to catch, not the stream's. What it missed is
    /// still said until it delivers an event (a reconnect replays the missed ones: Docker keeps its recent events).
    /// </summary>
    public void Connected(DateTimeOffset engineNow)
    {
        lock (_lock)
        {
            _connectedAt = engineNow;
            _pending = null;
        }
    }

    /// <summary>The stream delivered an event that happened at <paramref name="engineAt"/>.</summary>
    public void Received(DateTimeOffset engineAt)
    {
        Change? recovered;
        lock (_lock)
        {
            if (_lastEvent is null || engineAt > _lastEvent)
            {
                _lastEvent = engineAt;
            }

            if (_pending is { } p && engineAt >= p.At - Tolerance)
            {
                _pending = null; // it came (or something after it did)
            }

            recovered = _missed;
            _missed = null;
        }

        if (recovered is not null)
        {
            Log.EventStreamBack(logger, recovered.Container);
        }
    }

    /// <summary>
    /// The sweep found <paramref name="container"/> changed (<paramref name="change"/>: started, exited...) at
    /// <paramref name="changeAt"/>, by the engine's clock. Its event is due within <see cref="Grace"/>: <see cref="Look"/> tells.
    /// </summary>
    public void SweepFound(string container, string change, DateTimeOffset changeAt)
    {
        lock (_lock)
        {
            if (_connectedAt is { } connected && changeAt >= connected + Grace && !(_lastEvent is { } last && last >= changeAt - Tolerance)
                && (_pending is null || changeAt < _pending.At))
            {
                _pending = new Change(container, change, changeAt); // the earliest the stream has not carried yet
            }
        }
    }

    /// <summary>After a sweep, at <paramref name="engineNow"/> by the engine's clock: a change the stream should have carried by now, and did not, makes it silent.</summary>
    public void Look(DateTimeOffset engineNow)
    {
        Change missed;
        lock (_lock)
        {
            if (_pending is not { } p || engineNow - p.At < Grace || _missed is not null)
            {
                return; // none, its event may still be on its way, or said already
            }

            _missed = missed = p;
            _pending = null;
        }

        Log.EventStreamMissed(logger, missed.Container, missed.What, missed.At);
        Stale?.Invoke(this, EventArgs.Empty);
    }

    /// <inheritdoc />
    public string? WhyStuck(DateTimeOffset now) => _missed is { } m
        ? string.Create(CultureInfo.InvariantCulture, $"the Docker engine's event stream missed that {m.Container} {m.What} at {m.At:u} and has delivered nothing since, while the engine answers: reconnecting")
        : null;

    private sealed record Change(string Container, string What, DateTimeOffset At);
}
