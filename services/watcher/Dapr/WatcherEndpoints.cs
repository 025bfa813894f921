using System.Globalization;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Core.Heals;
using AutoHeal.Domain.Containers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;

namespace AutoHeal.Watcher.Dapr;

/// <summary>
/// What a watcher serves to the healers and the API by Dapr service invocation, the only way to its
/// Docker engine from other roles: its snapshot, and its <see cref="LocalHealHost"/> (the host's restart
/// slots, inspect, restart-if-unchanged, logs) over HTTP. On Dapr, calls must carry <c>APP_API_TOKEN</c>
/// (Dapr's sidecar adds it), so nothing but the sidecar reaches the engine through these routes.
/// </summary>
public static class WatcherEndpoints
{
    /// <summary>Maps <see cref="WatcherRoutes"/> (guarded, with every other sidecar route, by <c>AutoHeal.Dapr.SidecarOnly</c>).</summary>
    public static IEndpointRouteBuilder MapWatcherEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup(WatcherRoutes.Prefix).ExcludeFromDescription();

        // This host's own catalog and engine status (a process that is also the API has the watchers' ones as the ports).
        group.MapGet("/snapshot", (HostIdentity host, [FromServices] ContainerCatalog catalog, [FromServices] EngineStatus engine) =>
            Results.Json(new WatcherSnapshot(host.Name, host.SelfContainerId, engine.Current, catalog.Containers.ToList()), DaprWire.Json));

        group.MapGet("/containers/{id}", (string id, LocalHealHost host, CancellationToken ct) =>
            EngineCallAsync(async () => await host.InspectAsync(id, ct) is { } c
                ? Results.Json(c, DaprWire.Json)
                : Results.Problem($"no container '{id}'", statusCode: 404)));

        group.MapPost("/containers/{id}/restart", (
            string id, int? stop_timeout_seconds, string? expect_status, string? expect_started_at, LocalHealHost host, CancellationToken ct) =>
        {
            if (stop_timeout_seconds is < 0 or > 3600)
            {
                return Task.FromResult(Results.Problem("stop_timeout_seconds must be between 0 and 3600", statusCode: 400));
            }

            if (expect_status is null || !Enum.TryParse<ContainerStatus>(expect_status, ignoreCase: true, out var status) || int.TryParse(expect_status, out _))
            {
                return Task.FromResult(Results.Problem($"expect_status '{expect_status}' is not a container status", statusCode: 400));
            }

            DateTimeOffset? startedAt = null;
            if (expect_started_at is not null)
            {
                if (!DateTimeOffset.TryParse(expect_started_at, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
                {
                    return Task.FromResult(Results.Problem($"expect_started_at '{expect_started_at}' is not an ISO 8601 time", statusCode: 400));
                }

                startedAt = parsed;
            }

            return EngineCallAsync(async () => Results.Json(
                await host.RestartAsync(id, TimeSpan.FromSeconds(stop_timeout_seconds ?? 10), new ContainerSeen(status, startedAt), ct), DaprWire.Json));
        });

        group.MapPost("/containers/{id}/recreate", (string id, int? stop_timeout_seconds, LocalHealHost host, CancellationToken ct) =>
            stop_timeout_seconds is < 0 or > 3600
                ? Task.FromResult(Results.Problem("stop_timeout_seconds must be between 0 and 3600", statusCode: 400))
                : EngineCallAsync(async () => Results.Json(await host.RecreateAsync(id, TimeSpan.FromSeconds(stop_timeout_seconds ?? 10), ct), DaprWire.Json)));

        group.MapGet("/containers/{id}/logs", (string id, int? lines, LocalHealHost host, CancellationToken ct) =>
            lines is < 1 or > 1000
                ? Task.FromResult(Results.Problem("lines must be between 1 and 1000", statusCode: 400))
                : EngineCallAsync(async () => await host.InspectAsync(id, ct) is { } c
                    ? Results.Json(await host.LogTailAsync(c, lines ?? 30, ct), DaprWire.Json)
                    : Results.Problem($"no container '{id}'", statusCode: 404)));

        // automatic_for: the container of an automatic heal, which passes the host's storm breaker (absent: an operator's restart).
        group.MapPost("/slots", async (string? job, int? hold_seconds, int? wait_seconds, string? automatic_for, LocalHealHost host, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(job) || hold_seconds is not (>= 1 and <= 7200) || wait_seconds is not (>= 0 and <= 60) || automatic_for is { Length: 0 or > 600 })
            {
                return Results.Problem("job, hold_seconds (1 to 7200) and wait_seconds (0 to 60) are required; automatic_for, when given, is a container (1 to 600 characters)", statusCode: 400);
            }

            var ask = new SlotAsk(job, automatic_for ?? "", automatic_for is not null);
            var entry = await host.EnterSlotAsync(ask, TimeSpan.FromSeconds(hold_seconds.Value), TimeSpan.FromSeconds(wait_seconds.Value), ct);
            return Results.Json(new SlotAnswer(entry == SlotEntry.Held, entry == SlotEntry.Over), DaprWire.Json);
        });

        group.MapDelete("/slots", async (string? job, LocalHealHost host, CancellationToken ct) =>
        {
            if (string.IsNullOrEmpty(job))
            {
                return Results.Problem("job is required", statusCode: 400);
            }

            await host.LeaveSlotAsync(job, ct);
            return Results.NoContent();
        });
        return app;
    }

    /// <summary>Engine down is 503: the caller retries later.</summary>
    private static async Task<IResult> EngineCallAsync(Func<Task<IResult>> call)
    {
        try
        {
            return await call();
        }
        catch (EngineUnavailableException ex)
        {
            return Results.Problem(ex.Message, statusCode: 503, title: "engine unavailable");
        }
    }
}
