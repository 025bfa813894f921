namespace AutoHeal.Domain.Tests.Policies;

public sealed class PolicyLabelsTests
{
    private static readonly HealPolicy Global = HealPolicy.Default;

    private static (HealPolicy Policy, IReadOnlyList<LabelProblem> Problems) Apply(params (string Key, string Value)[] labels) =>
        PolicyLabels.Apply(Global, labels.ToDictionary(l => l.Key, l => l.Value));

    [Fact]
    public void Apply_without_labels_keeps_the_global_policy()
    {
        var (policy, problems) = Apply();

        Assert.Equal(Global, policy);
        Assert.Empty(problems);
    }

    [Fact]
    public void Apply_reads_every_known_label()
    {
        var (policy, problems) = Apply(
            ("autoheal.mode", "health"),
            ("autoheal.cooldown", "15s"),
            ("autoheal.backoff.initial", "5s"),
            ("autoheal.backoff.multiplier", "3"),
            ("autoheal.backoff.max", "10m"),
            ("autoheal.backoff.reset", "1h"),
            ("autoheal.max_restarts", "3"),
            ("autoheal.max_restarts.window", "30m"),
            ("autoheal.quarantine.probation", "2h"),
            ("autoheal.verify.timeout", "90s"),
            ("autoheal.stop.timeout", "30s"));

        Assert.Empty(problems);
        Assert.Equal(HealMode.Health, policy.Mode);
        Assert.Equal(TimeSpan.FromSeconds(15), policy.Cooldown);
        Assert.Equal(TimeSpan.FromSeconds(5), policy.BackoffInitial);
        Assert.Equal(3, policy.BackoffMultiplier);
        Assert.Equal(TimeSpan.FromMinutes(10), policy.BackoffMax);
        Assert.Equal(TimeSpan.FromHours(1), policy.BackoffReset);
        Assert.Equal(3, policy.MaxRestarts);
        Assert.Equal(TimeSpan.FromMinutes(30), policy.MaxRestartsWindow);
        Assert.Equal(TimeSpan.FromHours(2), policy.QuarantineProbation);
        Assert.Equal(TimeSpan.FromSeconds(90), policy.VerifyTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), policy.StopTimeout);
    }

    [Fact]
    public void Known_lists_every_label_it_reads()
    {
        Assert.Equal(12, PolicyLabels.Known.Count);
        Assert.Contains(PolicyLabels.SnoozeUntil, PolicyLabels.Known);
        Assert.All(PolicyLabels.Known, l => Assert.StartsWith(PolicyLabels.Prefix, l));
    }

    [Fact]
    public void Apply_changes_only_what_a_label_sets()
    {
        var (policy, _) = Apply(("autoheal.stop.timeout", "30s"));

        Assert.Equal(Global with { StopTimeout = TimeSpan.FromSeconds(30) }, policy);
    }

    [Theory]
    [InlineData("both", HealMode.Both)]
    [InlineData("on-failure", HealMode.OnFailure)]
    [InlineData("on_failure", HealMode.OnFailure)]
    [InlineData("onfailure", HealMode.OnFailure)]
    [InlineData("ON-FAILURE", HealMode.OnFailure)]
    [InlineData(" Health ", HealMode.Health)]
    public void Apply_reads_the_mode_label(string value, HealMode mode)
    {
        var (policy, problems) = Apply(("autoheal.mode", value));

        Assert.Empty(problems);
        Assert.Equal(mode, policy.Mode);
    }

    [Fact]
    public void Apply_turns_a_zero_probation_into_no_probation()
    {
        var policy = PolicyLabels.Apply(
            Global with { QuarantineProbation = TimeSpan.FromHours(1) },
            new Dictionary<string, string> { ["autoheal.quarantine.probation"] = "0" }).Policy;

        Assert.Null(policy.QuarantineProbation);
    }

    [Theory]
    [InlineData("autoheal.mode", "sometimes")]
    [InlineData("autoheal.mode", "")]
    [InlineData("autoheal.stop.timeout", "forever")]
    [InlineData("autoheal.stop.timeout", "-5s")]
    [InlineData("autoheal.stop.timeout", "8d")]
    [InlineData("autoheal.stop.timeout", "169h")]
    [InlineData("autoheal.stop.timeout", "2h")] // the configuration's limit: an hour
    [InlineData("autoheal.max_restarts.window", "0")] // would switch quarantine off
    [InlineData("autoheal.verify.timeout", "0")]
    [InlineData("autoheal.cooldown", "2d")]
    [InlineData("autoheal.stop.timeout", "NaN")]
    [InlineData("autoheal.stop.timeout", "s")]
    [InlineData("autoheal.cooldown", "ten")]
    [InlineData("autoheal.max_restarts", "0")]
    [InlineData("autoheal.max_restarts", "1001")]
    [InlineData("autoheal.max_restarts", "-1")]
    [InlineData("autoheal.max_restarts", "+3")]
    [InlineData("autoheal.max_restarts", "2.5")]
    [InlineData("autoheal.max_restarts", "lots")]
    [InlineData("autoheal.backoff.multiplier", "0.5")]
    [InlineData("autoheal.backoff.multiplier", "11")]
    [InlineData("autoheal.backoff.multiplier", "double")]
    public void Apply_reports_a_bad_value_by_label_and_keeps_the_global_value(string label, string value)
    {
        var (policy, problems) = Apply((label, value));

        Assert.Equal(Global, policy);
        var problem = Assert.Single(problems);
        Assert.Equal(label, problem.Label);
        Assert.Equal(value, problem.Value);
        Assert.False(string.IsNullOrWhiteSpace(problem.Problem));
    }

    [Fact]
    public void Apply_reports_each_bad_label_and_still_uses_the_good_ones()
    {
        var (policy, problems) = Apply(
            ("autoheal.stop.timeout", "30s"),
            ("autoheal.max_restarts", "many"),
            ("autoheal.mode", "maybe"));

        Assert.Equal(TimeSpan.FromSeconds(30), policy.StopTimeout);
        Assert.Equal(Global.MaxRestarts, policy.MaxRestarts);
        Assert.Equal(Global.Mode, policy.Mode);
        Assert.Equal(["autoheal.max_restarts", "autoheal.mode"], problems.Select(p => p.Label).Order());
    }

    [Theory]
    [InlineData("autoheal", "true")]
    [InlineData("autoheal.unknown", "1")]
    [InlineData("autoheal.stop_timeout", "nonsense")]
    [InlineData("com.docker.compose.service", "web")]
    [InlineData("AUTOHEAL.STOP.TIMEOUT", "30s")]
    public void Apply_ignores_labels_it_does_not_know(string label, string value)
    {
        var (policy, problems) = Apply((label, value));

        Assert.Equal(Global, policy);
        Assert.Empty(problems);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData(" 3 ", 3)]
    [InlineData("1000", 1000)]
    public void Apply_reads_max_restarts_as_a_whole_number_from_1_to_1000(string value, int expected)
    {
        var (policy, problems) = Apply(("autoheal.max_restarts", value), ("autoheal.max_restarts.window", "168h")); // a window they fit in

        Assert.Empty(problems);
        Assert.Equal(expected, policy.MaxRestarts);
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("1.5", 1.5)]
    [InlineData("10", 10)]
    public void Apply_reads_a_multiplier_from_1_to_10(string value, double expected)
    {
        var (policy, problems) = Apply(("autoheal.backoff.multiplier", value), ("autoheal.max_restarts.window", "168h"));

        Assert.Empty(problems);
        Assert.Equal(expected, policy.BackoffMultiplier);
    }

    [Theory]
    [InlineData("30", 30)]
    [InlineData("30s", 30)]
    [InlineData("30S", 30)]
    [InlineData("500ms", 0.5)]
    [InlineData("1.5m", 90)]
    [InlineData("5m", 300)]
    [InlineData("1h", 3600)]
    [InlineData(" 10s ", 10)]
    [InlineData("0", 0)]
    [InlineData("168h", 604800)]
    public void TryParseDuration_reads_a_number_with_an_optional_unit(string value, double seconds)
    {
        Assert.True(PolicyLabels.TryParseDuration(value, out var duration));
        Assert.Equal(TimeSpan.FromSeconds(seconds), duration);
    }

    [Theory]
    [InlineData("")]
    [InlineData("ms")]
    [InlineData("abc")]
    [InlineData("-1s")]
    [InlineData("1d")]
    [InlineData("1 hour")]
    [InlineData("Infinity")]
    [InlineData("1e300h")]
    public void TryParseDuration_refuses_anything_else(string value)
    {
        Assert.False(PolicyLabels.TryParseDuration(value, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("always")]
    [InlineData("on failure")]
    public void TryParseMode_refuses_unknown_modes(string value)
    {
        Assert.False(PolicyLabels.TryParseMode(value, out _));
    }

    [Fact]
    public void Apply_keeps_quarantine_reachable_labels_that_together_would_never_quarantine_fall_back_to_the_global_values()
    {
        // Five heals take 300 + 300 + 300 + 300 = 1200 s of backoff at least (capped at 300 s): never within the window of 600 s.
        var (policy, problems) = Apply(("autoheal.backoff.initial", "5m"), ("autoheal.stop.timeout", "30s"));

        Assert.Equal(Global with { StopTimeout = TimeSpan.FromSeconds(30) }, policy);
        var problem = Assert.Single(problems);
        Assert.Equal("autoheal.backoff.initial", problem.Label);
        Assert.Contains("would never quarantine a container that keeps failing (5 heals take at least 1200s, longer than the window of 600s)", problem.Problem);
        Assert.True(policy.CanQuarantine);
    }

    [Theory]
    [InlineData("autoheal.max_restarts.window", "1s")] // shorter than a restart takes: it never fills
    [InlineData("autoheal.max_restarts.window", "9m")]
    [InlineData("autoheal.quarantine.probation", "1s")] // released at once, counted afresh: for ever
    [InlineData("autoheal.quarantine.probation", "5m")]
    public void A_label_can_make_quarantine_stricter_but_never_weaker_than_the_global_window(string label, string value)
    {
        var (policy, problems) = Apply((label, value), ("autoheal.max_restarts", "1"));

        var problem = Assert.Single(problems);
        Assert.Equal((label, value), (problem.Label, problem.Value));
        Assert.Contains("may not be shorter than the global window of 600s", problem.Problem);
        Assert.Equal((1, Global.MaxRestartsWindow, Global.QuarantineProbation), (policy.MaxRestarts, policy.MaxRestartsWindow, policy.QuarantineProbation));
    }

    [Fact]
    public void A_longer_window_and_probation_are_stricter_and_taken()
    {
        var (policy, problems) = Apply(("autoheal.max_restarts.window", "1h"), ("autoheal.quarantine.probation", "2h"));

        Assert.Empty(problems);
        Assert.Equal((TimeSpan.FromHours(1), TimeSpan.FromHours(2)), (policy.MaxRestartsWindow, policy.QuarantineProbation));
    }

    [Fact]
    public void Apply_accepts_a_slower_quarantine_that_is_still_reachable()
    {
        var (policy, problems) = Apply(("autoheal.max_restarts", "1000"), ("autoheal.max_restarts.window", "168h"));

        Assert.Empty(problems);
        Assert.Equal((1000, TimeSpan.FromDays(7)), (policy.MaxRestarts, policy.MaxRestartsWindow));
        Assert.True(policy.CanQuarantine);
    }
}
