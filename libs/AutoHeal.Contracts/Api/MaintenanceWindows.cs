using Cronos;
using AutoHeal.Domain.Selection;

namespace AutoHeal.Contracts.Api;

/// <summary>
/// When scheduled maintenance windows (<see cref="MaintenanceWindowConfig"/>) are in force, by Cronos: each window starts
/// at an occurrence of its cron expression in its time zone (daylight-saving gaps and overlaps as Cronos resolves them: a
/// time the clock skips fires at the first valid time after it, a time it passes twice fires once) and lasts its duration.
/// </summary>
public static class MaintenanceWindows
{
    /// <summary>The longest window, in seconds (7 days).</summary>
    public const int MaxDurationSeconds = 7 * 24 * 3600;

    /// <summary>The expression parsed: five fields, or six with seconds first; null when it is neither.</summary>
    public static CronExpression? ParseCron(string? cron)
    {
        if (string.IsNullOrWhiteSpace(cron))
        {
            return null;
        }

        var fields = cron.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        if (fields is not (5 or 6))
        {
            return null;
        }

        return CronExpression.TryParse(cron.Trim(), fields == 6 ? CronFormat.IncludeSeconds : CronFormat.Standard, out var parsed) ? parsed : null;
    }

    /// <summary>
    /// The shortest time between two starts of the window over a year of them (at most 400 starts looked at, from a fixed
    /// point, in its time zone); null when the expression or zone is invalid or it fires fewer than twice. A window may not
    /// last longer: windows would run into each other (and looking for the one in force stays cheap).
    /// </summary>
    public static TimeSpan? ShortestGap(MaintenanceWindowConfig window)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (ParseCron(window.Cron) is not { } cron || !TryFindZone(window.TimeZone, out var zone))
        {
            return null;
        }

        var from = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var starts = cron.GetOccurrences(from, from.AddYears(1), zone).Take(400).ToList();
        return starts.Count < 2 ? null : starts.Zip(starts.Skip(1), (a, b) => b - a).Min();
    }

    /// <summary>The time zone by its IANA id; null or empty is the host's (the container's, when AutoHeal runs in one: usually UTC).</summary>
    public static bool TryFindZone(string? id, out TimeZoneInfo zone)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            zone = TimeZoneInfo.Local;
            return true;
        }

        try
        {
            zone = TimeZoneInfo.FindSystemTimeZoneById(id.Trim());
            return true;
        }
        catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException)
        {
            zone = TimeZoneInfo.Utc;
            return false;
        }
    }

    /// <summary>When the window that holds <paramref name="now"/> began and ends; null when none does (or the window is invalid).</summary>
    public static (DateTimeOffset Start, DateTimeOffset End)? Current(MaintenanceWindowConfig window, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(window);
        if (ParseCron(window.Cron) is not { } cron || !TryFindZone(window.TimeZone, out var zone)
            || window.DurationSeconds is not (>= 1 and <= MaxDurationSeconds))
        {
            return null;
        }

        var duration = TimeSpan.FromSeconds(window.DurationSeconds);
        var latest = cron.GetOccurrences(now - duration, now, zone, fromInclusive: false, toInclusive: true).Cast<DateTimeOffset?>().LastOrDefault();
        return latest is { } start && now < start + duration ? (start, start + duration) : null;
    }

    /// <summary>Whether the window covers the container named <paramref name="name"/> (every container when it lists none).</summary>
    public static bool Covers(MaintenanceWindowConfig window, string name)
    {
        ArgumentNullException.ThrowIfNull(window);
        return window.Containers is not { Count: > 0 } patterns || patterns.Any(p => Wildcard.Matches(p, name));
    }

    /// <summary>The window in force for <paramref name="name"/> at <paramref name="now"/> that ends last, with when; null when none is.</summary>
    public static (MaintenanceWindowConfig Window, DateTimeOffset Start, DateTimeOffset End)? For(IEnumerable<MaintenanceWindowConfig> windows, string? name, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(windows);
        (MaintenanceWindowConfig, DateTimeOffset, DateTimeOffset)? best = null;
        foreach (var w in windows)
        {
            if ((name is null ? w.Containers is not { Count: > 0 } : Covers(w, name)) && Current(w, now) is { } span && (best is null || span.End > best.Value.Item3))
            {
                best = (w, span.Start, span.End);
            }
        }

        return best;
    }

    /// <summary>How a window is named in holds and events: its reason, else its cron expression.</summary>
    public static string Describe(MaintenanceWindowConfig window)
    {
        ArgumentNullException.ThrowIfNull(window);
        return string.IsNullOrWhiteSpace(window.Reason) ? $"scheduled window '{window.Cron}'" : $"scheduled window: {window.Reason}";
    }
}
