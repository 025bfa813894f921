using AutoHeal.Domain.Probes;

namespace AutoHeal.Domain.Tests.Probes;

/// <summary>Where an exec check defined through the API (the token's holder) may run, with the container's own say.</summary>
public sealed class ApiExecRuleTests
{
    private static ContainerInfo Container(bool privileged, string? label = null) => new()
    {
        Host = "local",
        Id = "c1",
        Name = "db",
        ImageId = "sha256:i",
        Privileged = privileged,
        Labels = label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [ApiExecRule.Label] = label },
    };

    [Theory]
    [InlineData(ApiExec.Unprivileged, false, null, true)]
    [InlineData(ApiExec.Unprivileged, true, null, false)] // root on the host: only with its consent
    [InlineData(ApiExec.Unprivileged, true, "true", true)]
    [InlineData(ApiExec.Unprivileged, false, "false", false)] // a container may always refuse
    [InlineData(ApiExec.Labelled, false, null, false)]
    [InlineData(ApiExec.Labelled, true, "true", true)]
    [InlineData(ApiExec.None, false, "true", false)]
    [InlineData(ApiExec.None, false, null, false)]
    public void An_exec_check_from_the_api_runs_only_where_the_setting_and_the_container_allow(ApiExec setting, bool privileged, string? label, bool runs)
    {
        var why = ApiExecRule.WhyNot(setting, Container(privileged, label));

        Assert.Equal(runs, why is null);
    }

    [Fact]
    public void A_refusal_says_what_would_allow_it()
    {
        Assert.Contains("only with its label autoheal.check.api_exec=true", ApiExecRule.WhyNot(ApiExec.Unprivileged, Container(privileged: true)));
        Assert.Contains("AutoHeal:Checks:ApiExec is none", ApiExecRule.WhyNot(ApiExec.None, Container(privileged: false)));
    }
}
