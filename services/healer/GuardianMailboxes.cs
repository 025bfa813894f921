using System.Collections.Concurrent;
using System.Threading.Channels;
using AutoHeal.Core.Stores;

namespace AutoHeal.Healer;

/// <summary>
/// The embedded <see cref="IGuardians"/>: one mailbox per container, drained by one loop, so a
/// container's inputs are decided one at a time and in order while containers proceed in parallel. Each
/// input is a <see cref="GuardianTurn"/>, with the state kept in the store and in the mailbox; heal jobs
/// go to the <see cref="IHealRunner"/> queue, wake-ups are timers. A signal or wake-up whose turn cannot be
/// saved (a full disk) is taken again, and again, until it is: the watcher has moved on, and would not say it twice.
/// </summary>
internal sealed class GuardianMailboxes(
    IGuardianStore store,
    GuardianTurn turn,
    IHealRunner runner,
    StoreHealth health,
    TimeProvider time,
    ILogger<GuardianMailboxes> logger) : IGuardians, ILoopHealth, IDisposable
{
    /// <summary>The longest wait between two tries of an input that could not be saved.</summary>
    public static readonly TimeSpan SaveRetryMax = TimeSpan.FromSeconds(5);

    /// <summary>How long one input may keep a guardian busy before its mailbox counts as stuck (a turn takes milliseconds).</summary>
    public static readonly TimeSpan StuckAfter = TimeSpan.FromMinutes(2);

    private readonly ConcurrentDictionary<ContainerKey, Mailbox> _boxes = new();
    private readonly ConcurrentDictionary<ContainerKey, ITimer> _wakes = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly IGuardianStore _store = store;
    private readonly GuardianTurn _turn = turn;
    private readonly IHealRunner _runner = runner;
    private readonly ILogger _logger = logger;
    private readonly StoreHealth _health = health;
    private readonly TimeProvider _time = time;
    private int _disposed;

    private DateTimeOffset Now => _time.GetUtcNow();

    public Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var box = _boxes.GetOrAdd(input.Key, key => new Mailbox(this, key));
            if (box.TryPost(input, cancellationToken) is { } reply)
            {
                return reply;
            }

            _boxes.TryRemove(new KeyValuePair<ContainerKey, Mailbox>(input.Key, box)); // closed by Prune meanwhile
        }
    }

    /// <summary>Mailboxes held now.</summary>
    public int Count => _boxes.Count;

    /// <inheritdoc />
    /// <remarks>A store that takes no writes keeps its inputs being tried again: that is said by the store's health too.</remarks>
    public string? WhyStuck(DateTimeOffset now)
    {
        foreach (var (key, box) in _boxes)
        {
            if (box.BusySince is { } since && now - since > StuckAfter)
            {
                return $"the guardian of {key} has been on one input for {(now - since).TotalSeconds:0} s ({box.Waiting} waiting): its mailbox is not draining";
            }
        }

        return null;
    }

    /// <summary>
    /// Lets go of the idle mailboxes of containers removed over <paramref name="removedFor"/> ago (their state stays in
    /// the store), of containers never monitored that nothing was posted to for that long (they have no state), and of
    /// those in <paramref name="forgotten"/> (their state is gone from the store).
    /// </summary>
    public void Prune(TimeSpan removedFor, IReadOnlyCollection<ContainerKey> forgotten)
    {
        var now = Now;
        foreach (var (key, box) in _boxes)
        {
            var gone = forgotten.Contains(key)
                || box is { Loaded: true, State: { Phase: GuardianPhase.Removed, RemovedAt: { } at } } && now - at > removedFor
                || box.State is null && now - box.LastPost > removedFor; // never monitored, it left no trace: only its mailbox
            if (gone && box.TryClose())
            {
                _boxes.TryRemove(new KeyValuePair<ContainerKey, Mailbox>(key, box));
                if (_wakes.TryRemove(key, out var wake))
                {
                    wake.Dispose();
                }
            }
        }
    }

    public async Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken) =>
        _boxes.TryGetValue(key, out var box) && box.Loaded ? box.State : await _store.LoadGuardianAsync(key, cancellationToken);

    public async Task<IReadOnlyDictionary<ContainerKey, GuardianState>> GetManyAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken cancellationToken)
    {
        var states = new Dictionary<ContainerKey, GuardianState>();
        var unread = new List<ContainerKey>();
        foreach (var key in keys)
        {
            if (!_boxes.TryGetValue(key, out var box) || !box.Loaded)
            {
                unread.Add(key);
            }
            else if (box.State is { } live)
            {
                states[key] = live;
            }
        }

        foreach (var saved in await _store.LoadGuardiansAsync(unread, cancellationToken))
        {
            states.TryAdd(saved.Key, saved);
        }

        return states;
    }

    /// <summary>Sends the container's guardian a <see cref="Wake"/> at <paramref name="at"/>.</summary>
    public void WakeAt(ContainerKey key, DateTimeOffset at)
    {
        var due = at - Now;
        var timer = _time.CreateTimer(
            _ => _ = TellAsync(new Wake(key), _stopping.Token),
            null,
            due > TimeSpan.Zero ? due : TimeSpan.Zero,
            Timeout.InfiniteTimeSpan);
        if (_wakes.TryGetValue(key, out var old))
        {
            old.Dispose();
        }

        _wakes[key] = timer;
    }

    // Registered as itself and as IGuardians, so the container disposes it twice.
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stopping.Cancel();
        foreach (var timer in _wakes.Values)
        {
            timer.Dispose();
        }

        _stopping.Dispose();
    }

    /// <summary>One container's inbox, its loop, and where its guardian's turns keep their state.</summary>
    private sealed class Mailbox : IGuardianHome
    {
        private readonly Channel<(GuardianInput Input, TaskCompletionSource<GuardianResult> Reply)> _inbox =
            Channel.CreateUnbounded<(GuardianInput, TaskCompletionSource<GuardianResult>)>(new UnboundedChannelOptions { SingleReader = true });

        private readonly GuardianMailboxes _owner;
        // Inputs posted and not yet answered; -1 once closed (no more are taken).
        private int _pending;
        // When the input being decided now was taken (UTC ticks); 0 while idle.
        private long _busySince;

        /// <summary>Since when the input being decided now has kept it busy; null while idle.</summary>
        public DateTimeOffset? BusySince => Interlocked.Read(ref _busySince) is var t and not 0 ? new DateTimeOffset(t, TimeSpan.Zero) : null;

        /// <summary>Inputs posted and not yet answered.</summary>
        public int Waiting => Math.Max(0, Volatile.Read(ref _pending));

        public Mailbox(GuardianMailboxes owner, ContainerKey key)
        {
            _owner = owner;
            Key = key;
            _ = Task.Run(DrainAsync);
        }

        public ContainerKey Key { get; }

        public volatile bool Loaded;

        public GuardianState? State { get; private set; }

        /// <summary>Queues the input; null when the mailbox is closed (post to a new one).</summary>
        /// <summary>When an input was last posted.</summary>
        public DateTimeOffset LastPost => new(Interlocked.Read(ref _lastPostTicks), TimeSpan.Zero);

        private long _lastPostTicks;

        public Task<GuardianResult>? TryPost(GuardianInput input, CancellationToken cancellationToken)
        {
            Interlocked.Exchange(ref _lastPostTicks, _owner.Now.UtcTicks);
            for (var pending = Volatile.Read(ref _pending); ; pending = Volatile.Read(ref _pending))
            {
                if (pending < 0)
                {
                    return null;
                }

                if (Interlocked.CompareExchange(ref _pending, pending + 1, pending) == pending)
                {
                    break;
                }
            }

            var reply = new TaskCompletionSource<GuardianResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inbox.Writer.TryWrite((input, reply)))
            {
                reply.SetCanceled(cancellationToken);
            }

            return reply.Task.WaitAsync(cancellationToken);
        }

        /// <summary>Closes the mailbox if nothing is queued or under way in it; true when closed.</summary>
        public bool TryClose()
        {
            if (Interlocked.CompareExchange(ref _pending, -1, 0) != 0)
            {
                return false;
            }

            _inbox.Writer.TryComplete();
            return true;
        }

        public async Task<GuardianState?> LoadAsync(CancellationToken cancellationToken)
        {
            if (!Loaded)
            {
                State = await _owner._store.LoadGuardianAsync(Key, cancellationToken);
                Loaded = true;
            }

            return State;
        }

        public async Task<IReadOnlyList<AutoHealEvent>> SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
        {
            IReadOnlyList<AutoHealEvent> saved;
            try
            {
                saved = await _owner._store.SaveAsync(state, events, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _owner._health.Failed(ex);
                throw new UnsavedTurnException(ex);
            }

            _owner._health.Succeeded();
            State = state;
            return saved;
        }

        public Task StartHealAsync(HealJob job, CancellationToken cancellationToken)
        {
            _owner._runner.Start(job);
            return Task.CompletedTask;
        }

        public Task CancelHealAsync(ContainerKey key, string jobId, string reason, CancellationToken cancellationToken)
        {
            _owner._runner.Cancel(jobId);
            return Task.CompletedTask;
        }

        public Task WakeAtAsync(ContainerKey key, DateTimeOffset at, CancellationToken cancellationToken)
        {
            _owner.WakeAt(key, at);
            return Task.CompletedTask;
        }

        public Task HealEndedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        private async Task DrainAsync()
        {
            var stopping = _owner._stopping.Token;
            try
            {
                await foreach (var (input, reply) in _inbox.Reader.ReadAllAsync(stopping))
                {
                    Interlocked.Exchange(ref _busySince, _owner.Now.UtcTicks);
                    try
                    {
                        await TakeUntilSavedAsync(input, reply, stopping);
                    }
                    finally
                    {
                        Interlocked.Exchange(ref _busySince, 0);
                        Interlocked.Decrement(ref _pending);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // shutting down: unsaved inputs are re-derived by the next start's sweep
            }
        }

        private async Task TakeUntilSavedAsync(GuardianInput input, TaskCompletionSource<GuardianResult> reply, CancellationToken stopping)
        {
            for (var wait = TimeSpan.FromMilliseconds(500); ; wait = wait * 2 < SaveRetryMax ? wait * 2 : SaveRetryMax)
            {
                try
                {
                    reply.TrySetResult(await _owner._turn.TakeAsync(this, input, stopping));
                    return;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                {
                    reply.TrySetCanceled(stopping);
                    throw;
                }
                catch (UnsavedTurnException ex) when (input is ContainerSignal or Wake)
                {
                    // Nothing of the turn was kept: the same input is decided again once the store takes writes.
                    Log.TurnNotSaved(_owner._logger, Key, input.GetType().Name, wait, ex.InnerException!.Message);
                    try
                    {
                        await Task.Delay(wait, _owner._time, stopping);
                    }
                    catch (OperationCanceledException)
                    {
                        reply.TrySetCanceled(stopping);
                        throw;
                    }
                }
                catch (Exception ex)
                {
                    Log.GuardianFailed(_owner._logger, Key, input.GetType().Name, ex);
                    reply.TrySetException(ex is UnsavedTurnException { InnerException: { } inner } ? inner : ex);
                    return;
                }
            }
        }
    }
}

/// <summary>A guardian's turn whose state and events could not be saved: nothing of it was kept.</summary>
internal sealed class UnsavedTurnException(Exception inner) : Exception($"the guardian's state could not be saved: {inner.Message}", inner);
