using AutoHeal.Domain.Ports;

namespace AutoHeal.TestUtils.Fakes;

/// <summary>
/// A shared document store as several processes see it (the Dapr state store's first-write-wins with ETags): a
/// write succeeds only against the version it was based on. Each process is its own client of the one store.
/// </summary>
public sealed class InMemoryDocumentStore : IDocumentStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (string Json, string Version)> _documents = new(StringComparer.Ordinal);
    private int _versions;

    /// <summary>Writes refused because another write got there first.</summary>
    public int Conflicts { get; private set; }

    /// <summary>Writes stored.</summary>
    public int Writes { get; private set; }

    /// <summary>The stored text of a document, or null.</summary>
    public string? Raw(string name)
    {
        lock (_lock)
        {
            return _documents.TryGetValue(name, out var d) ? d.Json : null;
        }
    }

    /// <summary>Stores a document as another process (or an older AutoHeal) would, whatever it holds.</summary>
    public void Put(string name, string json)
    {
        lock (_lock)
        {
            _documents[name] = (json, $"v{++_versions}");
        }
    }

    /// <inheritdoc />
    public Task<VersionedDocument> ReadDocumentAsync(string name, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            return Task.FromResult(_documents.TryGetValue(name, out var d) ? new VersionedDocument(d.Json, d.Version) : new VersionedDocument(null, null));
        }
    }

    /// <inheritdoc />
    public Task<string?> WriteDocumentAsync(string name, string json, string? expectedVersion, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            var current = _documents.TryGetValue(name, out var d) ? d.Version : null;
            if (current != expectedVersion)
            {
                Conflicts++;
                throw new DocumentConflictException(name);
            }

            var version = $"v{++_versions}";
            _documents[name] = (json, version);
            Writes++;
            return Task.FromResult<string?>(version);
        }
    }

    /// <summary>Documents set aside, by name: what they held.</summary>
    public Dictionary<string, string> SetAside { get; } = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public Task<bool> SetDocumentAsideAsync(string name, string? version, string why, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_documents.TryGetValue(name, out var d) && (version is null || d.Version == version))
            {
                SetAside[name] = d.Json;
                _documents.Remove(name);
            }
        }

        return Task.FromResult(true);
    }
}
