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
