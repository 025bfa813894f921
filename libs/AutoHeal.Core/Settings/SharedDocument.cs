using System.Text.Json;

namespace AutoHeal.Core.Settings;

/// <summary>
/// One JSON document of the store as this process holds it: the value in force and the store's version
/// of it. A change is written against that version; when another process wrote first, the document is
/// read again and the change applied to the newer value. A stored value this process cannot accept (it
/// does not parse, or <paramref name="problem"/> finds one) is never put in force: what is read back from a store
/// is checked exactly like what the API accepts, since whoever can write the store need not be AutoHeal. Found at start, it is set
/// aside in the store (kept for the operator, <see cref="IDocumentStore.SetDocumentAsideAsync"/>) so the process
/// starts with the rest. Found later (another process wrote it: a newer version, say), its version is not taken
/// either: a write based on the older value then conflicts, rather than overwrite what this process could not read.
/// </summary>
/// <typeparam name="T">The document's type.</typeparam>
/// <param name="store">Where the document is kept.</param>
/// <param name="name">Its name in the store.</param>
/// <param name="json">How it is written and read.</param>
/// <param name="problem">Why a value read from the store may not be put in force, naming the field; null when it may (any parsed value by default).</param>
public sealed class SharedDocument<T>(IDocumentStore store, string name, JsonSerializerOptions json, Func<T, string?>? problem = null)
    : IDisposable
    where T : class
{
    /// <summary>Tries of a write that another process's write got ahead of.</summary>
    public const int MaxAttempts = 5;

    private readonly SemaphoreSlim _writer = new(1, 1);
    private volatile InForce _now = new(null, null);
    private bool _readOnce; // under _writer

    /// <summary>The document's name in the store.</summary>
    public string Name => name;

    /// <summary>The value in force; null while the store has none this process accepted.</summary>
    public T? Value => _now.Value;

    /// <summary>Reads the stored document and puts it in force if this process accepts it; true when the value in force changed.</summary>
    public async Task<bool> LoadAsync(CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            return await LoadCoreAsync(cancellationToken);
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>
    /// Applies a change: <paramref name="change"/> gets the value in force (null when there is none) and
    /// returns the new value, or null to change nothing. Writers in this process take turns; one that
    /// another process got ahead of applies its change again to the newer value, up to
    /// <see cref="MaxAttempts"/> times, then throws <see cref="DocumentConflictException"/>.
    /// </summary>
    /// <returns>The value written, or null when <paramref name="change"/> changed nothing.</returns>
    public async Task<T?> UpdateAsync(Func<T?, T?> change, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var now = _now;
                if (change(now.Value) is not { } next)
                {
                    return null;
                }

                try
                {
                    var version = await store.WriteDocumentAsync(name, JsonSerializer.Serialize(next, json), now.Version, cancellationToken);
                    _now = new InForce(next, version);
                    return next;
                }
                catch (DocumentConflictException) when (attempt < MaxAttempts)
                {
                    await LoadCoreAsync(cancellationToken); // another process wrote first: apply the change to its version
                }
            }
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _writer.Dispose();

    private async Task<bool> LoadCoreAsync(CancellationToken cancellationToken)
    {
        var doc = await store.ReadDocumentAsync(name, cancellationToken);
        var now = _now;
        var first = !_readOnce;
        _readOnce = true;
        if (doc.Json is null)
        {
            _now = now with { Version = doc.Version }; // none stored: the next write creates it
            return false;
        }

        if (Parse(doc.Json, out var why) is not { } read)
        {
            if (!first)
            {
                return false; // running already: kept as it is, value and version (see the class summary)
            }

            // At start, with nothing in force: set aside, so this process starts with the rest.
            if (!await store.SetDocumentAsideAsync(name, doc.Version, why!, cancellationToken))
            {
                return false; // kept where it is (another process may use it): value and version not taken, as above
            }

            var after = await store.ReadDocumentAsync(name, cancellationToken);
            _now = now with { Version = after.Version }; // the next write creates the document afresh
            return false;
        }

        _now = new InForce(read, doc.Version);
        return now.Value is null || JsonSerializer.Serialize(now.Value, json) != JsonSerializer.Serialize(read, json);
    }

    private T? Parse(string text, out string? why)
    {
        why = null;
        try
        {
            switch (JsonSerializer.Deserialize<T>(text, json))
            {
                case null:
                    why = "it is empty";
                    return null;
                case { } value when problem?.Invoke(value) is { } refused:
                    why = refused;
                    return null;
                case { } value:
                    return value;
            }
        }
        catch (JsonException ex)
        {
            why = ex.Message;
            return null;
        }
    }

    private sealed record InForce(T? Value, string? Version);
}
