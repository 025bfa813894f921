using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using AutoHeal.Domain.Ports;
using Dapr.Client;

namespace AutoHeal.Contracts.Dapr;

/// <summary>The Docker engines of every host, each reached through its watcher.</summary>
public interface IWatcherClients
{
    /// <summary>The watcher of <paramref name="host"/>, which serves its engine as heal steps need it.</summary>
    WatcherClient For(string host);
}

/// <summary>Watchers reached by Dapr service invocation (app id <c>autoheal-watcher-host</c>).</summary>
public sealed class DaprWatcherClients : IWatcherClients
{
    private readonly ConcurrentDictionary<string, WatcherClient> _clients = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public WatcherClient For(string host) =>
        _clients.GetOrAdd(host, h =>
        {
            var appId = DaprNames.WatcherAppId(h);
            var http = DaprClient.CreateInvokeHttpClient(appId);
            // Above the resiliency policy's 120 s for calls to watchers: a restart waits for the
            // host's restart slot and for Docker's stop timeout.
            http.Timeout = TimeSpan.FromSeconds(130);
            return new WatcherClient(http, $"dapr://{appId}");
        });
}

/// <summary>Docker refused an operation (the watcher's 409), in Docker's words.</summary>
public sealed class WatcherRefusedException(string message) : Exception(message);

/// <summary>The container was not as expected once the watcher could restart it (the watcher's 412).</summary>
public sealed class ContainerChangedException(string message) : Exception(message);

/// <summary>
/// The part of <see cref="IContainerRuntime"/> heal steps use (inspect, restart, log tail) over a
/// watcher's HTTP routes (<see cref="WatcherRoutes"/>). The watcher's 503 (engine down) becomes
/// <see cref="EngineUnavailableException"/>, its 409 <see cref="WatcherRefusedException"/>; anything
/// else unexpected is an <see cref="HttpRequestException"/>, which workflow retry policies retry.
/// </summary>
public sealed class WatcherClient(HttpClient http, string endpoint) : IContainerRuntime
{
    /// <inheritdoc />
    public string Endpoint => endpoint;

    /// <inheritdoc />
    public async Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(WatcherRoutes.Container(idOrName), cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await ReadAsync<ContainerInfo>(response, cancellationToken);
    }

    /// <inheritdoc />
    public async Task RestartAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(WatcherRoutes.Restart(id, stopTimeout), null, cancellationToken);
        await ThrowUnlessSuccessAsync(response, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(WatcherRoutes.Logs(container.Id, lines), cancellationToken);
        return await ReadAsync<List<string>>(response, cancellationToken);
    }

    /// <summary>
    /// Restarts the container only if, once the watcher holds the host's restart slot, it is still as the
    /// caller saw it (<paramref name="status"/>, <paramref name="startedAt"/>); otherwise throws <see cref="ContainerChangedException"/>.
    /// </summary>
    public async Task RestartIfUnchangedAsync(
        string id, TimeSpan stopTimeout, Domain.Containers.ContainerStatus status, DateTimeOffset? startedAt, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(WatcherRoutes.Restart(id, stopTimeout, status, startedAt), null, cancellationToken);
        if (response.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
        {
            throw new ContainerChangedException(await ProblemDetailAsync(response, cancellationToken));
        }

        await ThrowUnlessSuccessAsync(response, cancellationToken);
    }

    /// <summary>The watcher's host, engine and containers.</summary>
    public async Task<WatcherSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(WatcherRoutes.Snapshot, cancellationToken);
        return await ReadAsync<WatcherSnapshot>(response, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ContainerSummary>> ListAsync(CancellationToken cancellationToken) => throw NotServed();

    /// <inheritdoc />
    public IAsyncEnumerable<ContainerEvent> EventsAsync(DateTimeOffset? since, CancellationToken cancellationToken) => throw NotServed();

    /// <inheritdoc />
    public Task<bool> PingAsync(CancellationToken cancellationToken) => throw NotServed();

    /// <inheritdoc />
    public Task<ExecResult> ExecAsync(string id, string command, CancellationToken cancellationToken) => throw NotServed();

    // The watcher itself lists, follows events and probes; other roles never need to.
    private NotSupportedException NotServed() => new($"the watcher at {endpoint} serves only inspect, restart and logs to other roles");

    private async Task<T> ReadAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await ThrowUnlessSuccessAsync(response, cancellationToken);
        return await response.Content.ReadFromJsonAsync<T>(DaprWire.Json, cancellationToken)
            ?? throw new HttpRequestException($"the watcher at {endpoint} sent an empty answer");
    }

    private async Task ThrowUnlessSuccessAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode)
        {
            return;
        }

        var detail = await ProblemDetailAsync(response, cancellationToken);
        throw response.StatusCode switch
        {
            HttpStatusCode.ServiceUnavailable => new EngineUnavailableException(detail),
            HttpStatusCode.Conflict => new WatcherRefusedException(detail),
            _ => new HttpRequestException($"the watcher at {endpoint} answered {(int)response.StatusCode}: {detail}", null, response.StatusCode),
        };
    }

    private static async Task<string> ProblemDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            using var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            foreach (var field in (string[])["detail", "title"])
            {
                if (problem.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object
                    && problem.RootElement.TryGetProperty(field, out var text) && text.ValueKind == System.Text.Json.JsonValueKind.String)
                {
                    return text.GetString()!;
                }
            }
        }
        catch (System.Text.Json.JsonException)
        {
            // not a problem document: the status line says enough
        }

        return response.ReasonPhrase ?? "no detail";
    }
}
