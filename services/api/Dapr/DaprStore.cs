using System.Collections.Concurrent;
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
/// definitions) live in the Dapr state store, written with the ETag of the last read, so concurrent
/// writers in different processes never overwrite each other unseen. Guardian state lives in each
/// container's actor, not here. The event log is the API's: every role publishes its events to
/// <c>heal-events</c>, and the API's subscription (<see cref="EventProjection"/>) appends them to its own
/// SQLite file (<paramref name="eventLog"/>). So appending here only hands the events back (they are
/// logged once, when they come back from the topic), and reading finds none without an event log.
/// </summary>
public sealed class DaprStore(DaprClient dapr, ApiEventLog? eventLog = null) : IAutoHealStore
{
    private readonly ConcurrentDictionary<string, string> _etags = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public async Task<string?> ReadDocumentAsync(string name, CancellationToken cancellationToken)
    {
        var (json, etag) = await dapr.GetStateAndETagAsync<string?>(DaprNames.StateStore, DaprNames.DocumentKey(name), cancellationToken: cancellationToken);
        if (string.IsNullOrEmpty(etag))
        {
            _etags.TryRemove(name, out _);
        }
        else
        {
            _etags[name] = etag;
        }

        return json;
    }

    /// <inheritdoc />
    public async Task WriteDocumentAsync(string name, string json, CancellationToken cancellationToken)
    {
        var key = DaprNames.DocumentKey(name);
        var firstWrite = new StateOptions { Concurrency = ConcurrencyMode.FirstWrite };
        if (!_etags.TryGetValue(name, out var etag))
        {
            // Absent when last read: without an ETag, first-write-wins refuses the save once the key exists.
            try
            {
                await dapr.SaveStateAsync(DaprNames.StateStore, key, json, firstWrite, cancellationToken: cancellationToken);
            }
            catch (DaprException)
            {
                var (_, current) = await dapr.GetStateAndETagAsync<string?>(DaprNames.StateStore, key, cancellationToken: cancellationToken);
                if (!string.IsNullOrEmpty(current))
                {
                    throw new DocumentConflictException(name); // another process wrote it first
                }

                throw;
            }
        }
        else if (!await dapr.TrySaveStateAsync(DaprNames.StateStore, key, json, etag, firstWrite, cancellationToken: cancellationToken))
        {
            throw new DocumentConflictException(name);
        }

        // The new ETag is only known by reading again. Keep it only if the document read is still ours: if
        // another process wrote in between, the stale ETag stays, so this process's next write conflicts,
        // reads that version and applies its change to it, instead of overwriting it unseen.
        var (stored, newEtag) = await dapr.GetStateAndETagAsync<string?>(DaprNames.StateStore, key, cancellationToken: cancellationToken);
        if (stored == json && !string.IsNullOrEmpty(newEtag))
        {
            _etags[name] = newEtag;
        }
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
