using System.Collections.Concurrent;
using AutoHeal.Domain.Guardians;

namespace AutoHeal.Core.Heals;

/// <summary>
/// The host's restart slots (its cap on restarts in flight), held by heal jobs by id: a job asking again
/// for the slot it holds gets it at once (a retried call), and a slot is given back by its job or, at the
/// latest, when its hold time has passed, so a heal in another process that died holding one cannot keep
/// it. (A heal in this process gives its slot back itself, and holds it without a time limit.) A job that
/// has left gets no slot afterwards: a late call of a heal that is over (a workflow terminated while its
/// call waited) passes on the slot it gets at once.
/// </summary>
public sealed class RestartSlots(Func<int> limit, TimeProvider time) : IDisposable
{
    /// <summary>How long a job that left is remembered, so that a late call of it is refused.</summary>
    public static readonly TimeSpan Remembered = TimeSpan.FromMinutes(30);

    private readonly RestartGate _gate = new(limit);
    private readonly ConcurrentDictionary<string, Lease> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, DateTimeOffset> _left = new(StringComparer.Ordinal);

    private int _entering;

    /// <summary>Slots held now.</summary>
    public int Held => _held.Count;

    /// <summary>Whether no job holds a slot or waits for one.</summary>
    public bool Idle => _held.IsEmpty && Volatile.Read(ref _entering) == 0;

    /// <summary>
    /// Waits up to <paramref name="wait"/> (<see cref="Timeout.InfiniteTimeSpan"/>: as long as it takes)
    /// for a slot, held for at most <paramref name="hold"/> (<see cref="Timeout.InfiniteTimeSpan"/>: until
    /// <see cref="Leave"/>); <see cref="SlotEntry.Held"/> when <paramref name="jobId"/> holds one,
    /// <see cref="SlotEntry.Busy"/> when none came free in time, <see cref="SlotEntry.Over"/> when the job left
    /// before or while it waited.
    /// </summary>
    public async Task<SlotEntry> EnterAsync(string jobId, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _entering);
        try
        {
            return await EnterOnceAsync(jobId, hold, wait, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _entering);
        }
    }

    private async Task<SlotEntry> EnterOnceAsync(string jobId, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken)
    {
        if (_held.ContainsKey(jobId))
        {
            return SlotEntry.Held;
        }

        if (_left.ContainsKey(jobId))
        {
            return SlotEntry.Over;
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
                return SlotEntry.Busy; // none came free in time
            }
        }

        if (_left.ContainsKey(jobId))
        {
            slot.Dispose(); // left while it waited: the slot goes to the next job at once
            return SlotEntry.Over;
        }

        var expiry = hold == Timeout.InfiniteTimeSpan ? null : time.CreateTimer(static s => ((LeaseExpiry)s!).Fire(), new LeaseExpiry(this, jobId), hold, Timeout.InfiniteTimeSpan);
        var lease = new Lease(slot, expiry);
        if (!_held.TryAdd(jobId, lease))
        {
            lease.Dispose(); // the same job's other call got one first: one slot per job
        }
        else if (_left.ContainsKey(jobId))
        {
            Leave(jobId); // left at this very moment
            return SlotEntry.Over;
        }

        return SlotEntry.Held;
    }

    /// <summary>Gives the job's slot back, if it holds one: the job is over here, and a call of it still waiting gets none.</summary>
    public void Leave(string jobId)
    {
        var now = time.GetUtcNow();
        _left[jobId] = now;
        if (_held.TryRemove(jobId, out var lease))
        {
            lease.Dispose();
        }

        foreach (var (id, at) in _left)
        {
            if (now - at > Remembered)
            {
                _left.TryRemove(id, out _);
            }
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var jobId in _held.Keys)
        {
            if (_held.TryRemove(jobId, out var lease))
            {
                lease.Dispose();
            }
        }
    }

    /// <summary>What a lease's expiry timer carries (a clock's observer can tell these timers from a heal's own waits).</summary>
    public sealed class LeaseExpiry
    {
        private readonly RestartSlots _slots;

        internal LeaseExpiry(RestartSlots slots, string jobId)
        {
            _slots = slots;
            JobId = jobId;
        }

        /// <summary>The job whose lease it ends.</summary>
        public string JobId { get; }

        internal void Fire() => _slots.Leave(JobId);
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
