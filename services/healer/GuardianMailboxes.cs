using System.Collections.Concurrent;
using System.Threading.Channels;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Healer;

/// <summary>
/// The embedded <see cref="IGuardians"/>: one mailbox per container, drained by one loop, so a
/// container's inputs are decided one at a time and in order while containers proceed in parallel.
/// Each input is decided, saved (state and events in one transaction), then carried out.
/// </summary>
internal sealed class GuardianMailboxes(
    IAutoHealStore store,
    IEventSink sink,
    ISettingsSource settings,
    IServiceProvider services,
    TimeProvider time,
    ILogger<GuardianMailboxes> logger) : IGuardians, IDisposable
{
    private readonly ConcurrentDictionary<ContainerKey, Mailbox> _boxes = new();
    private readonly ConcurrentDictionary<ContainerKey, ITimer> _wakes = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly ILogger _logger = logger;
    private IHealRunner? _runner;
    private int _disposed;

    private IHealRunner Runner => _runner ??= services.GetRequiredService<IHealRunner>();

    public Task<GuardianResult> TellAsync(GuardianInput input, CancellationToken cancellationToken) =>
        _boxes.GetOrAdd(input.Key, key => new Mailbox(this, key)).Post(input, cancellationToken);

    public async Task<GuardianState?> GetAsync(ContainerKey key, CancellationToken cancellationToken) =>
        _boxes.TryGetValue(key, out var box) && box.Loaded ? box.State : await store.LoadGuardianAsync(key, cancellationToken);

    public async Task<IReadOnlyList<GuardianState>> ListAsync(CancellationToken cancellationToken)
    {
        var stored = await store.LoadGuardiansAsync(cancellationToken);
        return stored
            .Select(s => _boxes.TryGetValue(s.Key, out var box) && box.Loaded && box.State is { } live ? live : s)
            .ToList();
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

    private async Task<GuardianResult> HandleAsync(Mailbox box, GuardianInput input)
    {
        if (!box.Loaded)
        {
            box.State = await store.LoadGuardianAsync(box.Key, _stopping.Token);
            box.Loaded = true;
        }

        // A container nobody monitors, and that never was, leaves no trace.
        if (box.State is null && input is ContainerSignal { Facts.Monitored: false })
        {
            return new GuardianResult(GuardianState.New(box.Key), [], [], Accepted: false);
        }

        var before = box.State ?? GuardianState.New(box.Key);
        var result = Guardian.Decide(before, input, settings.Policy, time.GetUtcNow());
        var saved = await store.SaveAsync(result.State, result.Events, _stopping.Token);
        box.State = result.State;

        foreach (var decision in result.Decisions)
        {
            switch (decision)
            {
                case StartHeal start:
                    Runner.Start(start.Job);
                    break;
                case CancelHeal cancel:
                    Runner.Cancel(cancel.JobId);
                    break;
                case WakeAt wake:
                    WakeAt(box.Key, wake.At);
                    break;
            }
        }

        if (saved.Count > 0)
        {
            await sink.PublishAsync(saved, _stopping.Token);
        }

        return result with { Events = saved };
    }

    private sealed class Mailbox
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

        public GuardianState? State { get; set; }

        public Task<GuardianResult> Post(GuardianInput input, CancellationToken cancellationToken)
        {
            var reply = new TaskCompletionSource<GuardianResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_inbox.Writer.TryWrite((input, reply)))
            {
                reply.SetCanceled(cancellationToken);
            }

            return reply.Task.WaitAsync(cancellationToken);
        }

        private async Task DrainAsync()
        {
            var stopping = _owner._stopping.Token;
            try
            {
                await foreach (var (input, reply) in _inbox.Reader.ReadAllAsync(stopping))
                {
                    try
                    {
                        reply.TrySetResult(await _owner.HandleAsync(this, input));
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
