using AutoHeal.Contracts.Api;
using AutoHeal.Core.Settings;
using AutoHeal.Domain.Probes;

namespace AutoHeal.Core.Probes;

/// <summary>Custom health check definitions, one per container, kept as one shared document in the store.</summary>
public sealed class HealthCheckStore(IDocumentStore store, TimeProvider time) : IProbeDefinitions, IDisposable
{
    internal const string Document = "healthchecks";

    private readonly SharedDocument<List<HealthCheckDefinition>> _document = new(store, Document, AutoHealApiClient.Json, DocumentProblems.InHealthChecks);
    private readonly SemaphoreSlim _firstLoad = new(1, 1);
    private volatile bool _loaded;
    private volatile Indexed? _specs;

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, ProbeSpec>> ByContainerNameAsync(CancellationToken cancellationToken)
    {
        var list = await ListAsync(cancellationToken);
        if (_specs is { } cached && ReferenceEquals(cached.Source, list))
        {
            return cached.ByName;
        }

        var byName = list.Where(c => c.ContainerId is not null).ToDictionary(c => c.ContainerId!, ToSpec, StringComparer.Ordinal);
        _specs = new Indexed(list, byName);
        return byName;
    }

    /// <summary>Reads the document again (distributed mode: another process may have changed it).</summary>
    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _document.LoadAsync(cancellationToken);
        _loaded = true;
        Changed?.Invoke(this, EventArgs.Empty);
    }

    /// <inheritdoc />
    public event EventHandler? Changed;

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

    /// <summary>Every definition.</summary>
    public async Task<IReadOnlyList<HealthCheckDefinition>> ListAsync(CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        return _document.Value ?? [];
    }

    /// <summary>Saves a valid definition for <paramref name="containerName"/>, replacing that container's previous one.</summary>
    public async Task<HealthCheckDefinition> SaveAsync(HealthCheckDefinition check, string containerName, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        var saved = check with
        {
            Id = Guid.NewGuid().ToString("N")[..12],
            ContainerId = containerName,
            HttpExpectedStatus = check.CheckType == "http" ? check.HttpExpectedStatus ?? 200 : check.HttpExpectedStatus,
            CreatedAt = time.GetUtcNow(),
        };
        await _document.UpdateAsync(all => [.. (all ?? []).Where(c => c.ContainerId != containerName), saved], cancellationToken);
        Changed?.Invoke(this, EventArgs.Empty);
        return saved;
    }

    /// <summary>Removes a definition; false if there was none.</summary>
    public async Task<bool> DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await EnsureLoadedAsync(cancellationToken);
        var left = await _document.UpdateAsync(
            all => all is not null && all.Any(c => c.Id == id) ? all.Where(c => c.Id != id).ToList() : null, cancellationToken);
        Changed?.Invoke(this, EventArgs.Empty);
        return left is not null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _document.Dispose();
        _firstLoad.Dispose();
    }

    private async Task EnsureLoadedAsync(CancellationToken cancellationToken)
    {
        if (_loaded)
        {
            return;
        }

        await _firstLoad.WaitAsync(cancellationToken);
        try
        {
            if (!_loaded)
            {
                await ReloadAsync(cancellationToken);
            }
        }
        finally
        {
            _firstLoad.Release();
        }
    }

    private sealed record Indexed(IReadOnlyList<HealthCheckDefinition> Source, IReadOnlyDictionary<string, ProbeSpec> ByName);
}
