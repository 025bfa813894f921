using AutoHeal.Domain.Events;
using AutoHeal.Domain.Ports;

namespace AutoHeal.TestUtils.Fakes;

/// <summary>An <see cref="IEventSink"/> that keeps every event it is handed, in order.</summary>
public sealed class RecordingEventSink : IEventSink
{
    private readonly Lock _lock = new();
    private readonly List<AutoHealEvent> _events = [];

    /// <summary>Every event published so far.</summary>
    public IReadOnlyList<AutoHealEvent> Events
    {
        get
        {
            lock (_lock)
            {
                return _events.ToList();
            }
        }
    }

    /// <inheritdoc />
    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _events.AddRange(events);
        }

        return ValueTask.CompletedTask;
    }
}
