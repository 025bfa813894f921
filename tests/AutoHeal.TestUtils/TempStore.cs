using AutoHeal.Sqlite;

namespace AutoHeal.TestUtils;

/// <summary>A real SQLite store in a temp folder of its own; disposing it closes the store and deletes the folder.</summary>
public sealed class TempStore : IAsyncDisposable
{
    private readonly TempFolder _folder;

    private TempStore(TempFolder folder, SqliteStore store)
    {
        _folder = folder;
        Store = store;
    }

    /// <summary>The store (10 000 events kept).</summary>
    public SqliteStore Store { get; }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the TempStore owns the folder")]
    public static async Task<TempStore> OpenAsync()
    {
        var folder = new TempFolder();
        return new TempStore(folder, await SqliteStore.OpenAsync(folder.Path, retention: 10_000, CancellationToken.None));
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        _folder.Dispose();
    }
}
