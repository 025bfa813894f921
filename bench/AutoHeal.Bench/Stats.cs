using System.Globalization;

namespace AutoHeal.Bench;

/// <summary>p50/p95/max of a set of durations (nearest-rank percentiles: a reported value is one that was measured).</summary>
internal sealed record Summary(int Count, double P50, double P95, double Max, double Mean)
{
    public static Summary? Of(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0)
        {
            return null;
        }

        return new Summary(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.95), sorted[^1], sorted.Average());
    }

    private static double Rank(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}

internal static class Format
{
    public static string Ms(double ms) => ms >= 100
        ? ms.ToString("0", CultureInfo.InvariantCulture) + " ms"
        : ms.ToString("0.0", CultureInfo.InvariantCulture) + " ms";

    public static string Num(double v, string format) => v.ToString(format, CultureInfo.InvariantCulture);
}
