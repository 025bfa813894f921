using AutoHeal.Core.Probes;
using AutoHeal.Domain.Guardians;

namespace AutoHeal.Api;

/// <summary><c>/api/containers</c>: every container, its guardian's view, and what an operator can do to it.</summary>
internal static class ContainerEndpoints
{
    public static RouteGroupBuilder MapContainerEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/containers").WithTags("Containers");
        group.MapGet("/", ListAsync).WithName("ListContainers").WithSummary("Every container the engine has, with state, health, monitored or not and why, quarantine, restarts and last heal.");
        group.MapGet("/{id}", GetAsync).WithName("GetContainer").WithSummary("One container by id, id prefix or name (asked of the engine when AutoHeal has not seen it yet), with its heal history (newest first, ?limit=50, ?before= the history_next_before of the page above), backoff, next allowed heal and custom check.");
        group.MapPost("/select", SelectAsync).AcceptsJson<SelectRequest>().WithName("SelectContainers").WithSummary("Enable (true) or disable (false) auto-heal for containers, overriding labels and persisted; null hands them back to the labels.");
        group.MapPost("/{id}/restart", RestartAsync).WithName("RestartContainer").WithSummary("Restart a container now; recorded as a manual restart and never counted toward quarantine.");
        group.MapPost("/{id}/unquarantine", UnquarantineAsync).WithName("UnquarantineContainer").WithSummary("End a container's quarantine; a container still failing is healed at once.");
        return api;
    }

    private static async Task<Ok<List<ContainerView>>> ListAsync(
        IContainerCatalog catalog, IGuardians guardians, SettingsService settings, TimeProvider time, CancellationToken ct)
    {
        var states = await Views.PresentGuardiansAsync(catalog, guardians, ct);
        var now = time.GetUtcNow();
        var views = catalog.Containers
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => Views.Container(catalog, settings, c, states.GetValueOrDefault(c.Key), now))
            .ToList();
        return TypedResults.Ok(views);
    }

    private static async Task<Results<Ok<ContainerDetail>, ProblemHttpResult, ValidationProblem>> GetAsync(
        string id, long? before, int? limit, ContainerLookup lookup, IContainerCatalog catalog, IGuardians guardians, SettingsService settings,
        IEventLog store, HealthCheckStore checks, TimeProvider time, CancellationToken ct)
    {
        if (limit is < 1 or > 1000)
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 1000"] });
        }

        if (await lookup.FindAsync(id, ct) is not { } c)
        {
            return NotFound(id);
        }

        var state = await guardians.GetAsync(c.Key, ct);
        // One more than asked, to know whether an older page exists, as /api/events.
        var take = limit ?? HistoryPage;
        var history = await store.ReadEventsAsync(new EventQuery { Container = c.Name, Limit = take + 1, BeforeId = before }, ct);
        var page = history.Take(take).ToList();
        var check = (await checks.ListAsync(ct)).FirstOrDefault(k => k.ContainerId == c.Name);
        var view = Views.Container(catalog, settings, c, state, time.GetUtcNow());
        var all = catalog.Containers;
        return TypedResults.Ok(Views.Detail(view, c, state, settings.Policy, time.GetUtcNow(), check, page) with
        {
            HistoryNextBefore = history.Count > take ? page[^1].Id : null,
            Parents = [.. all.Select(p => AutoHeal.Domain.Containers.Dependencies.Why(c, p, catalog.NamesOf) is { } why ? new DependencyView(p.Name, why) : null).OfType<DependencyView>()],
            Dependents = [.. all.Select(d => AutoHeal.Domain.Containers.Dependencies.Why(d, c, catalog.NamesOf) is { } why ? new DependencyView(d.Name, why) : null).OfType<DependencyView>()],
        });
    }

    /// <summary>The events of a container's history per page, unless <c>?limit=</c> says otherwise.</summary>
    private const int HistoryPage = 50;

    private static async Task<Results<Ok<List<ContainerView>>, ValidationProblem, ProblemHttpResult>> SelectAsync(
        HttpRequest request, ContainerLookup lookup, IContainerCatalog catalog, IGuardians guardians, SettingsService settings, TimeProvider time, CancellationToken ct)
    {
        var (node, error) = await ApiJson.ReadNodeAsync(request, ct);
        if (error is not null)
        {
            return Problem(error);
        }

        var (body, bindError) = ApiJson.Bind<SelectRequest>(node);
        if (bindError is not null)
        {
            return Problem(bindError);
        }

        if (body!.Containers is not { Count: > 0 and <= 1000 })
        {
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["containers"] = ["containers must list 1 to 1000 container ids or names"] });
        }

        var found = new List<ContainerInfo?>();
        foreach (var wanted in body.Containers)
        {
            found.Add(await lookup.FindAsync(wanted, ct));
        }

        var unknown = body.Containers.Where((_, i) => found[i] is null).ToList();
        if (unknown.Count > 0)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["containers"] = [.. unknown.Select(u => $"no container '{u}'")] },
                detail: "Unknown containers; nothing was changed.");
        }

        var targets = found.Select(c => c!).DistinctBy(c => c.Id).ToList();
        await settings.SelectAsync(targets.Select(c => c.Key), body.Enabled, ct);
        var states = await Views.PresentGuardiansAsync(catalog, guardians, ct);
        var now = time.GetUtcNow();
        return TypedResults.Ok(targets.Select(c => Views.Container(catalog, settings, c, states.GetValueOrDefault(c.Key), now)).ToList());
    }

    private static async Task<Results<Accepted<RestartAccepted>, ProblemHttpResult>> RestartAsync(
        string id, ContainerLookup lookup, IContainerCatalog catalog, IGuardians guardians, IServiceProvider services, TimeProvider time, CancellationToken ct)
    {
        if (await lookup.FindAsync(id, ct) is not { } c)
        {
            return NotFound(id);
        }

        var key = c.Key;
        // An engine that refuses restarts would refuse this one too: said at once, and no heal recorded as failed.
        if (services.GetService(typeof(EngineAccess)) is EngineAccess access && access.Hold(key, time.GetUtcNow()) is not null)
        {
            var answer = string.Join(", ", access.Refused.Where(r => r.Action == "restart").Select(r => r.Answer));
            return TypedResults.Problem(
                $"The Docker engine refuses restarts ({answer}): AutoHeal is notify-only on {key.Host}, and {c.Name} was not restarted. GET /api/status says what the engine refuses.",
                statusCode: StatusCodes.Status409Conflict, title: "Not restarted.");
        }

        var facts = c.ToFacts(catalog.Select(c));
        var result = await guardians.TellAsync(new OperatorCommand(key, OperatorAction.Restart) { By = "the API", Facts = facts }, ct);
        if (!result.Accepted || result.State.ActiveHeal is not { Reason: Domain.Policies.FailureKind.Manual } job)
        {
            return TypedResults.Problem($"A heal of {c.Name} is already under way; try again when it is done.", statusCode: StatusCodes.Status409Conflict, title: "Not restarted.");
        }

        return TypedResults.Accepted($"/api/containers/{c.Name}", new RestartAccepted(c.Name, job.Id));
    }

    private static async Task<Results<Ok<ContainerView>, ProblemHttpResult>> UnquarantineAsync(
        string id, ContainerLookup lookup, IContainerCatalog catalog, IGuardians guardians, SettingsService settings, TimeProvider time, CancellationToken ct)
    {
        if (await lookup.FindAsync(id, ct) is not { } c)
        {
            return NotFound(id);
        }

        var key = c.Key;
        if (await guardians.GetAsync(key, ct) is not { Quarantine: not null })
        {
            return TypedResults.Problem($"{c.Name} is not quarantined.", statusCode: StatusCodes.Status409Conflict, title: "Nothing to release.");
        }

        var result = await guardians.TellAsync(new OperatorCommand(key, OperatorAction.Release) { By = "the API" }, ct);
        return TypedResults.Ok(Views.Container(catalog, settings, c, result.State, time.GetUtcNow()));
    }

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"No container '{id}' (by id, id prefix or name).", statusCode: StatusCodes.Status404NotFound, title: "Unknown container.");

    private static ProblemHttpResult Problem(IResult error) => error switch
    {
        ProblemHttpResult p => p,
        ValidationProblem v => TypedResults.Problem(v.ProblemDetails),
        _ => TypedResults.Problem("Bad request.", statusCode: 400),
    };
}
