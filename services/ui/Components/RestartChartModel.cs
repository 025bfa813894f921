using AutoHeal.Contracts.Api;

namespace AutoHeal.Ui.Components;

/// <summary>One container's restarts, bucket by bucket.</summary>
public sealed record ChartSeries(string Container, IReadOnlyList<int> Counts)
{
    /// <summary>Its restarts over the whole window.</summary>
    public int Total => Counts.Sum();
}

/// <summary>
/// Restarts per container in equal time buckets over a window ending now: what <see cref="RestartChart"/>
/// draws. Pure, so the numbers are tested without a browser.
/// </summary>
public sealed record RestartChartModel(DateTimeOffset Start, TimeSpan Bucket, int Buckets, IReadOnlyList<ChartSeries> Series)
{
    /// <summary>Containers drawn in colours of their own; the rest are summed under "others".</summary>
    public const int MaxSeries = 8;

    /// <summary>The name of the series that sums the containers past <see cref="MaxSeries"/>.</summary>
    public const string Others = "others";

    /// <summary>The tallest stack, at least 1 so an empty chart still has a scale.</summary>
    public int MaxStack => Math.Max(1, Enumerable.Range(0, Buckets).Select(i => Series.Sum(s => s.Counts[i])).DefaultIfEmpty(0).Max());

    /// <summary>Every restart in the window.</summary>
    public int Total => Series.Sum(s => s.Total);

    /// <summary>Buckets the restarts (<c>restarting</c> events) of the <paramref name="window"/> before <paramref name="now"/>.</summary>
    public static RestartChartModel Build(IEnumerable<EventView> restarts, DateTimeOffset now, TimeSpan window, int buckets)
    {
        var start = now - window;
        var bucket = window / buckets;
        var byContainer = new Dictionary<string, int[]>(StringComparer.Ordinal);
        foreach (var e in restarts)
        {
            if (e.Container is not { } name || e.At < start || e.At > now)
            {
                continue;
            }

            var i = Math.Min(buckets - 1, (int)((e.At - start) / bucket));
            if (!byContainer.TryGetValue(name, out var counts))
            {
                byContainer[name] = counts = new int[buckets];
            }

            counts[i]++;
        }

        var ranked = byContainer.OrderByDescending(p => p.Value.Sum()).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
        var series = ranked.Take(MaxSeries).Select(p => new ChartSeries(p.Key, p.Value)).ToList();
        if (ranked.Count > MaxSeries)
        {
            var rest = new int[buckets];
            foreach (var (_, counts) in ranked.Skip(MaxSeries))
            {
                for (var i = 0; i < buckets; i++)
                {
                    rest[i] += counts[i];
                }
            }

            series.Add(new ChartSeries(Others, rest));
        }

        return new RestartChartModel(start, bucket, buckets, series);
    }
}
