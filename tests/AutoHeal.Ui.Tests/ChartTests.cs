using AutoHeal.Ui.Components;
using Bunit;

namespace AutoHeal.Ui.Tests;

public sealed class ChartTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 27, 12, 0, 0, TimeSpan.Zero);

    private static EventView Restart(string container, double minutesAgo, long id = 1) =>
        new(id, Now.AddMinutes(-minutesAgo), "restarting", "local", container, "abc", "crash", 1, "job", $"restarting {container}");

    [Fact]
    public void Model_counts_restarts_per_container_in_their_time_bucket_and_leaves_out_older_ones()
    {
        var model = RestartChartModel.Build(
            [Restart("web", 5), Restart("web", 10), Restart("db", 5), Restart("web", 200), Restart("old", 400)],
            Now, TimeSpan.FromHours(6), buckets: 24);

        Assert.Equal(["web", "db"], model.Series.Select(s => s.Container));
        var web = model.Series[0].Counts;
        Assert.Equal(2, web[23]); // the last 15 minutes
        Assert.Equal(1, web[(int)((360 - 200) / 15.0)]);
        Assert.Equal(3, model.Series[0].Total);
        Assert.Equal(3, model.MaxStack); // web 2 + db 1 in the last bucket
    }

    [Fact]
    public void Model_sums_containers_beyond_the_eighth_under_others()
    {
        var events = Enumerable.Range(0, 10).SelectMany(i => Enumerable.Range(0, 10 - i).Select(_ => Restart($"c{i}", 1))).ToList();
        var model = RestartChartModel.Build(events, Now, TimeSpan.FromHours(6), 24);

        Assert.Equal(RestartChartModel.MaxSeries + 1, model.Series.Count);
        Assert.Equal(RestartChartModel.Others, model.Series[^1].Container);
        Assert.Equal(2 + 1, model.Series[^1].Total); // c8 had 2, c9 had 1
    }

    [Fact]
    public void Chart_draws_one_bar_per_container_and_bucket_with_its_count_and_a_legend()
    {
        using var ctx = new BunitContext();
        var cut = ctx.Render<RestartChart>(p => p
            .Add(c => c.Restarts, [Restart("web", 5), Restart("web", 6), Restart("db", 70)])
            .Add(c => c.Now, Now));

        var bars = cut.FindAll("svg rect.bar");
        Assert.Equal(2, bars.Count);
        var web = bars.Single(b => b.GetAttribute("data-container") == "web");
        Assert.Equal("2", web.GetAttribute("data-count"));
        Assert.Contains("web: 2 between 11:45 and 12:00 UTC", web.TextContent);
        Assert.Contains("web (2)", cut.Find("ul.legend").TextContent);
        Assert.Contains("3 in all", cut.Find("figcaption").TextContent);
        Assert.Equal("web: 2, db: 1", cut.Find("svg").GetAttribute("aria-label"));
    }

    [Fact]
    public void Chart_says_so_when_there_were_no_restarts()
    {
        using var ctx = new BunitContext();
        var cut = ctx.Render<RestartChart>(p => p.Add(c => c.Restarts, []).Add(c => c.Now, Now));

        Assert.Empty(cut.FindAll("svg"));
        Assert.Contains("No restarts in the last 6 hours", cut.Markup);
    }
}
