using Microsoft.Extensions.Configuration;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace AutoHeal.Dapr;

/// <summary>The watchers of every Docker host, by host name.</summary>
public interface IWatcherClients
{
    /// <summary>The watcher of <paramref name="host"/>.</summary>
    WatcherClient For(string host);
}

/// <summary>
/// Watchers reached by Dapr service invocation (app id <c>autoheal-watcher-host</c>): the heal side of
/// every host (<see cref="IHealHosts"/>) and the API's view of them. Each call carries the caller's proof
/// (<see cref="SidecarOnly.CallerProof"/>) that it holds <c>APP_API_TOKEN</c>, without which no watcher answers.
/// </summary>
public sealed class DaprWatchers(IConfiguration configuration) : IWatcherClients, IHealHosts, IDisposable
{
    private readonly ConcurrentDictionary<string, WatcherClient> _clients = new(StringComparer.Ordinal);
    private readonly string? _proof = configuration["APP_API_TOKEN"] is { Length: > 0 } token ? SidecarOnly.CallerProof(token) : null;

    // Named here: the SDK's CreateInvokeHttpClient sends no DAPR_API_TOKEN unless it is given one (its null overrides
    // the environment's), and a sidecar run with a token refuses calls without it.
    private readonly string _sidecar = global::Dapr.DaprDefaults.GetDefaultHttpEndpoint(configuration);
    private readonly string _sidecarToken = global::Dapr.DaprDefaults.GetDefaultDaprApiToken(configuration);

    /// <inheritdoc />
    public WatcherClient For(string host) =>
        _clients.GetOrAdd(host, h =>
        {
            var appId = DaprNames.WatcherAppId(h);
            var http = DaprClient.CreateInvokeHttpClient(appId, _sidecar, _sidecarToken.Length > 0 ? _sidecarToken : null);
            // Above the resiliency policy's 120 s for calls to watchers: a restart waits for Docker's stop timeout.
            http.Timeout = TimeSpan.FromSeconds(130);
            if (_proof is not null)
            {
                http.DefaultRequestHeaders.Add(WatcherRoutes.CallerHeader, _proof);
            }

            return new WatcherClient(http, $"dapr://{appId}");
        });

    IHealHost IHealHosts.For(string host) => For(host);

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var client in _clients.Values)
        {
            client.Dispose();
        }
    }
}

/// <summary>
/// A host's <see cref="IHealHost"/> through its watcher's HTTP routes (<see cref="WatcherRoutes"/>), and the
/// snapshot the API reads. The watcher's 503 (engine down) becomes <see cref="EngineUnavailableException"/>;
/// anything else unexpected is an <see cref="HttpRequestException"/>, which workflow retry policies retry.
/// </summary>
public sealed class WatcherClient(HttpClient http, string endpoint) : IHealHost, IDisposable
{
    /// <summary>
    /// The longest stop timeout a restart through a watcher asks Docker for: the call must end within the caller's
    /// sidecar's <c>watcherCall</c> (120 s, resiliency.yaml) and this client's 130 s, or it is cut off mid-restart and
    /// its retry finds a changed container. A longer one (a label's, the configuration's) is cut to this.
    /// </summary>
    public static readonly TimeSpan MaxStopTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The same for a recreation, which may first wait up to 20 s for the container that replaced its namespace's
    /// (<c>LocalHealHost.ReplacementWait</c>), then stop the original and create and start the new one.
    /// </summary>
    public static readonly TimeSpan MaxRecreateStopTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Where the watcher is, for messages.</summary>
    public string Endpoint => endpoint;

    /// <inheritdoc />
    public async Task<SlotEntry> EnterSlotAsync(SlotAsk ask, TimeSpan hold, TimeSpan wait, CancellationToken cancellationToken)
    {
        using var response = await http.PostAsync(WatcherRoutes.Slot(ask.JobId, hold, wait, ask.Automatic ? ask.Container : null), null, cancellationToken);
        var answer = await ReadAsync<SlotAnswer>(response, cancellationToken);
        return answer.Held ? SlotEntry.Held : answer.Over ? SlotEntry.Over : SlotEntry.Busy;
    }

    /// <inheritdoc />
    public async Task LeaveSlotAsync(string jobId, CancellationToken cancellationToken)
    {
        using var response = await http.DeleteAsync(WatcherRoutes.Slot(jobId), cancellationToken);
        await ThrowUnlessSuccessAsync(response, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<ContainerInfo?> InspectAsync(string idOrName, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(WatcherRoutes.Container(idOrName), cancellationToken);
        return response.StatusCode == HttpStatusCode.NotFound
            ? null
            : await ReadAsync<ContainerInfo>(response, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<RestartResult> RestartAsync(string id, TimeSpan stopTimeout, ContainerSeen expected, CancellationToken cancellationToken)
    {
        var stop = stopTimeout > MaxStopTimeout ? MaxStopTimeout : stopTimeout;
        using var response = await http.PostAsync(WatcherRoutes.Restart(id, stop, expected), null, cancellationToken);
        return await ReadAsync<RestartResult>(response, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<RecreateResult> RecreateAsync(string id, TimeSpan stopTimeout, CancellationToken cancellationToken)
    {
        var stop = stopTimeout > MaxRecreateStopTimeout ? MaxRecreateStopTimeout : stopTimeout;
        using var response = await http.PostAsync(WatcherRoutes.Recreate(id, stop), null, cancellationToken);
        return await ReadAsync<RecreateResult>(response, cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<string>> LogTailAsync(ContainerInfo container, int lines, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(WatcherRoutes.Logs(container.Id, lines), cancellationToken);
        return await ReadAsync<List<string>>(response, cancellationToken);
    }

    /// <summary>The watcher's host, engine and containers.</summary>
    public async Task<WatcherSnapshot> SnapshotAsync(CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(WatcherRoutes.Snapshot, cancellationToken);
        return await ReadAsync<WatcherSnapshot>(response, cancellationToken);
    }

    /// <inheritdoc />
    public void Dispose() => http.Dispose();

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
        throw response.StatusCode == HttpStatusCode.ServiceUnavailable
            ? new EngineUnavailableException(detail)
            : new HttpRequestException($"the watcher at {endpoint} answered {(int)response.StatusCode}: {detail}", null, response.StatusCode);
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
