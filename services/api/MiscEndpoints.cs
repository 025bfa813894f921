using System.Reflection;
using AutoHeal.Core.Probes;
using AutoHeal.Core.Stores;

namespace AutoHeal.Api;

/// <summary><c>/api/status</c> and <c>/health</c>.</summary>
internal static class StatusEndpoints
{
    public static readonly string Version =
        typeof(StatusEndpoints).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "0.0.0";

    public static RouteGroupBuilder MapStatusEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/status", StatusAsync).WithTags("Status").WithName("GetStatus").WithSummary("Counts (total, monitored, quarantined, healing now), engine connection, uptime and version.");
        return api;
    }

    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (IEngineStatus engine, StoreHealth store, IEnumerable<ILoopHealth> loops, TimeProvider time) =>
        {
            var now = engine.Current;
            var saved = store.Current;
            var stuck = LoopHealth.FirstStuck(loops, time.GetUtcNow());
            var ok = WhyUnhealthy(now, saved, stuck) is null;
            var body = new HealthResponse(ok ? "ok" : "degraded", now.Reachable, now.Error, now.Since)
            {
                StoreWritable = saved.Writable,
                StoreError = saved.Problem,
                Stuck = stuck,
            };
            return ok ? Results.Json(body, AutoHealApiClient.Json) : Results.Json(body, AutoHealApiClient.Json, statusCode: StatusCodes.Status503ServiceUnavailable);
        }).WithTags("Status").WithName("GetHealth")
            .WithSummary("Liveness (no token): 200 when the Docker engine answers, AutoHeal's store takes writes and none of its loops is stuck (a guardian's mailbox not draining, the engine's event stream silent), 503 (with the reason) when not.");
        return app;
    }

    /// <summary>Why AutoHeal is not healthy as <c>/health</c> tells it, in words; null when it is (the heartbeat stops for the same reasons).</summary>
    public static string? WhyUnhealthy(EngineReading engine, StoreHealth.Reading store, string? stuck) =>
        !engine.Reachable ? $"the Docker engine does not answer ({engine.Error})"
        : !store.Writable ? $"the store takes no writes ({store.Problem})"
        : stuck;

    private static async Task<Ok<StatusResponse>> StatusAsync(
        IContainerCatalog catalog, IGuardians guardians, IEngineStatus engine, ApiClock clock, IServiceProvider services, CancellationToken ct)
    {
        var containers = catalog.Containers;
        var states = (await Views.PresentGuardiansAsync(catalog, guardians, ct)).Values;
        var e = engine.Current;
        var now = clock.Time.GetUtcNow();
        return TypedResults.Ok(new StatusResponse(
            containers.Count,
            containers.Count(c => catalog.Select(c).Monitored),
            states.Count(s => s.Quarantine is not null),
            states.Count(s => s.ActiveHeal is not null),
            new EngineView(e.Reachable, e.Endpoint, e.Error, e.Since)
            {
                Refused = (services.GetService(typeof(EngineAccess)) as EngineAccess)?.Refused.Select(r => new EngineRefusalView(r.Action, r.Effect, r.Answer)).ToList() ?? [],
            },
            Math.Round((now - clock.StartedAt).TotalSeconds, 1),
            clock.StartedAt,
            Version));
    }
}

/// <summary>When AutoHeal started, for uptime.</summary>
public sealed class ApiClock(TimeProvider time)
{
    /// <summary>The clock.</summary>
    public TimeProvider Time { get; } = time;

    /// <summary>The start.</summary>
    public DateTimeOffset StartedAt { get; } = time.GetUtcNow();
}

/// <summary><c>/api/events</c>: the durable event log, newest first.</summary>
internal static class EventEndpoints
{
    public static RouteGroupBuilder MapEventEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/events/kinds", () => TypedResults.Ok(Enum.GetValues<EventKind>().Select(k => new EventKindView(Views.Name(k), EventKinds.Describe(k))).ToList()))
            .WithTags("Events").WithName("GetEventKinds").WithSummary("Every event kind, with what it means: the names the kind filter takes (webhooks take the kinds listed in their docs).");
        api.MapGet("/events", ReadAsync).WithTags("Events").WithName("GetEvents")
            .WithSummary("The event log, newest first: ?limit=50 (1-1000), container, kind (comma-separated), since, until (ISO 8601), before (an id, for the next page).");
        return api;
    }

    private static async Task<Results<Ok<EventPage>, ValidationProblem>> ReadAsync(
        IEventLog store, int? limit, string? container, string? kind, DateTimeOffset? since, DateTimeOffset? until, long? before, CancellationToken ct)
    {
        var errors = new Dictionary<string, string[]>();
        if (limit is < 1 or > 1000)
        {
            errors["limit"] = ["limit must be between 1 and 1000"];
        }

        var kinds = new List<EventKind>();
        foreach (var k in (kind ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var match = Enum.GetValues<EventKind>().Where(v => Views.Name(v) == k).Select(v => (EventKind?)v).FirstOrDefault();
            if (match is { } m)
            {
                kinds.Add(m);
            }
            else
            {
                errors["kind"] = [$"kind must be among {string.Join(", ", Enum.GetValues<EventKind>().Select(Views.Name))} (was '{k}')"];
            }
        }

        if (since is not null && until is not null && since > until)
        {
            errors["since"] = ["since must not be after until"];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        // One more than asked, to know whether an older page exists: next_before only when it does.
        var take = limit ?? 50;
        var items = await store.ReadEventsAsync(new EventQuery
        {
            Limit = take + 1,
            BeforeId = before,
            Container = container,
            Kinds = kinds,
            Since = since,
            Until = until,
        }, ct);
        var page = items.Take(take).ToList();
        return TypedResults.Ok(new EventPage(page.Select(Views.Event).ToList(), items.Count > take ? page[^1].Id : null));
    }
}

/// <summary><c>/api/healthchecks</c>: custom health check definitions (stored and validated; run in a later release).</summary>
internal static partial class HealthCheckEndpoints
{
    public static RouteGroupBuilder MapHealthCheckEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/healthchecks").WithTags("Health checks");
        group.MapGet("/", ListAsync)
            .WithName("ListHealthChecks").WithSummary("Every custom health check definition; one whose container does not exist (yet) says so in its note.");
        group.MapGet("/{id}", GetAsync).WithName("GetHealthCheck").WithSummary("One definition.");
        group.MapPost("/", CreateAsync).WithName("CreateHealthCheck")
            .WithSummary("Define a check for a container (http, tcp, exec or docker), by id or name; it replaces that container's previous one. A name no container has yet is kept, and applies when it appears (the answer's note says so).")
            .AcceptsJson<HealthCheckDefinition>();
        group.MapDelete("/{id}", DeleteAsync).WithName("DeleteHealthCheck").WithSummary("Remove a definition.");
        return api;
    }

    private static async Task<Ok<List<HealthCheckDefinition>>> ListAsync(HealthCheckStore s, IContainerCatalog catalog, CancellationToken ct) =>
        TypedResults.Ok((await s.ListAsync(ct)).Select(c => Noted(c, catalog)).ToList());

    private static async Task<Results<Ok<HealthCheckDefinition>, ProblemHttpResult>> GetAsync(string id, HealthCheckStore s, IContainerCatalog catalog, CancellationToken ct) =>
        (await s.ListAsync(ct)).FirstOrDefault(c => c.Id == id) is { } check ? TypedResults.Ok(Noted(check, catalog)) : NotFound(id);

    private static HealthCheckDefinition Noted(HealthCheckDefinition check, IContainerCatalog catalog) =>
        catalog.Containers.Any(c => c.Name == check.ContainerId) ? check : check with { Note = Waiting(check.ContainerId!) };

    private static async Task<IResult> CreateAsync(HttpRequest request, HealthCheckStore s, ContainerLookup lookup, CheckRules rules, CancellationToken ct)
    {
        var (node, error) = await ApiJson.ReadNodeAsync(request, ct);
        if (error is not null)
        {
            return error;
        }

        var (check, bindError) = ApiJson.Bind<HealthCheckDefinition>(node);
        if (bindError is not null)
        {
            return bindError;
        }

        var errors = HealthCheckValidation.Validate(check!);
        var container = errors.Count == 0 ? await lookup.FindAsync(check!.ContainerId!, ct) : null;
        if (errors.Count == 0 && container is null && !DocumentProblems.IsContainerName(check!.ContainerId!))
        {
            errors["container_id"] = [$"no container '{check.ContainerId}', and it is not a name a container could take ([a-zA-Z0-9][a-zA-Z0-9_.-]*)"];
        }
        else if (container is not null && check!.CheckType == "exec" && Domain.Probes.ApiExecRule.WhyNot(rules.ApiExec, container) is { } why)
        {
            errors["exec_command"] = [$"exec checks defined through the API may not run in {container.Name}: {why}"];
        }

        if (errors.Count > 0)
        {
            return ApiJson.Problems(errors);
        }

        // A name no container has yet is kept: the check applies to the container of that name once it appears.
        var name = container?.Name ?? check!.ContainerId!;
        var saved = await s.SaveAsync(check! with { Id = null, Note = null }, name, ct);
        return TypedResults.Created($"/api/healthchecks/{saved.Id}", container is null ? saved with { Note = Waiting(name) } : saved);
    }

    /// <summary>What an answer says of a check whose container does not exist (yet).</summary>
    public static string Waiting(string name) => $"no container '{name}' yet: the check applies when one of that name appears";

    private static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(string id, HealthCheckStore s, CancellationToken ct) =>
        await s.DeleteAsync(id, ct) ? TypedResults.NoContent() : NotFound(id);

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"No health check '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown health check.");
}

/// <summary><c>/api/notifications</c>: the test action (the webhooks themselves live in the configuration).</summary>
internal static class NotificationEndpoints
{
    public static RouteGroupBuilder MapNotificationEndpoints(this RouteGroupBuilder api)
    {
        api.MapPost("/notifications/test", TestAsync).WithTags("Notifications").WithName("SendTestNotification")
            .WithSummary("Send a test notification to one webhook (?webhook=name) or all, once each, and say how each went.");
        return api;
    }

    private static async Task<Results<Ok<IReadOnlyList<WebhookResult>>, ProblemHttpResult>> TestAsync(
        string? webhook, WebhookNotifier notifier, SettingsService settings, CancellationToken ct)
    {
        if (webhook is not null && settings.Config.Notifications.Webhooks.All(w => w.Name != webhook))
        {
            return TypedResults.Problem($"No webhook named '{webhook}'.", statusCode: StatusCodes.Status404NotFound, title: "Unknown webhook.");
        }

        if (settings.Config.Notifications.Webhooks.Count == 0)
        {
            return TypedResults.Problem("No webhook is configured (notifications.webhooks).", statusCode: StatusCodes.Status409Conflict, title: "Nothing to test.");
        }

        return TypedResults.Ok(await notifier.SendTestAsync(webhook, ct));
    }
}
