using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Events;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Dapr;
using Dapr.Client;

namespace AutoHeal.Api.Dapr;

/// <summary>
/// The distributed <see cref="IAutoHealStore"/>. Shared documents (configuration, selections, check
/// definitions) live in the Dapr state store; each change is written with the ETag its writer read
/// (<see cref="ReadDocumentForUpdateAsync"/>), so writers in different processes never overwrite each
/// other unseen. Guardian state lives in each
/// container's actor, not here. The event log is the API's: every role publishes its events to
/// <c>heal-events</c>, and the API's subscription (<see cref="EventProjection"/>) appends them to its own
/// SQLite file (<paramref name="eventLog"/>). So appending here only hands the events back (they are
/// logged once, when they come back from the topic), and reading finds none without an event log.
/// </summary>
public sealed class DaprStore(DaprClient dapr, ApiEventLog? eventLog = null) : IAutoHealStore
{
    /// <inheritdoc />
    public async Task<string?> ReadDocumentAsync(string name, CancellationToken cancellationToken) =>
        (await ReadDocumentForUpdateAsync(name, cancellationToken)).Json;

    /// <inheritdoc />
    public async Task<VersionedDocument> ReadDocumentForUpdateAsync(string name, CancellationToken cancellationToken)
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
                if ((await ReadDocumentForUpdateAsync(name, cancellationToken)).Json is not null)
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
        var written = await ReadDocumentForUpdateAsync(name, cancellationToken);
        return written.Json == json ? written.Version : null;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AutoHealEvent>> AppendEventsAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken) =>
        Task.FromResult(events);

    /// <inheritdoc />
    public Task<IReadOnlyList<AutoHealEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken) =>
        eventLog is null ? Task.FromResult<IReadOnlyList<AutoHealEvent>>([]) : eventLog.Store.ReadEventsAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<GuardianState?> LoadGuardianAsync(ContainerKey key, CancellationToken cancellationToken) => throw InActors();

    /// <inheritdoc />
    public Task<IReadOnlyList<GuardianState>> LoadGuardiansAsync(CancellationToken cancellationToken) => throw InActors();

    /// <inheritdoc />
    public Task<IReadOnlyList<AutoHealEvent>> SaveAsync(GuardianState state, IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken) => throw InActors();

    private static NotSupportedException InActors() => new("in distributed mode guardian state lives in the ContainerActor (read it through IGuardians)");
}

/// <summary>The API's own event log in distributed mode (a SQLite file in its data folder), fed by <c>heal-events</c>.</summary>
public sealed record ApiEventLog(IAutoHealStore Store);
