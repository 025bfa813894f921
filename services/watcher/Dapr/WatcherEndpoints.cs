using System.Globalization;
using AutoHeal.Contracts.Dapr;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;
using AutoHeal.Domain.Ports;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Watcher.Dapr;

/// <summary>
/// What a watcher serves to the healer and the API by Dapr service invocation: the only way to its
/// Docker engine from other roles. When <c>APP_API_TOKEN</c> is set, calls must carry it (Dapr's
/// sidecar adds it), so nothing but the sidecar reaches the engine through these routes.
/// </summary>
public static class WatcherEndpoints
{
    /// <summary>Maps <see cref="WatcherRoutes"/>.</summary>
    public static IEndpointRouteBuilder MapWatcherEndpoints(this IEndpointRouteBuilder app, string? appToken)
    {
        var group = app.MapGroup(WatcherRoutes.Prefix).ExcludeFromDescription();
        group.AddEndpointFilter(async (ctx, next) =>
            appToken is { Length: > 0 } expected
            && !(ctx.HttpContext.Request.Headers.TryGetValue(WatcherRoutes.AppTokenHeader, out var given)
                && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                    System.Text.Encoding.UTF8.GetBytes(given.ToString()), System.Text.Encoding.UTF8.GetBytes(expected)))
                ? Results.Problem($"calls to the watcher need the {WatcherRoutes.AppTokenHeader} header (APP_API_TOKEN)", statusCode: 401)
                : await next(ctx));

        group.MapGet("/snapshot", (ContainerWatcher watcher, EngineStatus engine) =>
            Results.Json(new WatcherSnapshot(watcher.HostName, watcher.SelfContainerId, engine.Current, watcher.Containers.ToList()), DaprWire.Json));

        group.MapGet("/containers/{id}", async (string id, IContainerRuntime runtime, CancellationToken ct) =>
            await EngineCallAsync(async () => await runtime.InspectAsync(id, ct) is { } c
                ? Results.Json(c, DaprWire.Json)
                : Results.Problem($"no container '{id}'", statusCode: 404)));

        group.MapPost("/containers/{id}/restart", async (
            string id, int? stop_timeout_seconds, string? expect_status, string? expect_started_at,
            IContainerRuntime runtime, RestartGate gate, IServiceProvider services, CancellationToken ct) =>
        {
            if (services.GetService<WatcherSettings>()?.SelfContainerId is { } self
                && (id == self || (id.Length >= 12 && self.StartsWith(id, StringComparison.Ordinal))))
            {
                return Results.Problem("AutoHeal does not restart its own container", statusCode: 403);
            }

            if (stop_timeout_seconds is < 0 or > 3600)
            {
                return Results.Problem("stop_timeout_seconds must be between 0 and 3600", statusCode: 400);
            }

            ContainerStatus? status = null;
            if (expect_status is not null)
            {
                if (!Enum.TryParse<ContainerStatus>(expect_status, ignoreCase: true, out var parsed) || int.TryParse(expect_status, out _))
                {
                    return Results.Problem($"expect_status '{expect_status}' is not a container status", statusCode: 400);
                }

                status = parsed;
            }

            DateTimeOffset? startedAt = null;
            if (expect_started_at is not null)
            {
                if (!DateTimeOffset.TryParse(expect_started_at, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var parsed))
                {
                    return Results.Problem($"expect_started_at '{expect_started_at}' is not an ISO 8601 time", statusCode: 400);
                }

                startedAt = parsed;
            }

            // The host's cap on restarts in flight holds across every healer that calls this watcher.
            using var slot = await gate.EnterAsync(ct);
            return await EngineCallAsync(async () =>
            {
                // Waiting for the slot took time: an operator may have stopped or started it meanwhile.
                if (status is not null || startedAt is not null)
                {
                    if (await runtime.InspectAsync(id, ct) is not { } now)
                    {
                        return Results.Problem($"no container '{id}'", statusCode: 404);
                    }

                    if ((status is { } s && now.Status != s) || (startedAt is { } t && now.StartedAt != t))
                    {
                        return Results.Problem(
                            $"the container changed while waiting for a restart slot (now {now.Status.ToString().ToLowerInvariant()}, started {now.StartedAt:O})",
                            statusCode: 412, title: "container changed");
                    }
                }

                await runtime.RestartAsync(id, TimeSpan.FromSeconds(stop_timeout_seconds ?? 10), ct);
                return Results.NoContent();
            });
        });

        group.MapGet("/containers/{id}/logs", async (string id, int? lines, IContainerRuntime runtime, CancellationToken ct) =>
        {
            if (lines is < 1 or > 1000)
            {
                return Results.Problem("lines must be between 1 and 1000", statusCode: 400);
            }

            return await EngineCallAsync(async () => await runtime.InspectAsync(id, ct) is { } c
                ? Results.Json(await runtime.LogTailAsync(c, lines ?? 30, ct), DaprWire.Json)
                : Results.Problem($"no container '{id}'", statusCode: 404));
        });
        return app;
    }

    /// <summary>Engine down is 503 (the caller retries later); Docker refusing is 409 with Docker's words.</summary>
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
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return Results.Problem(ex.Message, statusCode: 409, title: "Docker refused");
        }
    }
}
