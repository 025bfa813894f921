namespace AutoHeal.Watcher;

/// <summary>
/// Turns what the watcher saw of a container into a <see cref="ContainerSignal"/> for its guardian: the
/// container's facts with the selection verdict in force, on the signal bus.
/// </summary>
public sealed class SignalPublisher(ISignalBus bus, ContainerCatalog catalog, ILogger<SignalPublisher> logger)
{
    /// <summary>Publishes a signal about <paramref name="container"/> at <paramref name="at"/> (the engine's time of the event).</summary>
    public async Task PublishAsync(
        SignalKind kind, ContainerInfo container, DateTimeOffset at, CancellationToken ct, int? exitCode = null, string? detail = null)
    {
        var verdict = catalog.Select(container);
        if (verdict.Monitored)
        {
            Log.Signal(logger, container.Key, kind, detail);
        }

        await bus.PublishAsync(new ContainerSignal(container.Key, kind, at, container.ToFacts(verdict)) { ExitCode = exitCode, Detail = detail }, ct);
    }
}
