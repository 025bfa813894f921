namespace AutoHeal.Watcher;

/// <summary>Inspects with a timeout of its own: a wedged container (a stuck shim) costs at most that, never the watcher's loops.</summary>
public sealed class ContainerInspector(IContainerRuntime runtime, TimeProvider time, ILogger<ContainerInspector> logger)
{
    /// <summary>How long one inspect may take.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    /// <summary>The container, or null when there is none or the engine did not answer in time (then said in the log).</summary>
    public async Task<ContainerInfo?> TryInspectAsync(string id, string name, CancellationToken ct)
    {
        using var timeout = new CancellationTokenSource(Timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(ct, timeout.Token);
        try
        {
            return await runtime.InspectAsync(id, either.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            Log.InspectTimedOut(logger, name, Timeout);
            return null;
        }
    }
}
