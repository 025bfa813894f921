using System.Threading.Channels;

namespace AutoHeal.Healer;

/// <summary>The embedded <see cref="ISignalBus"/>: an in-process channel drained into the guardians' mailboxes.</summary>
internal sealed class InProcessSignalBus(IGuardians guardians) : BackgroundService, ISignalBus
{
    private readonly Channel<ContainerSignal> _signals =
        Channel.CreateUnbounded<ContainerSignal>(new UnboundedChannelOptions { SingleReader = true });

    public ValueTask PublishAsync(ContainerSignal signal, CancellationToken cancellationToken) =>
        _signals.Writer.WriteAsync(signal, cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var signal in _signals.Reader.ReadAllAsync(stoppingToken))
            {
                // Not awaited: each container's mailbox keeps its own order, and containers don't wait for each other.
                _ = guardians.TellAsync(signal, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
    }
}
