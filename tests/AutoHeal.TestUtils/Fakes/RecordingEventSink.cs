using AutoHeal.Domain.Events;
using AutoHeal.Domain.Ports;

namespace AutoHeal.TestUtils.Fakes;

/// <summary>An <see cref="IEventSink"/> (and <see cref="IEventRecorder"/>) that keeps every event it is handed, in order.</summary>
public sealed class RecordingEventSink : IEventSink, IEventRecorder
{
    private readonly Recorded<AutoHealEvent> _events = new();

    /// <summary>Every event published so far.</summary>
    public IReadOnlyList<AutoHealEvent> Events => _events.Items;

    /// <inheritdoc />
    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        _events.AddRange(events);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc />
    public Task RecordAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken) => PublishAsync(events, cancellationToken).AsTask();
}
