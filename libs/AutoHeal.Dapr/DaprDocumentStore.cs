using Dapr;

namespace AutoHeal.Dapr;

/// <summary>
/// The shared documents (configuration, selections, check definitions) in the Dapr state store, where
/// every role of every host reads them (<c>keyPrefix: name</c>, so all see the same keys). Each write carries
/// the ETag its writer read, so writers in different processes never overwrite each other unseen.
/// </summary>
public sealed class DaprDocumentStore(DaprClient dapr) : IDocumentStore
{
    /// <inheritdoc />
    public async Task<VersionedDocument> ReadDocumentAsync(string name, CancellationToken cancellationToken)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<string?>(DaprNames.StateStore, DaprNames.DocumentKey(name), cancellationToken: cancellationToken);
        return new VersionedDocument(json, string.IsNullOrEmpty(etag) ? null : etag);
    }

    /// <inheritdoc />
    public async Task<string?> WriteDocumentAsync(string name, string json, string? expectedVersion, CancellationToken cancellationToken)
    {
        var key = DaprNames.DocumentKey(name);
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        if (expectedVersion is null)
        {
            // Absent when read: without an ETag, first-write-wins refuses the save once the key exists.
            try
            {
                await dapr.SaveStateAsync(DaprNames.StateStore, key, json, firstWrite, cancellationToken: cancellationToken);
            }
            catch (DaprException)
            {
                if ((await ReadDocumentAsync(name, cancellationToken)).Json is not null)
                {
                    throw new DocumentConflictException(name); // another process wrote it first
                }

                throw;
            }
        }
        else if (!await dapr.TrySaveStateAsync(DaprNames.StateStore, key, json, expectedVersion, firstWrite, cancellationToken: cancellationToken))
        {
            throw new DocumentConflictException(name);
        }

        // The new version is only known by reading again, and is ours only if the document read is: if
        // another process wrote in between, this process's next write must conflict and re-read.
        var written = await ReadDocumentAsync(name, cancellationToken);
        return written.Json == json ? written.Version : null;
    }
}
