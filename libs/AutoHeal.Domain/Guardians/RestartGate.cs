namespace AutoHeal.Domain.Guardians;

/// <summary>
/// Caps the restarts in flight on one host, so a storm of failures cannot stampede the engine.
/// The cap is read at each entry, so a settings change applies at once.
/// </summary>
public sealed class RestartGate(Func<int> limit)
{
    private readonly Lock _lock = new();
    private readonly LinkedList<TaskCompletionSource> _waiting = new();
    private int _inFlight;

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        LinkedListNode<TaskCompletionSource> node;
        lock (_lock)
        {
            if (_inFlight < Math.Max(1, limit()) && _waiting.Count == 0)
            {
                _inFlight++;
                return new Slot(this);
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            node = _waiting.AddLast(waiter);
        }

        try
        {
            await waiter.Task.WaitAsync(cancellationToken);
            return new Slot(this);
        }
        catch (OperationCanceledException)
        {
            lock (_lock)
            {
                if (node.List is not null)
                {
                    _waiting.Remove(node);
                }
                else
                {
                    Leave(); // the slot was handed over as we gave up: pass it on
                }
            }

            throw;
        }
    }

    private void Leave()
    {
        lock (_lock)
        {
            _inFlight--;
            while (_waiting.First is { } next && _inFlight < Math.Max(1, limit()))
            {
                _waiting.RemoveFirst();
                _inFlight++;
                next.Value.TrySetResult();
            }
        }
    }

    private sealed class Slot(RestartGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Leave();
            }
        }
    }
}
