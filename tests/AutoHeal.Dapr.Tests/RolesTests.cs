namespace AutoHeal.Dapr.Tests;

/// <summary>
/// <c>--roles</c> and <c>--transport</c> as a user gives them to the real <c>autoheal</c>: a bad choice
/// stops it at once with exit code 2 and a message naming the setting; a subset of roles runs on Dapr,
/// which without a sidecar ends, after the configured wait, with exit code 2 and a message saying so.
/// </summary>
public sealed class RolesTests
{
    private const string ConfigError = "autoheal: invalid configuration, nothing started:";
    private static readonly TimeSpan ConfigErrorTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Bad role and transport settings, and the words the error must contain.</summary>
    public static TheoryData<string[], string> Refused => new()
    {
        { ["--roles", "bogus"], "AutoHeal:Roles (--roles) must be 'all' or a comma list of watcher, healer, api, ui" },
        { ["--roles", "watcher,bogus"], "AutoHeal:Roles (--roles)" },
        { ["--roles", "api", "--transport", "embedded"], "AutoHeal:Roles is 'api': running some roles only needs AutoHeal:Transport=dapr" },
        { ["--transport", "grpc"], "AutoHeal:Transport (--transport) must be 'embedded' or 'dapr'" },
        { ["--roles", "healer", "--AutoHeal:Dapr:Hosts=web 1"], "AutoHeal:Dapr:Hosts must be a comma list of host names" },
        { ["--roles", "healer", "--AutoHeal:Dapr:SidecarWaitSeconds=0"], "AutoHeal:Dapr:SidecarWaitSeconds must be between 1 and 600" },
        { ["--roles", "watcher"], "APP_API_TOKEN must be set for every role on Dapr" },
        { ["--roles", "healer"], "APP_API_TOKEN must be set for every role on Dapr" }, // its subscription and actors too
        { ["--roles", "api"], "APP_API_TOKEN must be set for every role on Dapr" }, // its heal-events subscription
        { ["--transport", "dapr"], "APP_API_TOKEN must be set for every role on Dapr" },
        { ["--roles", "healer", "--AutoHeal:Docker:HostName=Web2.example"], "AutoHeal:Docker:HostName 'Web2.example' cannot name a watcher on Dapr" },
        { ["--roles", "api", "--AutoHeal:Dapr:Hosts=local,web_2"], "AutoHeal:Dapr:Hosts 'web_2' cannot name a watcher on Dapr" },
    };

    private static readonly Dictionary<string, string> AppToken = new() { ["APP_API_TOKEN"] = "sidecar-routes-secret-0123" };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task A_bad_role_or_transport_stops_autoheal_at_once_with_exit_code_2_naming_the_setting(string[] args, string message)
    {
        var run = await SurfaceAutoHealBinary.RunAsync(args, ConfigErrorTimeout);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains(ConfigError, run.Stderr, StringComparison.Ordinal);
        Assert.Contains(message, run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Dapr sidecar", run.Stderr, StringComparison.Ordinal); // refused before anything started
    }

    [Theory]
    [InlineData("--roles", "watcher,api")] // two roles in one process: on Dapr
    [InlineData("--transport", "dapr")] // all roles
    public async Task Roles_on_the_dapr_transport_are_accepted_and_wait_for_their_sidecar(string option, string value)
    {
        // Accepted: no configuration error. On Dapr: it waits for its sidecar, and there is none here.
        var run = await SurfaceAutoHealBinary.RunAsync([option, value, "--AutoHeal:Dapr:SidecarWaitSeconds=1"], TimeSpan.FromSeconds(60), AppToken);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.DoesNotContain(ConfigError, run.Stderr, StringComparison.Ordinal);
        Assert.Contains("autoheal: no Dapr sidecar answered within 1s", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_healer_role_without_a_sidecar_gives_up_after_the_configured_wait_with_exit_code_2()
    {
        var run = await SurfaceAutoHealBinary.RunAsync(["--roles", "healer", "--AutoHeal:Dapr:SidecarWaitSeconds=5"], TimeSpan.FromSeconds(65), AppToken);

        Assert.True(run.ExitCode == 2, run.ToString());
        Assert.Contains("autoheal: no Dapr sidecar answered within 5s", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("AutoHeal:Dapr:SidecarWaitSeconds", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("DAPR_HTTP_PORT", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("distributed mode runs next to daprd", run.Stderr, StringComparison.Ordinal);
        Assert.True(run.Took >= TimeSpan.FromSeconds(5), $"gave up after {run.Took.TotalSeconds:0.0}s, before the 5 s it was given");
        Assert.True(run.Took < TimeSpan.FromSeconds(35), $"took {run.Took.TotalSeconds:0.0}s to give up on a 5 s wait");
    }
}
