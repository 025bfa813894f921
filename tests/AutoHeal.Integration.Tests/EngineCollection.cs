using AutoHeal.Sqlite;

[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace AutoHeal.Integration.Tests;

/// <summary>One Docker engine and one test image for the whole run; each test cleans up what it made.</summary>
[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "docker engine";
}

public sealed class EngineFixture : IAsyncLifetime
{
    public DockerCli Docker { get; } = new();

    public async Task InitializeAsync()
    {
        var (code, _, stderr) = await DockerCli.TryRunAsync("image", "inspect", DockerCli.Image);
        if (code != 0)
        {
            throw new InvalidOperationException(
                $"The test image {DockerCli.Image} is missing or no engine answers ({stderr.Trim()}). Run scripts/docker-engine (scripts/test does) first.");
        }
    }

    public Task DisposeAsync()
    {
        AutoHealProcess.KillLeftovers();
        return Docker.CleanupAsync();
    }
}

/// <summary>Reads autoheal's durable event log from its data folder, as a later API would.</summary>
public static class EventLog
{
    public static async Task<IReadOnlyList<AutoHealEvent>> ReadAsync(string dataDir, string? container = null, int limit = 200)
    {
        await using var store = await SqliteStore.OpenAsync(dataDir, 10_000, CancellationToken.None);
        return await store.ReadEventsAsync(new EventQuery { Container = container, Limit = limit }, CancellationToken.None);
    }

    public static async Task<int> CountAsync(string dataDir, string container, EventKind kind) =>
        (await ReadAsync(dataDir, container)).Count(e => e.Kind == kind);
}

/// <summary>
/// Tests that each get an embedded autoheal of their own: started (fast policy) before every test, killed after it.
/// </summary>
[Collection(EngineCollection.Name)]
public abstract class WithOwnAutoHeal(EngineFixture engine) : IAsyncLifetime
{
    /// <summary>The run's containers.</summary>
    protected DockerCli Docker { get; } = engine.Docker;

    /// <summary>This test's autoheal.</summary>
    protected AutoHealProcess Autoheal { get; private set; } = null!;

    /// <summary>Its REST API, with its token.</summary>
    protected IAutoHealApi Api => Autoheal.Api;

    public virtual async Task InitializeAsync()
    {
        Autoheal = new AutoHealProcess(Docker);
        await Autoheal.StartAsync();
    }

    /// <summary>
    /// Replaces this test's autoheal with one whose <paramref name="settings"/> go over the fast policy, changed by
    /// <paramref name="configure"/> before it starts.
    /// </summary>
    protected async Task RestartWithAsync(IReadOnlyDictionary<string, string>? settings, Action<AutoHealProcess>? configure = null)
    {
        await Autoheal.DisposeAsync();
        Autoheal = new AutoHealProcess(Docker, settings);
        configure?.Invoke(Autoheal);
        await Autoheal.StartAsync();
    }

    public virtual async Task DisposeAsync() => await Autoheal.DisposeAsync();

    /// <summary>Settings that quarantine a container after <paramref name="heals"/> heals, with little wait between them.</summary>
    protected static Dictionary<string, string> QuarantineAfter(int heals) => new()
    {
        ["AutoHeal:Restart:MaxRestarts"] = heals.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["AutoHeal:Restart:BackoffInitialSeconds"] = "0.2",
        ["AutoHeal:Restart:CooldownSeconds"] = "0.2",
    };
}
