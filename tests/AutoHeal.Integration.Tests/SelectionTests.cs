namespace AutoHeal.Integration.Tests;

/// <summary>Which containers autoheal touches, and per-container labels, on the real engine.</summary>
[Collection(EngineCollection.Name)]
public sealed class SelectionTests(EngineFixture engine)
{
    private const string CrashOnTrigger = DockerCli.CrashOnTrigger;
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(20);
    private readonly DockerCli _docker = engine.Docker;

    [Fact]
    public async Task Include_all_heals_unlabelled_containers_but_never_blacklisted_or_opted_out_ones()
    {
        // IncludeAll, fenced by a whitelist on this run's names so no other container on the engine is touched.
        await using var autoheal = new AutoHealProcess(_docker, new Dictionary<string, string>
        {
            ["AutoHeal:Monitor:IncludeAll"] = "true",
            ["AutoHeal:Monitor:Whitelist:0"] = $"{_docker.RunId}-sel-*",
            ["AutoHeal:Monitor:Blacklist:0"] = "*-sel-db*",
        });
        await autoheal.StartAsync();
        var plain = _docker.Name("sel-plain");
        var optedOut = _docker.Name("sel-optout");
        var blacklisted = _docker.Name("sel-db1");
        var outside = _docker.Name("other");
        await _docker.StartAsync(plain, CrashOnTrigger);
        await _docker.StartAsync(optedOut, CrashOnTrigger, "--label", $"{autoheal.LabelKey}=false");
        await _docker.StartAsync(blacklisted, CrashOnTrigger);
        await _docker.StartAsync(outside, CrashOnTrigger);

        foreach (var name in new[] { optedOut, blacklisted, outside, plain })
        {
            await DockerCli.TriggerCrashAsync(name);
        }

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(autoheal.DataDir, plain, EventKind.Healed) == 1, Soon, "the unlabelled container to be healed");
        foreach (var name in new[] { optedOut, blacklisted, outside })
        {
            // AutoHeal saw each crash (its view says exited) and does not look after them.
            await Eventually.HoldsAsync(async () => await autoheal.Api.GetContainerAsync(name) is { Container: { Status: "exited", Monitored: false } },
                Soon, $"AutoHeal to see {name} exited, unmonitored");
            Assert.Equal("exited", await DockerCli.StateAsync(name));
            Assert.Empty(await EventLog.ReadAsync(autoheal.DataDir, name));
        }
    }

    [Fact]
    public async Task Labels_tune_one_container_and_a_bad_label_is_reported_without_stopping_the_heal()
    {
        await using var autoheal = new AutoHealProcess(_docker);
        await autoheal.StartAsync();
        var healthOnly = _docker.Name("lbl-health");
        var badLabel = _docker.Name("lbl-bad");
        await _docker.StartAsync(healthOnly, CrashOnTrigger, [.. autoheal.OptIn, "--label", "autoheal.mode=health"]);
        await _docker.StartAsync(badLabel, CrashOnTrigger, [.. autoheal.OptIn, "--label", "autoheal.stop.timeout=soon"]);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(autoheal.DataDir, badLabel, EventKind.LabelInvalid) == 1, Soon, "the bad label to be reported");

        await DockerCli.TriggerCrashAsync(healthOnly);
        await DockerCli.TriggerCrashAsync(badLabel);

        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(autoheal.DataDir, badLabel, EventKind.Healed) == 1, Soon, "the crash to be healed despite the bad label");
        var invalid = (await EventLog.ReadAsync(autoheal.DataDir, badLabel)).Single(e => e.Kind == EventKind.LabelInvalid);
        Assert.Contains("autoheal.stop.timeout=soon", invalid.Message, StringComparison.Ordinal);
        await Eventually.HoldsAsync(async () => await EventLog.CountAsync(autoheal.DataDir, healthOnly, EventKind.Skipped) == 1, Soon, "the crash to be skipped");
        Assert.Contains("mode health", (await EventLog.ReadAsync(autoheal.DataDir, healthOnly)).Single(e => e.Kind == EventKind.Skipped).Message, StringComparison.Ordinal);
        Assert.Equal("exited", await DockerCli.StateAsync(healthOnly));
    }
}
