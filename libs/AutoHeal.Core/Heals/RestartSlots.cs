using System.Collections.Concurrent;
using AutoHeal.Domain.Guardians;

namespace AutoHeal.Core.Heals;

/// <summary>
/// The host's restart slots (its cap on restarts in flight), held by heal jobs by id: a job asking again
/// for the slot it holds gets it at once (a retried call), and a slot is given back by its job or, at the
/// latest, when its hold time has passed, so a heal in another process that died holding one cannot keep
/// it. (A heal in this process gives its slot back itself, and holds it without a time limit.)
/// </summary>
public sealed class RestartSlots(Func<int> limit, TimeProvider time) : IDisposable
{
    private readonly RestartGate _gate = new(limit);
    private readonly ConcurrentDictionary<string, Lease> _held = new(StringComparer.Ordinal);

    /// <summary>Slots held now.</summary>
    public int Held => _held.Count;

    /// <summary>
    /// Waits up to <paramref name="wait"/> (<see cref="Timeout.InfiniteTimeSpan"/>: as long as it takes)
    /// for a slot, held for at most <paramref name="hold"/> (<see cref="Timeout.InfiniteTimeSpan"/>: until
    /// <see cref="Leave"/>); true when <paramref name="jobId"/> holds one.
    /// </summary>
    public async Task<bool> EnterAsync(string jobId, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_held.ContainsKey(jobId))
        {
            return true;
        }

        IDisposable slot;
        using (var timeout = wait == Timeout.InfiniteTimeSpan ? null : new CancellationTokenSource(wait, time))
        using (var either = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout?.Token ?? CancellationToken.None))
        {
            try
            {
                slot = await _gate.EnterAsync(either.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return false; // none came free in time
            }
        }

        var expiry = hold == Timeout.InfiniteTimeSpan ? null : time.CreateTimer(_ => Leave(jobId), null, hold, Timeout.InfiniteTimeSpan);
        var lease = new Lease(slot, expiry);
        if (!_held.TryAdd(jobId, lease))
        {
            lease.Dispose(); // the same job's other call got one first: one slot per job
        }

        return true;
    }

    /// <summary>Gives the job's slot back, if it holds one.</summary>
    public void Leave(string jobId)
    {
        if (_held.TryRemove(jobId, out var lease))
        {
            lease.Dispose();
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var jobId in _held.Keys)
        {
            Leave(jobId);
        }
    }

    private sealed record Lease(IDisposable Slot, ITimer? Expiry) : IDisposable
    {
        public void Dispose()
        {
            Expiry?.Dispose();
            Slot.Dispose();
        }
    }
}
