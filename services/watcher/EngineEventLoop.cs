namespace AutoHeal.Watcher;

/// <summary>
/// Follows the engine's event stream: connects (recreations cut short tidied and a full sweep first), hands each event to its container's
/// queue, and when the stream breaks reconnects with backoff (1 s to 30 s), replaying what it missed before
/// a full sweep; when it has gone silent (<see cref="EventStreamWatch"/>), it reconnects at once. No
/// per-container polling.
/// </summary>
public sealed class EngineEventLoop(
    IContainerRuntime runtime,
    EngineStatus engine,
    ReconcileSweep sweep,
    ContainerQueues queues,
    EngineEventProcessor handler,
    EventStreamWatch watch,
    EngineClock engineClock,
    TimeProvider time,
    ILogger<EngineEventLoop> logger) : BackgroundService
{
    private CancellationTokenSource? _stream;
    private bool _tidied;

    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ReplayGrace = TimeSpan.FromSeconds(1);

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        watch.Stale += OnStale;
        try
        {
            await FollowAsync(stoppingToken);
        }
        finally
        {
            watch.Stale -= OnStale;
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        Interlocked.Exchange(ref _stream, null)?.Dispose();
        base.Dispose();
    }

    // The stream went silent: end it, and the loop reconnects (replaying what it missed).
    private void OnStale(object? sender, EventArgs e)
    {
        try
        {
            Volatile.Read(ref _stream)?.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // that connection is over already
        }
        catch (AggregateException ex)
        {
            Log.WatchFailed(logger, ex); // a callback of the ended stream threw: the loop reconnects all the same
        }
    }

    private async Task FollowAsync(CancellationToken stoppingToken)
    {
        DateTimeOffset? lastEvent = null;
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            using var stream = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            Interlocked.Exchange(ref _stream, stream);
            try
            {
                await runtime.PingAsync(stoppingToken);
                engine.Up();
                // First what the engine refuses, so that a proxy refusing the calls below is said in its words.
                await sweep.AskAccessAsync(stoppingToken);
                var since = lastEvent;
                if (since is null)
                {
                    // First connect: a recreation this process's predecessor was killed in is finished or undone; nothing to
                    // replay, so the full sweep comes first.
                    if (!_tidied)
                    {
                        foreach (var tidied in await runtime.TidyRecreationsAsync(stoppingToken))
                        {
                            Log.RecreationTidied(logger, tidied);
                        }

                        _tidied = true; // once, before any heal of this process can recreate
                    }

                    await sweep.SweepAsync(full: true, stoppingToken);
                }
                else
                {
                    // Reconnect: the engine replays what it still holds of the missed events (a stop's kill
                    // event tells a deliberate stop from a crash); the full sweep follows them.
                    sweep.Request(full: true, after: ReplayGrace);
                }

                await engine.ConnectedAsync(stoppingToken);
                var connectedAt = engineClock.Now();
                watch.Connected(connectedAt);
                // Even before the stream delivers anything, a reconnect replays what it missed since this connection.
                lastEvent ??= connectedAt - TimeSpan.FromSeconds(1);
                delay = TimeSpan.FromSeconds(1);
                await foreach (var e in runtime.EventsAsync(since, stream.Token))
                {
                    if (since is { } s && e.At <= s)
                    {
                        continue;
                    }

                    lastEvent = e.At;
                    watch.Received(e.At);
                    queues.Enqueue(e.Id, () => handler.HandleAsync(e, stoppingToken), stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (OperationCanceledException) when (stream.IsCancellationRequested)
            {
                continue; // ended as silent: reconnect at once (replaying what it missed)
            }
            catch (EngineUnavailableException ex)
            {
                await engine.DisconnectedAsync(ex.Message, delay, stoppingToken);
            }
            catch (Exception ex)
            {
                Log.WatchFailed(logger, ex);
                await engine.DisconnectedAsync(ex.Message, delay, stoppingToken);
            }

            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = delay * 2 > MaxRetryDelay ? MaxRetryDelay : delay * 2;
        }
    }
}
