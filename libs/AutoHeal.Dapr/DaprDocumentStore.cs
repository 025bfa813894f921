using Dapr;

namespace AutoHeal.Dapr;

/// <summary>
/// The shared documents (configuration, selections, check definitions) in the Dapr state store, where
/// every role of every host reads them (<c>keyPrefix: name</c>, so all see the same keys). Each write carries
/// the ETag its writer read, so writers in different processes never overwrite each other unseen.
/// </summary>
public sealed class DaprDocumentStore(DaprClient dapr, ILogger? logger = null) : IDocumentStore
{
    /// <summary>Where a document that could not be used is kept: next to it, under this suffix.</summary>
    public const string SetAsideSuffix = ".set-aside";

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

    /// <inheritdoc />
    /// <remarks>Kept under the document's key and <see cref="SetAsideSuffix"/> (the last one set aside), said in a warning line.</remarks>
    /// <remarks>
    /// Only a document that is not JSON at all (cut short, overwritten) is moved: one that parses may be another AutoHeal
    /// version's, in force in the other processes of the cluster (an upgrade under way), and is never taken from them;
    /// this process then runs with its own start-up configuration and writes nothing over it.
    /// </remarks>
    public async Task<bool> SetDocumentAsideAsync(string name, string? version, string why, CancellationToken cancellationToken)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<string?>(DaprNames.StateStore, DaprNames.DocumentKey(name), cancellationToken: cancellationToken);
        if (json is null || (version is not null && etag != version))
        {
            return true; // gone, or changed since it was read: the next read sees what is there now
        }

        if (IsJson(json))
        {
            if (logger is not null)
            {
                Log.DocumentKept(logger, name, why);
            }

            return false;
        }

        var aside = $"{DaprNames.DocumentKey(name)}{SetAsideSuffix}.{etag}";
        await dapr.SaveStateAsync(DaprNames.StateStore, aside, json, cancellationToken: cancellationToken);
        if (await dapr.TryDeleteStateAsync(DaprNames.StateStore, DaprNames.DocumentKey(name), etag, cancellationToken: cancellationToken) && logger is not null)
        {
            Log.DocumentSetAside(logger, name, why, aside);
        }

        return true;
    }

    private static bool IsJson(string text)
    {
        try
        {
            using var _ = System.Text.Json.JsonDocument.Parse(text);
            return true;
        }
        catch (System.Text.Json.JsonException)
        {
            return false;
        }
    }
}
