using AutoHeal.Docker;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// What the tests over the real Docker engine share: one <see cref="DockerRuntime"/> for the watcher, a SQLite store in a
/// folder of their own, and the run's containers, removed when the rig is disposed.
/// </summary>
public sealed class EngineRig : IAsyncDisposable
{
    private TempStore? _store;
    private DockerRuntime? _runtime;

    /// <summary>Why the tests over it are skipped, or null.</summary>
    public string? SkipReason { get; private set; }

    public DockerCli Docker { get; } = new();

    public IContainerRuntime Runtime => _runtime!;

    public IDocumentStore Store => _store!.Store;

    /// <summary>Opens the store and the runtime; false (and a printed reason) when no engine or test image is here.</summary>
    public async Task<bool> OpenAsync(string tests, string host)
    {
        SkipReason = await SurfaceWatcher.WhyNoEngineAsync();
        if (SkipReason is not null)
        {
            Console.WriteLine($"{tests} skipped: {SkipReason}");
            return false;
        }

        _store = await TempStore.OpenAsync();
        _runtime = new DockerRuntime(DockerRuntime.DefaultEndpoint, host);
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        if (SkipReason is null)
        {
            await Docker.CleanupAsync(); // one container at a time, only this run's
        }

        _runtime?.Dispose();
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }
    }
}
