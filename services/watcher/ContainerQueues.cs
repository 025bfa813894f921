namespace AutoHeal.Watcher;

/// <summary>
/// Work per container, in order for one container and in parallel across containers: one container's
/// slow inspect never delays another's crash. A container's queue is forgotten once it is empty.
/// </summary>
public sealed class ContainerQueues(ILogger<ContainerQueues> logger)
{
    private readonly Dictionary<string, Task> _tails = new(StringComparer.Ordinal);

    /// <summary>Queues <paramref name="work"/> behind the container's earlier work.</summary>
    public void Enqueue(string containerId, Func<Task> work, CancellationToken ct)
    {
        Task mine;
        lock (_tails)
        {
            mine = RunAfterAsync(_tails.TryGetValue(containerId, out var previous) ? previous : Task.CompletedTask, work, ct);
            _tails[containerId] = mine;
        }

        _ = mine.ContinueWith(
            done =>
            {
                lock (_tails)
                {
                    if (_tails.TryGetValue(containerId, out var current) && current == done)
                    {
                        _tails.Remove(containerId);
                    }
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    private async Task RunAfterAsync(Task previous, Func<Task> work, CancellationToken ct)
    {
        await previous.ConfigureAwait(false);
        try
        {
            await work();
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Domain.Ports.EngineUnavailableException)
        {
            // the event loop notices the engine is gone and reconnects; the sweep catches up
        }
        catch (Exception ex)
        {
            Log.WatchFailed(logger, ex);
        }
    }
}
