using System.Collections.Concurrent;
using System.Threading.Channels;

namespace AutoHeal.Healer;

/// <summary>
/// The embedded <see cref="IGuardians"/>: one mailbox per container, drained by one loop, so a
/// container's inputs are decided one at a time and in order while containers proceed in parallel. Each
/// input is a <see cref="GuardianTurn"/>, with the state kept in the store and in the mailbox; heal jobs
/// go to the <see cref="IHealRunner"/> queue, wake-ups are timers.
/// </summary>
internal sealed class GuardianMailboxes(
    IGuardianStore store,
    GuardianTurn turn,
    IHealRunner runner,
    TimeProvider time,
    ILogger<GuardianMailboxes> logger) : IGuardians, IDisposable
{
    private readonly ConcurrentDictionary<ContainerKey, Mailbox> _boxes = new();
    private readonly ConcurrentDictionary<ContainerKey, ITimer> _wakes = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly IGuardianStore _store = store;
    private readonly GuardianTurn _turn = turn;
    private readonly IHealRunner _runner = runner;
    private readonly ILogger _logger = logger;
    private int _disposed;

    public Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken) =>
        _boxes.GetOrAdd(input.Key, key => new Mailbox(this, key)).Post(input, cancellationToken);

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
        var due = at - time.GetUtcNow();
        var timer = time.CreateTimer(
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

        public Mailbox(GuardianMailboxes owner, ContainerKey key)
        {
            _owner = owner;
            Key = key;
            _ = Task.Run(DrainAsync);
        }

        public ContainerKey Key { get; }

        public volatile bool Loaded;

        public GuardianState? State { get; private set; }

        public Task<GuardianResult> Post(GuardianInput input, CancellationToken cancellationToken)
        {
            var reply = new TaskCompletionSource<GuardianResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inbox.Writer.TryWrite((input, reply)))
            {
                reply.SetCanceled(cancellationToken);
            }

            return reply.Task.WaitAsync(cancellationToken);
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
            var saved = await _owner._store.SaveAsync(state, events, cancellationToken);
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
                    try
                    {
                        reply.TrySetResult(await _owner._turn.TakeAsync(this, input, stopping));
                    }
                    catch (OperationCanceledException) when (stopping.IsCancellationRequested)
                    {
                        reply.TrySetCanceled(stopping);
                    }
                    catch (Exception ex)
                    {
                        Log.GuardianFailed(_owner._logger, Key, input.GetType().Name, ex);
                        reply.TrySetException(ex);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // shutting down: unsaved inputs are re-derived by the next start's sweep
            }
        }
    }
}
