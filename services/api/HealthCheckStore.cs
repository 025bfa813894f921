using System.Text.Json;
using AutoHeal.Contracts.Api;
using AutoHeal.Domain.Ports;
using AutoHeal.Domain.Probes;

namespace AutoHeal.Api;

/// <summary>Custom health check definitions, one per container, kept as one document in the store.</summary>
public sealed class HealthCheckStore(IAutoHealStore store, TimeProvider time) : IProbeDefinitions
{
    private volatile IReadOnlyDictionary<string, ProbeSpec>? _specs;
    private long _generation;

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, ProbeSpec>> ByContainerNameAsync(CancellationToken cancellationToken)
    {
        if (_specs is { } cached)
        {
            return cached;
        }

        // A read that raced a write must not publish what it read before the write.
        var generation = Interlocked.Read(ref _generation);
        var specs = (await ListAsync(cancellationToken)).Where(c => c.ContainerId is not null).ToDictionary(c => c.ContainerId!, ToSpec, StringComparer.Ordinal);
        if (Interlocked.Read(ref _generation) == generation)
        {
            _specs = specs;
        }

        return specs;
    }

    /// <summary>Forgets the cached definitions (distributed mode: another process may have changed them).</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _specs = null;
    }

    /// <summary>The watcher's view of a definition.</summary>
    public static ProbeSpec ToSpec(HealthCheckDefinition d) => new()
    {
        Kind = d.CheckType switch { "http" => ProbeKind.Http, "tcp" => ProbeKind.Tcp, "exec" => ProbeKind.Exec, _ => ProbeKind.Docker },
        Url = d.HttpEndpoint,
        Method = d.HttpMethod ?? "GET",
        ExpectedStatus = d.HttpExpectedStatus,
        BodyContains = d.HttpBodyContains,
        Host = d.TcpHost,
        Port = d.TcpPort,
        Command = d.ExecCommand,
        Interval = TimeSpan.FromSeconds(d.IntervalSeconds),
        Timeout = TimeSpan.FromSeconds(d.TimeoutSeconds),
        Retries = d.Retries,
        SuccessThreshold = d.SuccessThreshold,
        StartPeriod = TimeSpan.FromSeconds(d.StartPeriodSeconds),
        Source = "api",
    };

    internal const string Document = "healthchecks";
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Every definition.</summary>
    public async Task<IReadOnlyList<HealthCheckDefinition>> ListAsync(CancellationToken cancellationToken) =>
        Parse(await store.ReadDocumentAsync(Document, cancellationToken));

    private static List<HealthCheckDefinition> Parse(string? json) =>
        json is null ? [] : JsonSerializer.Deserialize<List<HealthCheckDefinition>>(json, AutoHealApiClient.Json) ?? [];

    /// <summary>Saves a valid definition for <paramref name="containerName"/>, replacing that container's previous one.</summary>
    public async Task<HealthCheckDefinition> SaveAsync(HealthCheckDefinition check, string containerName, CancellationToken cancellationToken) =>
        await SaveAsync(check, containerName, 1, cancellationToken);

    private const int MaxAttempts = 5;

    private async Task<HealthCheckDefinition> SaveAsync(HealthCheckDefinition check, string containerName, int attempt, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var doc = await store.ReadDocumentForUpdateAsync(Document, cancellationToken);
            var all = Parse(doc.Json).Where(c => c.ContainerId != containerName).ToList();
            var saved = check with
            {
                Id = Guid.NewGuid().ToString("N")[..12],
                ContainerId = containerName,
                HttpExpectedStatus = check.CheckType == "http" ? check.HttpExpectedStatus ?? 200 : check.HttpExpectedStatus,
                CreatedAt = time.GetUtcNow(),
            };
            all.Add(saved);
            await store.WriteDocumentAsync(Document, JsonSerializer.Serialize(all, AutoHealApiClient.Json), doc.Version, cancellationToken);
            Invalidate();
            return saved;
        }
        catch (DocumentConflictException) when (attempt < MaxAttempts)
        {
            // another process wrote first: read its version and apply the change to it
        }
        finally
        {
            _writer.Release();
        }

        return await SaveAsync(check, containerName, attempt + 1, cancellationToken);
    }

    /// <summary>Removes a definition; false if there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken) => await DeleteAsync(id, 1, cancellationToken);

    private async Task<bool> DeleteAsync(string id, int attempt, CancellationToken cancellationToken)
    {
        await _writer.WaitAsync(cancellationToken);
        try
        {
            var doc = await store.ReadDocumentForUpdateAsync(Document, cancellationToken);
            var all = Parse(doc.Json);
            if (all.RemoveAll(c => c.Id == id) == 0)
            {
                return false;
            }

            await store.WriteDocumentAsync(Document, JsonSerializer.Serialize(all, AutoHealApiClient.Json), doc.Version, cancellationToken);
            Invalidate();
            return true;
        }
        catch (DocumentConflictException) when (attempt < MaxAttempts)
        {
            // another process wrote first: read its version and apply the change to it
        }
        finally
        {
            _writer.Release();
        }

        return await DeleteAsync(id, attempt + 1, cancellationToken);
    }
}
