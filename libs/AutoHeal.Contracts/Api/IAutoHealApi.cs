using System.Text.Json;
using System.Text.Json.Serialization;
using Refit;

namespace AutoHeal.Contracts.Api;

/// <summary>
/// The whole AutoHeal REST API as a Refit client; the dashboard and the tests use it.
/// Create one with <see cref="AutoHealApiClient.Create(Uri, string?, HttpMessageHandler?)"/>.
/// </summary>
public interface IAutoHealApi
{
    /// <summary>Liveness, and whether the Docker engine answers (no token needed).</summary>
    [Get("/health")]
    Task<IApiResponse<HealthResponse>> GetHealthAsync(CancellationToken cancellationToken = default);

    /// <summary>Counts, engine connection, uptime, version.</summary>
    [Get("/api/status")]
    Task<StatusResponse> GetStatusAsync(CancellationToken cancellationToken = default);

    /// <summary>Every container the engine has.</summary>
    [Get("/api/containers")]
    Task<IReadOnlyList<ContainerView>> ListContainersAsync(CancellationToken cancellationToken = default);

    /// <summary>One container by id or name, with its guardian's whole view; its history a page at a time (<paramref name="before"/> from <see cref="ContainerDetail.HistoryNextBefore"/>).</summary>
    [Get("/api/containers/{id}")]
    Task<ContainerDetail> GetContainerAsync(string id, long? before = null, int? limit = null, CancellationToken cancellationToken = default);

    /// <summary>Enables or disables auto-heal for containers (persisted; overrides labels), or hands them back to labels.</summary>
    [Post("/api/containers/select")]
    Task<IReadOnlyList<ContainerView>> SelectAsync([Body] SelectRequest request, CancellationToken cancellationToken = default);

    /// <summary>Restarts a container now, recorded as a manual restart.</summary>
    [Post("/api/containers/{id}/restart")]
    Task<RestartAccepted> RestartAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Ends a container's quarantine.</summary>
    [Post("/api/containers/{id}/unquarantine")]
    Task<ContainerView> UnquarantineAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Snoozes a container: its automatic heals wait until the snooze ends.</summary>
    [Post("/api/containers/{id}/snooze")]
    Task<ContainerView> SnoozeAsync(string id, [Body] HoldRequest request, CancellationToken cancellationToken = default);

    /// <summary>Ends a container's snooze (one set through the API; a label's stays).</summary>
    [Delete("/api/containers/{id}/snooze")]
    Task<ContainerView> EndSnoozeAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Whether host-wide maintenance is on.</summary>
    [Get("/api/maintenance")]
    Task<MaintenanceView> GetMaintenanceAsync(CancellationToken cancellationToken = default);

    /// <summary>Starts (or extends) maintenance: no automatic heals until it ends.</summary>
    [Post("/api/maintenance")]
    Task<MaintenanceView> StartMaintenanceAsync([Body] HoldRequest request, CancellationToken cancellationToken = default);

    /// <summary>Ends maintenance now: containers still failing are healed at once.</summary>
    [Delete("/api/maintenance")]
    Task<MaintenanceView> EndMaintenanceAsync(CancellationToken cancellationToken = default);

    /// <summary>The configuration in force.</summary>
    [Get("/api/config")]
    Task<AutoHealConfig> GetConfigAsync(CancellationToken cancellationToken = default);

    /// <summary>Changes the configuration: fields given replace the current ones, the rest stay.</summary>
    [Put("/api/config")]
    Task<AutoHealConfig> PutConfigAsync([Body] object config, CancellationToken cancellationToken = default);

    /// <summary>Changes the monitor settings (fields given replace the current ones).</summary>
    [Put("/api/config/monitor")]
    Task<AutoHealConfig> PutMonitorConfigAsync([Body] object monitor, CancellationToken cancellationToken = default);

    /// <summary>Changes the restart policy (fields given replace the current ones).</summary>
    [Put("/api/config/restart")]
    Task<AutoHealConfig> PutRestartConfigAsync([Body] object restart, CancellationToken cancellationToken = default);

    /// <summary>The configuration as a JSON file download.</summary>
    [Get("/api/config/export")]
    Task<HttpResponseMessage> ExportConfigAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the whole configuration with an exported one; all or nothing.</summary>
    [Post("/api/config/import")]
    Task<AutoHealConfig> ImportConfigAsync([Body] HttpContent file, CancellationToken cancellationToken = default);

    /// <summary>Every custom health check definition.</summary>
    [Get("/api/healthchecks")]
    Task<IReadOnlyList<HealthCheckDefinition>> ListHealthChecksAsync(CancellationToken cancellationToken = default);

    /// <summary>One custom health check definition.</summary>
    [Get("/api/healthchecks/{id}")]
    Task<HealthCheckDefinition> GetHealthCheckAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Defines a custom health check (one per container: a new one replaces the old).</summary>
    [Post("/api/healthchecks")]
    Task<HealthCheckDefinition> CreateHealthCheckAsync([Body] HealthCheckDefinition check, CancellationToken cancellationToken = default);

    /// <summary>Removes a custom health check.</summary>
    [Delete("/api/healthchecks/{id}")]
    Task DeleteHealthCheckAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Sends a test notification to one webhook (or all) and says how each went.</summary>
    [Post("/api/notifications/test")]
    Task<IReadOnlyList<WebhookTestResult>> TestNotificationAsync(string? webhook = null, CancellationToken cancellationToken = default);

    /// <summary>Every event kind, as the API and its event filter name them.</summary>
    [Get("/api/events/kinds")]
    Task<IReadOnlyList<EventKindView>> GetEventKindsAsync(CancellationToken cancellationToken = default);

    /// <summary>The event log, newest first.</summary>
    [Get("/api/events")]
    Task<EventPage> GetEventsAsync(
        int? limit = null, string? container = null, string? kind = null, [Query(Format = "o")] DateTimeOffset? since = null,
        [Query(Format = "o")] DateTimeOffset? until = null, long? before = null, CancellationToken cancellationToken = default);
}

/// <summary>Builds <see cref="IAutoHealApi"/> clients.</summary>
public static class AutoHealApiClient
{
    /// <summary>The API's JSON: snake_case names and enums, no unknown fields.</summary>
    public static readonly JsonSerializerOptions Json = CreateJson();

    /// <summary>A client for the API at <paramref name="baseAddress"/> with a bearer token.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2000", Justification = "the HTTP client lives as long as the API client made over it")]
    public static IAutoHealApi Create(Uri baseAddress, string? token, HttpMessageHandler? handler = null)
    {
        var http = new HttpClient(handler ?? new HttpClientHandler(), disposeHandler: handler is null) { BaseAddress = baseAddress };
        return Create(http, token);
    }

    /// <summary>A client over an existing <see cref="HttpClient"/> (its BaseAddress set).</summary>
    public static IAutoHealApi Create(HttpClient http, string? token)
    {
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        }

        return RestService.For<IAutoHealApi>(http, new RefitSettings(new SystemTextJsonContentSerializer(Json)));
    }

    /// <summary>Creates the API's serializer options.</summary>
    public static JsonSerializerOptions CreateJson()
    {
        var json = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DictionaryKeyPolicy = null,
        };
        json.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
        return json;
    }
}
