using AutoHeal.Domain.Events;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Core.Events;

/// <summary>Every event as one structured log line; alerts as warnings.</summary>
public sealed class LoggingEventSink(ILogger<LoggingEventSink> logger) : IEventSinkPart
{
    /// <inheritdoc />
    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        foreach (var e in events)
        {
            var container = e.Key?.ToString() ?? "engine";
            if (e.Kind is EventKind.Quarantined or EventKind.HealFailed or EventKind.EngineDown or EventKind.LabelInvalid or EventKind.DataSetAside or EventKind.Storm)
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
public sealed class CompositeEventSink(IEnumerable<IEventSinkPart> parts) : IEventSink
{
    /// <inheritdoc />
    public async ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        foreach (var part in parts)
        {
            await part.PublishAsync(events, cancellationToken);
        }
    }
}

/// <summary>
/// Embedded mode's <see cref="IEventRecorder"/>: events appended to the event log (which gives them their
/// ids; a failure is the store's health), then fanned out.
/// </summary>
public sealed class LoggedEventRecorder(IEventLog log, IEventSink sink, Stores.StoreHealth health) : IEventRecorder
{
    /// <inheritdoc />
    public async Task RecordAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        IReadOnlyList<AutoHealEvent> saved;
        try
        {
            saved = await log.AppendEventsAsync(events, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            health.Failed(ex);
            throw;
        }

        health.Succeeded();
        await sink.PublishAsync(saved, cancellationToken);
    }
}
