using AutoHeal.Domain.Events;
using AutoHeal.Domain.Ports;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Healer;

/// <summary>Every event as one structured log line; alerts as warnings.</summary>
internal sealed class LoggingEventSink(ILogger<LoggingEventSink> logger) : IEventSinkPart
{
    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            var container = e.Key?.ToString() ?? "engine";
            if (e.Kind is EventKind.Quarantined or EventKind.HealFailed or EventKind.EngineDown or EventKind.LabelInvalid)
            {
                Log.Alert(logger, container, e.Kind, e.Message);
            }
            else
            {
                Log.Event(logger, container, e.Kind, e.Message);
            }
        }

        return ValueTask.CompletedTask;
    }
}

/// <summary>Hands events to every registered sink in turn.</summary>
internal sealed class CompositeEventSink(IEnumerable<IEventSinkPart> parts) : IEventSink
{
    public async ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        foreach (var part in parts)
        {
            await part.PublishAsync(events, cancellationToken);
        }
    }
}
