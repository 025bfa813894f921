using System.Globalization;
using AutoHeal.Core;
using AutoHeal.Domain.Containers;
using AutoHeal.Domain.Guardians;

namespace AutoHeal.Api;

/// <summary>
/// Holding heals back: host-wide maintenance (<c>/api/maintenance</c>) and one container's snooze
/// (<c>/api/containers/{id}/snooze</c>). Both are shared documents every healer honours; a change is told to the
/// guardians it concerns at once (<see cref="HoldNudger"/>): a heal waiting for its backoff is held back, a failure held
/// back is healed when the hold ends.
/// </summary>
internal static class HoldEndpoints
{
    public static RouteGroupBuilder MapHoldEndpoints(this RouteGroupBuilder api)
    {
        var maintenance = api.MapGroup("/maintenance").WithTags("Maintenance");
        maintenance.MapGet("/", (SettingsService s, TimeProvider time) => TypedResults.Ok(View(s, time.GetUtcNow())))
            .WithName("GetMaintenance").WithSummary("Whether host-wide maintenance is on: since when, until when, why.");
        maintenance.MapPost("/", StartAsync).AcceptsJson<HoldRequest>().Produces<MaintenanceView>().ProducesValidationProblem().WithName("StartMaintenance")
            .WithSummary("Hold every automatic heal back for duration_seconds (1 to 604800), with a reason: failures are recorded, not healed, until it ends; then those still failing are healed at once. Starting it again replaces the end time. Manual restarts still work.");
        maintenance.MapDelete("/", EndAsync).WithName("EndMaintenance")
            .WithSummary("End maintenance started through the API now: containers still failing are healed at once (through the normal policy). A scheduled window (maintenance.windows) ends only with its time or a configuration change; the answer says whether one still holds.");

        var containers = api.MapGroup("/containers").WithTags("Containers");
        containers.MapPost("/{id}/snooze", SnoozeAsync).AcceptsJson<HoldRequest>().Produces<ContainerView>().ProducesValidationProblem().ProducesProblem(404).WithName("SnoozeContainer")
            .WithSummary("Hold one container's automatic heals back for duration_seconds (1 to 604800), with a reason; the label autoheal.snooze_until does the same from a deploy script.");
        containers.MapDelete("/{id}/snooze", EndSnoozeAsync).Produces<ContainerView>().ProducesProblem(404).ProducesProblem(409).WithName("EndSnooze")
            .WithSummary("End a container's snooze set through the API (a label's stays until its time or the label goes); if it is still failing, it is healed at once.");
        return api;
    }

    private static async Task<IResult> StartAsync(
        HttpRequest request, SettingsService settings, IEventRecorder events, HoldNudger nudger, TimeProvider time, CancellationToken ct)
    {
        var (hold, problem) = await ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        var now = time.GetUtcNow();
        var until = now.AddSeconds(hold!.DurationSeconds!.Value);
        // Extended: since its start, while the whole stays within the longest hold; else counted from now.
        var started = settings.InMaintenance(now) && until - settings.Maintenance!.StartedAt <= TimeSpan.FromSeconds(SettingsService.MaxHoldSeconds)
            ? settings.Maintenance.StartedAt
            : now;
        var reason = Reason(hold, "maintenance");
        await settings.SetMaintenanceAsync(new MaintenanceHold(started, until, reason), now, ct);
        await events.RecordAsync([new AutoHealEvent { At = now, Kind = EventKind.MaintenanceStarted, Message = $"maintenance until {Time(until)} ({reason}): automatic heals held back, manual restarts still work" }], ct);
        await nudger.NudgeAllAsync(ct);
        return TypedResults.Ok(View(settings, now));
    }

    private static async Task<Ok<MaintenanceView>> EndAsync(SettingsService settings, IEventRecorder events, HoldNudger nudger, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        if (settings.Maintenance is { } was && await settings.EndMaintenanceAsync(was, now, ct))
        {
            if (was.Until > now)
            {
                await events.RecordAsync([new AutoHealEvent { At = now, Kind = EventKind.MaintenanceEnded, Message = $"maintenance ({was.Reason}) ended by the API before its time ({Time(was.Until)}): containers still failing are healed now" }], ct);
            }

            await nudger.NudgeAllAsync(ct);
        }

        return TypedResults.Ok(View(settings, now));
    }

    private static async Task<IResult> SnoozeAsync(
        string id, HttpRequest request, ContainerLookup lookup, IContainerCatalog catalog, IGuardians guardians, SettingsService settings,
        IEventRecorder events, HoldNudger nudger, TimeProvider time, CancellationToken ct)
    {
        var (hold, problem) = await ReadAsync(request, ct);
        if (problem is not null)
        {
            return problem;
        }

        if (await lookup.FindAsync(id, ct) is not { } c)
        {
            return NotFound(id);
        }

        var now = time.GetUtcNow();
        var until = now.AddSeconds(hold!.DurationSeconds!.Value);
        var reason = Reason(hold, "snoozed through the API");
        await settings.SnoozeAsync(c.Key, new SnoozeHold(until, reason), now, ct);
        await events.RecordAsync([ContainerEvent(c, now, EventKind.Snoozed, $"snoozed until {Time(until)} ({reason}): automatic heals held back until then")], ct);
        return TypedResults.Ok(await NudgedViewAsync(c, catalog, guardians, settings, nudger, now, ct));
    }

    private static async Task<IResult> EndSnoozeAsync(
        string id, ContainerLookup lookup, IContainerCatalog catalog, IGuardians guardians, SettingsService settings,
        IEventRecorder events, HoldNudger nudger, TimeProvider time, CancellationToken ct)
    {
        if (await lookup.FindAsync(id, ct) is not { } c)
        {
            return NotFound(id);
        }

        var now = time.GetUtcNow();
        if (settings.SnoozeFor(c.Key, now) is null)
        {
            return TypedResults.Problem($"{c.Name} is not snoozed through the API (a label's snooze ends with its time or its label).",
                statusCode: StatusCodes.Status409Conflict, title: "Nothing to end.");
        }

        await settings.SnoozeAsync(c.Key, null, now, ct);
        await events.RecordAsync([ContainerEvent(c, now, EventKind.SnoozeEnded, "snooze ended by the API: if it is still failing, it is healed now")], ct);
        return TypedResults.Ok(await NudgedViewAsync(c, catalog, guardians, settings, nudger, now, ct));
    }

    private static async Task<ContainerView> NudgedViewAsync(
        ContainerInfo c, IContainerCatalog catalog, IGuardians guardians, SettingsService settings, HoldNudger nudger, DateTimeOffset now, CancellationToken ct)
    {
        await nudger.NudgeOneAsync(c.Key, ct);
        return Views.Container(catalog, settings, c, await guardians.GetAsync(c.Key, ct), now);
    }

    /// <summary>The body: <c>duration_seconds</c> (1 to 7 days) and an optional <c>reason</c> (at most 200 characters).</summary>
    private static async Task<(HoldRequest? Hold, IResult? Problem)> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var (node, error) = await ApiJson.ReadNodeAsync(request, ct);
        if (error is not null)
        {
            return (null, error);
        }

        var (hold, bindError) = ApiJson.Bind<HoldRequest>(node);
        if (bindError is not null)
        {
            return (null, bindError);
        }

        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        if (hold!.DurationSeconds is not (>= 1 and <= SettingsService.MaxHoldSeconds))
        {
            errors["duration_seconds"] = [$"duration_seconds must be between 1 and {SettingsService.MaxHoldSeconds} (7 days)"];
        }

        if (hold.Reason is { Length: > 200 } || (hold.Reason is { } r && r.Any(char.IsControl)))
        {
            errors["reason"] = ["reason must be at most 200 characters, without control characters"];
        }

        return errors.Count > 0 ? (null, ApiJson.Problems(errors)) : (hold, null);
    }

    private static MaintenanceView View(SettingsService settings, DateTimeOffset now) => settings.MaintenanceAt(now);

    private static string Reason(HoldRequest hold, string fallback) => string.IsNullOrWhiteSpace(hold.Reason) ? fallback : hold.Reason.Trim();

    private static string Time(DateTimeOffset at) => at.ToString("u", CultureInfo.InvariantCulture);

    private static AutoHealEvent ContainerEvent(ContainerInfo c, DateTimeOffset now, EventKind kind, string message) =>
        new() { At = now, Kind = kind, Key = c.Key, ContainerId = c.Id, Message = message };

    private static ProblemHttpResult NotFound(string id) =>
        TypedResults.Problem($"No container '{id}' (by id, id prefix or name).", statusCode: StatusCodes.Status404NotFound, title: "Unknown container.");
}

/// <summary>
/// Tells the guardians a hold concerns that the holds changed (a <see cref="Wake"/>): those with a heal waiting for its
/// backoff, or a failure held back. Guardians with nothing to reconsider are not called (on Dapr each is an actor call).
/// </summary>
internal sealed class HoldNudger(IContainerCatalog catalog, IGuardians guardians, TimeProvider time, IHostApplicationLifetime lifetime, ILogger<HoldNudger> logger)
{
    /// <summary>
    /// How long after a change the guardians are told again: on Dapr the healer reads the shared documents every 5
    /// seconds, so a guardian told at once may still see the holds as they were.
    /// </summary>
    public static readonly TimeSpan Again = TimeSpan.FromSeconds(6);

    /// <summary>Every container the engines have now: at once, and again after <see cref="Again"/>.</summary>
    public async Task NudgeAllAsync(CancellationToken ct)
    {
        await NudgeAsync(catalog.Containers.Select(c => c.Key).ToHashSet(), ct);
        _ = AgainAsync(null);
    }

    /// <summary>One container: at once, and again after <see cref="Again"/>.</summary>
    public async Task NudgeOneAsync(ContainerKey key, CancellationToken ct)
    {
        await NudgeAsync([key], ct);
        _ = AgainAsync(key);
    }

    private async Task AgainAsync(ContainerKey? key)
    {
        var stopping = lifetime.ApplicationStopping;
        try
        {
            await Task.Delay(Again, time, stopping);
            await NudgeAsync(key is null ? catalog.Containers.Select(c => c.Key).ToHashSet() : [key], stopping);
        }
        catch (OperationCanceledException)
        {
            // stopping
        }
        catch (Exception ex)
        {
            Log.NudgeFailed(logger, key?.ToString() ?? "(every container)", ex);
        }
    }

    /// <summary>These containers.</summary>
    public async Task NudgeAsync(IReadOnlyCollection<ContainerKey> keys, CancellationToken ct)
    {
        var states = await guardians.GetManyAsync(keys, ct);
        var concerned = states.Values.Where(s => s.HeldUntil is not null || s.ActiveHeal is { Stage: HealStage.Waiting }).Select(s => s.Key);
        await Parallel.ForEachAsync(concerned, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (key, token) =>
        {
            try
            {
                await guardians.TellAsync(new Wake(key), token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Its own wake-up at the hold's end (or the next sweep) still comes; the operator's change is saved.
                Log.NudgeFailed(logger, key.ToString(), ex);
            }
        });
    }
}

/// <summary>
/// Ends maintenance started through the API at its time (clears it from the shared document), and says when a scheduled
/// host-wide window begins and ends (<see cref="EventKind.MaintenanceStarted"/>, <see cref="EventKind.MaintenanceEnded"/>);
/// at a window's start it tells the guardians with a heal waiting, which then wait for its end. The guardians of
/// containers whose failures a hold kept back wake by themselves at its end.
/// </summary>
internal sealed class MaintenanceClock(SettingsService settings, IEventRecorder events, HoldNudger nudger, TimeProvider time, ILogger<MaintenanceClock> logger) : BackgroundService
{
    /// <summary>How often it looks.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private (DateTimeOffset Start, DateTimeOffset End, string What)? _window;
    private string _inForce = "";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var changes = new ChangeSignal();
        void SettingsChanged(object? sender, EventArgs e) => changes.Notify();
        settings.Changed += SettingsChanged;
        try
        {
            while (true)
            {
                // With no maintenance and no window, nothing happens until the settings change: no ticking meanwhile.
                await changes.WaitAsync(Idle ? null : Interval, time, stoppingToken);
                try
                {
                    await TickAsync(time.GetUtcNow(), stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    Log.MaintenanceEndFailed(logger, ex.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            settings.Changed -= SettingsChanged;
        }
    }

    private bool Idle => settings.Maintenance is null && settings.Config.Maintenance.Windows is not { Count: > 0 } && _window is null && _inForce.Length == 0;

    private async Task TickAsync(DateTimeOffset now, CancellationToken ct)
    {
        if (settings.Maintenance is { } m && m.Until <= now && await settings.EndMaintenanceAsync(m, now, ct))
        {
            await RecordAsync(now, EventKind.MaintenanceEnded, $"maintenance ({m.Reason}) ended at its time: containers still failing are healed now", ct);
        }

        var window = MaintenanceWindows.For(settings.Config.Maintenance.Windows, null, now) is { } w
            ? (w.Start, w.End, MaintenanceWindows.Describe(w.Window))
            : ((DateTimeOffset Start, DateTimeOffset End, string What)?)null;
        if (_window is { } was && (window is null || window.Value.Start != was.Start))
        {
            _window = null;
            await RecordAsync(now, EventKind.MaintenanceEnded, $"maintenance ({was.What}) ended at its time: containers still failing are healed now", ct);
        }

        if (window is { } began && _window is null)
        {
            _window = began;
            await RecordAsync(now, EventKind.MaintenanceStarted, $"maintenance ({began.What}) until {began.End.ToString("u", CultureInfo.InvariantCulture)}: automatic heals held back, manual restarts still work", ct);
        }

        // Any window begun, ended, changed or removed (those of some containers too): the guardians concerned reconsider.
        var inForce = string.Join('|', settings.Config.Maintenance.Windows.Select(w =>
            MaintenanceWindows.Current(w, now) is { } span ? $"{w.Cron}@{span.Start:O}-{span.End:O}:{string.Join(',', w.Containers)}" : ""));
        if (inForce != _inForce)
        {
            _inForce = inForce;
            await nudger.NudgeAllAsync(ct);
        }
    }

    private Task RecordAsync(DateTimeOffset now, EventKind kind, string message, CancellationToken ct) =>
        events.RecordAsync([new AutoHealEvent { At = now, Kind = kind, Message = message }], ct);
}
