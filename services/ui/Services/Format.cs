using System.Globalization;

namespace AutoHeal.Ui.Services;

/// <summary>How times and durations read on the dashboard: UTC, the same for every operator.</summary>
internal static class Format
{
    public static string Time(DateTimeOffset? t) =>
        t is { } v ? v.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "—";

    public static string Clock(DateTimeOffset t) => t.ToUniversalTime().ToString("HH:mm", CultureInfo.InvariantCulture);

    public static string Seconds(double s) => s switch
    {
        < 1 => $"{s * 1000:0} ms",
        < 120 => $"{s:0.#} s",
        < 7200 => $"{s / 60:0.#} min",
        _ => $"{s / 3600:0.#} h",
    };

    /// <summary>"in 4 s", "12 s ago", relative to <paramref name="now"/>.</summary>
    public static string Relative(DateTimeOffset? t, DateTimeOffset now) => t switch
    {
        null => "—",
        { } v when v > now => $"in {Seconds((v - now).TotalSeconds)}",
        { } v => $"{Seconds((now - v).TotalSeconds)} ago",
    };
}
