using System.Globalization;
using AutoHeal.Core.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core.Heals;

/// <summary>
/// The host's <see cref="StormBreaker"/>, where every heal of the host asks for its restart slot (in this process, or
/// through the host's watcher on Dapr): it serializes the breaker, makes automatic heals wait out a storm's cool-down,
/// looks at the time when nobody asks (to close the breaker), and records a storm's beginning and end as events.
/// <paramref name="idle"/> says no heal holds a restart slot.
/// </summary>
public sealed class HostStorm(ISettingsSource settings, IEventRecorder events, HostIdentity host, TimeProvider time, Func<bool> idle, ILogger<HostStorm> logger) : IDisposable
{
    private const int NamesShown = 20;
    private readonly Lock _lock = new();
    private readonly StormBreaker _breaker = new();
    private ITimer? _timer;

    /// <summary>Where the breaker is.</summary>
    public StormPhase Phase
    {
        get
        {
            lock (_lock)
            {
                return _breaker.Phase;
            }
        }
    }

    /// <summary>Whether restarts go one at a time (a storm's cool-down is over, its heals drain).</summary>
    public bool OneAtATime => Phase == StormPhase.Draining;

    /// <summary>
    /// Automatic heal <paramref name="job"/> of <paramref name="container"/> (<c>host/name</c>) asks to restart: true when it may go on, at
    /// once or after a storm's cool-down; false when <paramref name="wait"/> (<see cref="Timeout.InfiniteTimeSpan"/>: as
    /// long as it takes) ran out first (ask again).
    /// </summary>
    public async Task<bool> WaitForTurnAsync(string container, string job, TimeSpan wait, CancellationToken cancellationToken)
    {
        var deadline = HoldWait.Deadline(wait, time);
        while (true)
        {
            var now = time.GetUtcNow();
            StormAnswer answer;
            StormNews? news;
            lock (_lock)
            {
                (answer, news) = _breaker.Ask(container, job, now, settings.Storm);
                LookAgainLocked(now);
            }

            if (news is not null)
            {
                await ReportAsync(news, now);
            }

            if (answer.WaitUntil is not { } until)
            {
                return true;
            }

            if (!await HoldWait.UntilAsync(until, deadline, time, cancellationToken))
            {
                return false;
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _timer?.Dispose();
            _timer = null;
        }
    }

    // The breaker changes by itself only with time: the cool-down ending, and a quiet window closing it.
    private void LookAgainLocked(DateTimeOffset now)
    {
        if (_breaker.Phase == StormPhase.Calm)
        {
            _timer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }

        var due = _breaker.NextLook(settings.Storm) - now;
        _timer ??= time.CreateTimer(static s => ((HostStorm)s!).Tick(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        _timer.Change(due > TimeSpan.Zero ? due : TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
    }

    private void Tick()
    {
        var now = time.GetUtcNow();
        StormNews? news;
        lock (_lock)
        {
            if (_timer is null)
            {
                return; // disposed
            }

            news = _breaker.Tick(now, settings.Storm, idle());
            LookAgainLocked(now);
        }

        if (news is not null)
        {
            _ = ReportAsync(news, now);
        }
    }

    private async Task ReportAsync(StormNews news, DateTimeOffset now)
    {
        var rule = settings.Storm;
        var names = news.Containers.Select(c => c[(c.IndexOf('/', StringComparison.Ordinal) + 1)..]).ToList();
        var named = string.Join(", ", names.Take(NamesShown)) + (names.Count > NamesShown ? $" and {names.Count - NamesShown} more" : "");
        var message = news.Began
            ? string.Create(CultureInfo.InvariantCulture,
                $"storm on {host.Name}: {names.Count} containers failed within {rule.Window.TotalSeconds:0.#}s ({named}); the host, a shared dependency or the engine is the likely cause. Automatic heals wait until {news.CooldownEnds:u}, then go one at a time; manual restarts still work")
            : $"storm on {host.Name} over: no container failed again for {rule.Window.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture)}s after the heals of {named} went one at a time; heals go as usual";
        try
        {
            await events.RecordAsync([new AutoHealEvent { At = now, Kind = news.Began ? EventKind.Storm : EventKind.StormEnded, Message = message }], CancellationToken.None);
        }
        catch (Exception ex)
        {
            Log.StormNotRecorded(logger, ex, message);
        }
    }
}
