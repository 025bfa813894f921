using AutoHeal.Domain.Probes;

namespace AutoHeal.Domain.Tests.Probes;

public sealed class ProbeLabelsTests
{
    private static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) =>
        labels.ToDictionary(l => l.Key, l => l.Value);

    [Fact]
    public void Parse_reads_an_http_check_with_its_timings()
    {
        var (spec, problems) = ProbeLabels.Parse(Labels(
            ("autoheal.check.type", "http"), ("autoheal.check.url", "http://127.0.0.1:8080/ready"), ("autoheal.check.status", "204"),
            ("autoheal.check.interval", "5s"), ("autoheal.check.timeout", "500ms"), ("autoheal.check.retries", "2"),
            ("autoheal.check.start_period", "1m"), ("autoheal.check.success_threshold", "3")));

        Assert.Empty(problems);
        Assert.Equal(ProbeKind.Http, spec!.Kind);
        Assert.Equal((204, "GET"), (spec.ExpectedStatus, spec.Method));
        Assert.Equal((TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500), 2, 3, TimeSpan.FromMinutes(1)),
            (spec.Interval, spec.Timeout, spec.Retries, spec.SuccessThreshold, spec.StartPeriod));
    }

    [Fact]
    public void A_short_interval_without_a_timeout_of_its_own_times_out_within_the_interval()
    {
        var (spec, problems) = ProbeLabels.Parse(Labels(
            ("autoheal.check.type", "exec"), ("autoheal.check.command", "true"), ("autoheal.check.interval", "1s")));

        Assert.Empty(problems);
        Assert.Equal((TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)), (spec!.Interval, spec.Timeout));
    }

    [Fact]
    public void Parse_without_a_type_label_defines_no_check()
    {
        Assert.Equal((null, 0), (ProbeLabels.Parse(Labels(("autoheal", "true"))).Spec, ProbeLabels.Parse(Labels()).Problems.Count));
    }

    [Theory]
    [InlineData("autoheal.check.type", "ping")]
    [InlineData("autoheal.check.port", "http")]
    [InlineData("autoheal.check.port", "70000")]
    [InlineData("autoheal.check.interval", "soon")]
    [InlineData("autoheal.check.interval", "200ms")] // a check's interval is at least a second, as through the API
    [InlineData("autoheal.check.interval", "2d")]
    [InlineData("autoheal.check.timeout", "2h")]
    [InlineData("autoheal.check.timeout", "10s")] // longer than the interval (5s)
    [InlineData("autoheal.check.retries", "101")]
    [InlineData("autoheal.check.start_period", "2d")]
    public void Parse_names_the_bad_label_and_defines_no_check(string label, string value)
    {
        var labels = Labels(("autoheal.check.type", "tcp"), ("autoheal.check.host", "127.0.0.1"), ("autoheal.check.port", "5432"), ("autoheal.check.interval", "5s"));
        labels[label] = value;

        var (spec, problems) = ProbeLabels.Parse(labels);

        Assert.Null(spec);
        Assert.Equal((label, value), (problems[0].Label, problems[0].Value));
    }

    [Fact]
    public void Describe_leaves_out_user_info_and_query_which_may_hold_secrets()
    {
        var spec = new ProbeSpec { Kind = ProbeKind.Http, Url = "http://admin:pw@127.0.0.1:8080/health?token=s3cret" };

        Assert.Equal("http GET http://127.0.0.1:8080/health", spec.Describe());
    }

    [Theory]
    [InlineData("POST")]
    [InlineData("DELETE")]
    [InlineData("PUT")]
    public void Parse_allows_a_label_to_read_only(string method)
    {
        var (spec, problems) = ProbeLabels.Parse(Labels(
            ("autoheal.check.type", "http"), ("autoheal.check.url", "http://127.0.0.1:8080/"), ("autoheal.check.method", method)));

        Assert.Null(spec);
        var problem = Assert.Single(problems);
        Assert.Equal("autoheal.check.method", problem.Label);
        Assert.StartsWith("must be GET or HEAD", problem.Problem);
    }
}
