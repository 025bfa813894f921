using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Healer.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that also keeps the timers waiting on it, with when each is due, so a test can
/// tell when background work has reached the <c>Task.Delay</c> it means to end, and only then move the clock.
/// </summary>
internal sealed class ObservedClock(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly ConcurrentDictionary<Tracked, DateTimeOffset> _pending = new();

    /// <summary>Timers created and not yet disposed (a <c>Task.Delay</c> disposes its timer when it ends).</summary>
    public int PendingTimers => _pending.Count;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var inner = base.CreateTimer(callback, state, dueTime, period);
        if (state is AutoHeal.Core.Heals.RestartSlots.LeaseExpiry)
        {
            return inner; // a restart slot's lease, not work waiting
        }

        var timer = new Tracked(inner, this);
        _pending[timer] = Due(dueTime);
        return timer;
    }

    /// <summary>
    /// Waits until something waits on the clock for a while (a restart slot's lease, and timers minutes away such as a
    /// housekeeping period, aside), then moves it forward by <paramref name="by"/>.
    /// </summary>
    public async Task AdvanceWhenWaitedOnAsync(TimeSpan by)
    {
        await Eventually.TrueAsync(() => _pending.Values.Any(due => due <= GetUtcNow() + TimeSpan.FromMinutes(5)), "a heal job waiting on the clock");
        Advance(by);
    }

    private DateTimeOffset Due(TimeSpan dueTime) => dueTime == Timeout.InfiniteTimeSpan ? DateTimeOffset.MaxValue : GetUtcNow() + dueTime;

    private sealed class Tracked(ITimer inner, ObservedClock clock) : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (clock._pending.ContainsKey(this))
            {
                clock._pending[this] = clock.Due(dueTime);
            }

            return inner.Change(dueTime, period);
        }

        public void Dispose()
        {
            clock._pending.TryRemove(this, out _);
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
