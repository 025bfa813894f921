using System.Text.Json;
using System.Text.Json.Nodes;

namespace AutoHeal.Api;

/// <summary>
/// <c>/api/config</c>: read, change (fields given replace the current ones), export, import (all or
/// nothing). Changes apply at once and persist; concurrent writers are serialized, never mixed.
/// </summary>
internal static class ConfigEndpoints
{
    public static RouteGroupBuilder MapConfigEndpoints(this RouteGroupBuilder api)
    {
        var group = api.MapGroup("/config").WithTags("Configuration");
        group.MapGet("/", (SettingsService s) => TypedResults.Ok(s.Masked)).WithName("GetConfig").WithSummary("The configuration in force (webhook URLs masked).");
        group.MapPut("/", (HttpRequest r, SettingsService s, CancellationToken ct) => ChangeAsync(r, s, "", ct))
            .WithName("PutConfig").WithSummary("Change the configuration: the fields given replace the current ones, the rest stay.")
            .AcceptsJson<AutoHealConfig>();
        group.MapPut("/monitor", (HttpRequest r, SettingsService s, CancellationToken ct) => ChangeAsync(r, s, "monitor", ct))
            .WithName("PutMonitorConfig").WithSummary("Change the monitor settings (fields given replace the current ones).")
            .AcceptsJson<MonitorConfig>();
        group.MapPut("/restart", (HttpRequest r, SettingsService s, CancellationToken ct) => ChangeAsync(r, s, "restart", ct))
            .WithName("PutRestartConfig").WithSummary("Change the restart policy (fields given replace the current ones).")
            .AcceptsJson<RestartConfig>();
        group.MapGet("/export", Export).WithName("ExportConfig").WithSummary("The configuration as a JSON file download; it imports back to the same state.");
        group.MapPost("/import", ImportAsync).WithName("ImportConfig").WithSummary("Replace the whole configuration with an exported one; all or nothing.")
            .AcceptsJson<AutoHealConfig>();
        return api;
    }

    private static async Task<IResult> ChangeAsync(HttpRequest request, SettingsService settings, string section, CancellationToken ct)
    {
        var (patch, error) = await ApiJson.ReadNodeAsync(request, ct);
        if (error is not null)
        {
            return error;
        }

        if (patch is not JsonObject)
        {
            return ApiJson.Problem(section.Length > 0 ? section : "body", "must be a JSON object");
        }

        IResult? failure = null;
        var (config, errors) = await settings.UpdateAsync(current =>
        {
            var merged = ApiJson.ToNode(current);
            if (section.Length > 0)
            {
                merged[section] = ApiJson.Merge(merged[section]!, patch);
            }
            else
            {
                ApiJson.Merge(merged, patch);
            }

            var (next, bindError) = ApiJson.Bind<AutoHealConfig>(merged);
            failure = bindError;
            return next is null ? current : SettingsService.Unmask(next, current);
        }, ct);

        if (failure is not null)
        {
            return failure;
        }

        return errors.Count > 0 ? ApiJson.Problems(errors) : TypedResults.Ok(SettingsService.Mask(config));
    }

    private static readonly JsonSerializerOptions Indented = new(AutoHealApiClient.Json) { WriteIndented = true };

    private static FileContentHttpResult Export(SettingsService settings, TimeProvider time)
    {
        // Secrets stay out of the file: webhook URLs are masked, and an import of this file keeps the stored ones.
        var json = JsonSerializer.SerializeToUtf8Bytes(settings.Masked, Indented);
        return TypedResults.File(json, "application/json", $"autoheal-config-{time.GetUtcNow():yyyyMMdd-HHmmss}.json");
    }

    private static async Task<IResult> ImportAsync(HttpRequest request, SettingsService settings, CancellationToken ct)
    {
        var (node, error) = await ApiJson.ReadNodeAsync(request, ct);
        if (error is not null)
        {
            return error;
        }

        if (node is not JsonObject)
        {
            return ApiJson.Problem("body", "must be a JSON object (an exported configuration)");
        }

        // A full configuration: what the file leaves out takes the defaults, not the current values.
        var merged = ApiJson.Merge(ApiJson.ToNode(new AutoHealConfig()), node);

        var (imported, bindError) = ApiJson.Bind<AutoHealConfig>(merged);
        if (bindError is not null)
        {
            return bindError;
        }

        var (config, errors) = await settings.UpdateAsync(current => SettingsService.Unmask(imported!, current), ct);
        return errors.Count > 0 ? ApiJson.Problems(errors) : TypedResults.Ok(SettingsService.Mask(config));
    }
}
