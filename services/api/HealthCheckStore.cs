using System.Text.Json;
using AutoHeal.Contracts.Api;
using AutoHeal.Domain.Ports;

namespace AutoHeal.Api;

/// <summary>Custom health check definitions, one per container, kept as one document in the store.</summary>
public sealed class HealthCheckStore(IAutoHealStore store, TimeProvider time)
{
    internal const string Document = "healthchecks";
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Every definition.</summary>
    public async Task<IReadOnlyList<HealthCheckDefinition>> ListAsync(CancellationToken cancellationToken) =>
        await store.ReadDocumentAsync(Document, cancellationToken) is { } json
            ? JsonSerializer.Deserialize<List<HealthCheckDefinition>>(json, AutoHealApiClient.Json) ?? []
            : [];

    /// <summary>Saves a valid definition for <paramref name="containerName"/>, replacing that container's previous one.</summary>
    public async Task<HealthCheckDefinition> SaveAsync(HealthCheckDefinition check, string containerName, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var all = (await ListAsync(cancellationToken)).Where(c => c.ContainerId != containerName).ToList();
            var saved = check with
            {
                Id = Guid.NewGuid().ToString("N")[..12],
                ContainerId = containerName,
                HttpExpectedStatus = check.CheckType == "http" ? check.HttpExpectedStatus ?? 200 : check.HttpExpectedStatus,
                CreatedAt = time.GetUtcNow(),
            };
            all.Add(saved);
            await store.WriteDocumentAsync(Document, JsonSerializer.Serialize(all, AutoHealApiClient.Json), cancellationToken);
            return saved;
        }
        finally
        {
            _writer.Release();
        }
    }

    /// <summary>Removes a definition; false if there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var all = (await ListAsync(cancellationToken)).ToList();
            if (all.RemoveAll(c => c.Id == id) == 0)
            {
                return false;
            }

            await store.WriteDocumentAsync(Document, JsonSerializer.Serialize(all, AutoHealApiClient.Json), cancellationToken);
            return true;
        }
        finally
        {
            _writer.Release();
        }
    }
}
