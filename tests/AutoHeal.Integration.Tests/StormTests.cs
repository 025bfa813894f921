using System.Globalization;
using static AutoHeal.TestUtils.DockerCli;

namespace AutoHeal.Integration.Tests;

/// <summary>The storm breaker on the real engine: many containers crashing at once are healed after a cool-down, one at a time.</summary>
public sealed class StormTests(EngineFixture engine) : WithOwnAutoHeal(engine)
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Cooldown = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Twelve_containers_crashing_at_once_get_at_most_the_threshold_of_restarts_before_the_cool_down_then_all_are_healed_in_turn()
    {
        await RestartWithAsync(new Dictionary<string, string>
        {
            ["AutoHeal:Restart:StormThreshold"] = "5",
            ["AutoHeal:Restart:StormWindowSeconds"] = "10",
            ["AutoHeal:Restart:StormCooldownSeconds"] = Cooldown.TotalSeconds.ToString(CultureInfo.InvariantCulture),
        });
        var names = Enumerable.Range(1, 12).Select(i => Docker.Name($"storm-{i}")).ToList();
        var removals = names.Select(RemoveAtEnd).ToList(); // their polling loops would load the rest of the run
        try
        {
            foreach (var name in names)
            {
                await Docker.StartAsync(name, CrashOnTrigger, Autoheal.OptIn);
            }

            await Eventually.HoldsAsync(async () => (await Api.ListContainersAsync()).Count(c => names.Contains(c.Name)) == 12, Soon, "all twelve listed");

            await Task.WhenAll(names.Select(TriggerCrashAsync));

            await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(kind: "storm")).Items.Count == 1, Soon, "the storm");
            var storm = (await Api.GetEventsAsync(kind: "storm")).Items.Single();
            Assert.Contains("6 containers failed within 10s", storm.Message, StringComparison.Ordinal);
            await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(kind: "healed", limit: 100)).Items.Count(e => names.Contains(e.Container!)) == 12, Soon, "all twelve healed");

            var restarts = (await Api.GetEventsAsync(kind: "restarting", limit: 100)).Items.Where(e => names.Contains(e.Container!)).ToList();
            Assert.Equal(12, restarts.Count); // one each: none was taken for failing again
            Assert.InRange(restarts.Count(r => r.At < storm.At + Cooldown), 0, 5);
            foreach (var name in names)
            {
                Assert.Equal("running", await StateAsync(name));
            }

            await Eventually.HoldsAsync(async () => (await Api.GetEventsAsync(kind: "storm_ended")).Items.Count == 1, Soon, "the storm to end once quiet");
        }
        finally
        {
            foreach (var removal in removals)
            {
                await removal.DisposeAsync();
            }
        }
    }
}
