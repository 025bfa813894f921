using AutoHeal.Domain.Selection;

namespace AutoHeal.Domain.Tests.Selection;

public sealed class SelectorTests
{
    private static readonly SelectionRules Defaults = new();

    private static Dictionary<string, string> Labels(params (string Key, string Value)[] labels) =>
        labels.ToDictionary(l => l.Key, l => l.Value);

    [Fact]
    public void Evaluate_monitors_a_container_labelled_autoheal_true()
    {
        var verdict = Selector.Evaluate("web", Labels(("autoheal", "true")), Defaults);

        Assert.Equal(new SelectionVerdict(true, "label autoheal=true"), verdict);
    }

    [Theory]
    [InlineData("TRUE")]
    [InlineData(" true ")]
    public void Evaluate_reads_the_opt_in_value_loosely(string value)
    {
        Assert.True(Selector.Evaluate("web", Labels(("autoheal", value)), Defaults).Monitored);
    }

    [Theory]
    [InlineData("yes")]
    [InlineData("1")]
    [InlineData("")]
    public void Evaluate_does_not_monitor_a_container_with_another_opt_in_value(string value)
    {
        var verdict = Selector.Evaluate("web", Labels(("autoheal", value)), Defaults);

        Assert.Equal(new SelectionVerdict(false, "no label autoheal=true"), verdict);
    }

    [Fact]
    public void Evaluate_does_not_monitor_an_unlabelled_container_by_default()
    {
        var verdict = Selector.Evaluate("web", Labels(), Defaults);

        Assert.Equal(new SelectionVerdict(false, "no label autoheal=true"), verdict);
    }

    [Fact]
    public void Evaluate_uses_a_custom_opt_in_label()
    {
        var rules = new SelectionRules { LabelKey = "com.example.heal", LabelValue = "yes" };

        Assert.Equal(new SelectionVerdict(true, "label com.example.heal=yes"),
            Selector.Evaluate("web", Labels(("com.example.heal", "yes")), rules));
        Assert.Equal(new SelectionVerdict(false, "no label com.example.heal=yes"),
            Selector.Evaluate("web", Labels(("autoheal", "true")), rules));
    }

    [Fact]
    public void Evaluate_monitors_every_container_with_include_all()
    {
        var verdict = Selector.Evaluate("web", Labels(), new SelectionRules { IncludeAll = true });

        Assert.Equal(new SelectionVerdict(true, "include_all"), verdict);
    }

    [Theory]
    [InlineData("false")]
    [InlineData("FALSE")]
    [InlineData(" False ")]
    public void Evaluate_always_excludes_a_container_labelled_autoheal_false(string value)
    {
        var verdict = Selector.Evaluate("web", Labels(("autoheal", value)), new SelectionRules { IncludeAll = true, Whitelist = ["web"] });

        Assert.Equal(new SelectionVerdict(false, "label autoheal=false"), verdict);
    }

    [Fact]
    public void Evaluate_excludes_with_false_on_a_custom_opt_in_key()
    {
        var rules = new SelectionRules { LabelKey = "heal", LabelValue = "on", IncludeAll = true };

        Assert.Equal(new SelectionVerdict(false, "label heal=false"), Selector.Evaluate("web", Labels(("heal", "false")), rules));
        Assert.True(Selector.Evaluate("web", Labels(("autoheal", "false")), rules).Monitored);
    }

    [Theory]
    [InlineData("db")]
    [InlineData("db-*")]
    [InlineData("*-primary")]
    [InlineData("DB-PRIMARY")]
    [InlineData("db-pr?mary")]
    public void Evaluate_excludes_a_name_on_the_blacklist(string pattern)
    {
        var rules = new SelectionRules { IncludeAll = true, Blacklist = ["cache", pattern] };
        var name = pattern == "db" ? "db" : "db-primary";

        var verdict = Selector.Evaluate(name, Labels(("autoheal", "true")), rules);

        Assert.Equal(new SelectionVerdict(false, $"name matches blacklist '{pattern}'"), verdict);
    }

    [Fact]
    public void Evaluate_lets_the_blacklist_win_over_the_whitelist()
    {
        var rules = new SelectionRules { IncludeAll = true, Whitelist = ["web-*"], Blacklist = ["web-canary"] };

        Assert.False(Selector.Evaluate("web-canary", Labels(), rules).Monitored);
        Assert.True(Selector.Evaluate("web-1", Labels(), rules).Monitored);
    }

    [Fact]
    public void Evaluate_monitors_only_whitelisted_names()
    {
        var rules = new SelectionRules { IncludeAll = true, Whitelist = ["web-*", "api"] };

        Assert.Equal(new SelectionVerdict(true, "include_all"), Selector.Evaluate("web-1", Labels(), rules));
        Assert.Equal(new SelectionVerdict(true, "include_all"), Selector.Evaluate("API", Labels(), rules));
        Assert.Equal(new SelectionVerdict(false, "name not in whitelist"), Selector.Evaluate("worker", Labels(("autoheal", "true")), rules));
        Assert.Equal(new SelectionVerdict(false, "name not in whitelist"), Selector.Evaluate("api-2", Labels(), rules));
    }

    [Fact]
    public void Evaluate_still_needs_the_opt_in_label_for_a_whitelisted_name()
    {
        var rules = new SelectionRules { Whitelist = ["web-*"] };

        Assert.Equal(new SelectionVerdict(false, "no label autoheal=true"), Selector.Evaluate("web-1", Labels(), rules));
        Assert.True(Selector.Evaluate("web-1", Labels(("autoheal", "true")), rules).Monitored);
    }

    [Fact]
    public void Evaluate_excludes_a_container_with_a_blacklisted_label_key()
    {
        var rules = new SelectionRules { IncludeAll = true, LabelBlacklist = ["com.example.batch"] };

        Assert.Equal(new SelectionVerdict(false, "label matches blacklist 'com.example.batch'"),
            Selector.Evaluate("job", Labels(("com.example.batch", "")), rules));
        Assert.True(Selector.Evaluate("job", Labels(("com.example.other", "1")), rules).Monitored);
    }

    [Fact]
    public void Evaluate_excludes_a_container_with_a_blacklisted_label_value_only()
    {
        var rules = new SelectionRules { IncludeAll = true, LabelBlacklist = ["tier=batch"] };

        Assert.Equal(new SelectionVerdict(false, "label matches blacklist 'tier=batch'"),
            Selector.Evaluate("job", Labels(("tier", "batch")), rules));
        Assert.True(Selector.Evaluate("job", Labels(("tier", "web")), rules).Monitored);
        Assert.True(Selector.Evaluate("job", Labels(("tier", "BATCH")), rules).Monitored);
    }

    [Fact]
    public void Evaluate_monitors_only_containers_with_a_whitelisted_label()
    {
        var rules = new SelectionRules { IncludeAll = true, LabelWhitelist = ["team=payments", "critical"] };

        Assert.True(Selector.Evaluate("a", Labels(("team", "payments")), rules).Monitored);
        Assert.True(Selector.Evaluate("b", Labels(("critical", "")), rules).Monitored);
        Assert.Equal(new SelectionVerdict(false, "no label in label whitelist"), Selector.Evaluate("c", Labels(("team", "search")), rules));
        Assert.Equal(new SelectionVerdict(false, "no label in label whitelist"), Selector.Evaluate("d", Labels(("autoheal", "true")), rules));
    }

    [Fact]
    public void Evaluate_reads_a_label_spec_with_an_equals_sign_in_its_value()
    {
        var rules = new SelectionRules { IncludeAll = true, LabelWhitelist = ["args=a=b"] };

        Assert.True(Selector.Evaluate("x", Labels(("args", "a=b")), rules).Monitored);
        Assert.False(Selector.Evaluate("x", Labels(("args", "a")), rules).Monitored);
    }

    [Fact]
    public void Evaluate_lets_an_operator_enable_a_container_labelled_false()
    {
        var rules = new SelectionRules { Blacklist = ["web"] };

        var verdict = Selector.Evaluate("web", Labels(("autoheal", "false")), rules, choice: true);

        Assert.Equal(new SelectionVerdict(true, "enabled by an operator"), verdict);
    }

    [Fact]
    public void Evaluate_lets_an_operator_disable_a_container_labelled_true()
    {
        var verdict = Selector.Evaluate("web", Labels(("autoheal", "true")), new SelectionRules { IncludeAll = true }, choice: false);

        Assert.Equal(new SelectionVerdict(false, "disabled by an operator"), verdict);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)]
    public void Evaluate_never_monitors_autoheals_own_container(bool? choice)
    {
        var verdict = Selector.Evaluate("autoheal", Labels(("autoheal", "true")), new SelectionRules { IncludeAll = true }, choice, isSelf: true);

        Assert.Equal(new SelectionVerdict(false, "AutoHeal's own container"), verdict);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(true)] // an operator's choice does not override it either
    public void Evaluate_never_monitors_the_containers_of_autoheals_own_roles_and_sidecars(bool? choice)
    {
        var verdict = Selector.Evaluate("autoheal-healer-dapr-1", Labels(("autoheal.self", "true"), ("autoheal", "true")), new SelectionRules { IncludeAll = true }, choice);

        Assert.Equal(new SelectionVerdict(false, "one of AutoHeal's own containers (label autoheal.self=true)"), verdict);
        Assert.True(Selector.Evaluate("web", Labels(("autoheal.self", "no")), new SelectionRules { IncludeAll = true }).Monitored);
    }

    [Fact]
    public void Evaluate_never_monitors_the_original_a_recreation_set_aside()
    {
        var verdict = Selector.Evaluate("web-autoheal-old-0123456789ab", Labels(("autoheal", "true")), new SelectionRules { IncludeAll = true }, choice: true);

        Assert.False(verdict.Monitored);
        Assert.Contains("recreating", verdict.Reason, StringComparison.Ordinal);
    }
}
