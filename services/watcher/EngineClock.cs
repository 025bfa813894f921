namespace AutoHeal.Watcher;

/// <summary>
/// The engine's clock as the watcher makes it out: AutoHeal's own, moved by how far the engine's runs ahead or behind
/// (read at a full sweep, and every few minutes; a difference under a second is taken as none). The signals the watcher makes itself (a
/// sweep's, a custom check's) carry the engine's time, as Docker's events do: their guardian compares them with the
/// container's start times, which are the engine's. (A remote engine's host may keep other time than AutoHeal's.)
/// </summary>
public sealed partial class EngineClock(IContainerRuntime runtime, TimeProvider time, ILogger<EngineClock> logger)
{
    private static readonly TimeSpan Negligible = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan ReadEvery = TimeSpan.FromMinutes(5);
    private long _offsetTicks;
    private DateTimeOffset? _readAt;
    private string? _lastProblem;

    /// <summary>How far the engine's clock is ahead of AutoHeal's (behind, when negative).</summary>
    public TimeSpan Offset => TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));

    /// <summary>Now, by the engine's clock.</summary>
    public DateTimeOffset Now() => time.GetUtcNow() + Offset;

    /// <summary>Reads the engine's time again, if <paramref name="now"/> or not for a while (a slow answer, over two seconds, is not trusted).</summary>
    public async Task SyncAsync(bool now, CancellationToken cancellationToken)
    {
        var before = time.GetUtcNow();
        if (!now && _readAt is { } last && before - last < ReadEvery)
        {
            return;
        }

        _readAt = before;
        DateTimeOffset? engine;
        try
        {
            engine = await runtime.EngineTimeAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Never a reason not to watch: a socket proxy may refuse /info. The last offset stays (none at first).
            if (ex.Message != _lastProblem)
            {
                _lastProblem = ex.Message;
                ClockUnread(logger, ex.Message);
            }

            return;
        }

        var after = time.GetUtcNow();
        if (engine is not { } then || after - before > TimeSpan.FromSeconds(2))
        {
            return;
        }

        var offset = then - (before + (after - before) / 2);
        Interlocked.Exchange(ref _offsetTicks, offset.Duration() < Negligible ? 0 : offset.Ticks);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cannot read the Docker engine's clock ({Reason}); start times are compared as if it kept AutoHeal's time")]
    private static partial void ClockUnread(ILogger logger, string reason);
}
