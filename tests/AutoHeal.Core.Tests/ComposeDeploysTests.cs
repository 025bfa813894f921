using AutoHeal.Core.Heals;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AutoHeal.Core.Tests;

/// <summary>A compose project whose containers are being created, removed or renamed holds its heals until it is quiet.</summary>
public sealed class ComposeDeploysTests
{
    private static readonly TimeSpan Forever = Timeout.InfiniteTimeSpan;
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly ComposeDeploys _deploys;

    public ComposeDeploysTests() => _deploys = new ComposeDeploys(_clock, NullLogger<ComposeDeploys>.Instance);

    [Fact]
    public async Task A_heal_in_a_project_being_deployed_waits_until_it_has_been_quiet_for_ten_seconds_and_each_change_extends_that()
    {
        _deploys.Saw(In("shop", "web"), ContainerEventKind.Died);
        _deploys.Saw(In("shop", "db-new"), ContainerEventKind.Created);

        var heal = _deploys.WaitForQuietAsync("pi/web", Forever, None);
        await Eventually.StaysTrueAsync(() => !heal.IsCompleted, "web's heal to wait for the deploy");
        _clock.Advance(TimeSpan.FromSeconds(6));
        _deploys.Saw(In("shop", "db"), ContainerEventKind.Removed); // the deploy goes on
        _clock.Advance(TimeSpan.FromSeconds(6));
        await Eventually.StaysTrueAsync(() => !heal.IsCompleted, "web's heal to wait for the deploy's last change");
        _clock.Advance(TimeSpan.FromSeconds(4));

        Assert.True(await heal);
    }

    [Fact]
    public async Task A_heal_outside_the_project_or_in_none_goes_at_once()
    {
        _deploys.Saw(In("shop", "db"), ContainerEventKind.Created);
        _deploys.Saw(In("blog", "wp"), ContainerEventKind.Died);
        _deploys.Saw(In(null, "lonely"), ContainerEventKind.Died);

        Assert.True(await _deploys.WaitForQuietAsync("pi/wp", Forever, None));
        Assert.True(await _deploys.WaitForQuietAsync("pi/lonely", Forever, None));
        Assert.True(await _deploys.WaitForQuietAsync("pi/never-seen", Forever, None));
    }

    [Fact]
    public async Task Starts_stops_and_crashes_are_no_deploy()
    {
        foreach (var kind in new[] { ContainerEventKind.Started, ContainerEventKind.StopRequested, ContainerEventKind.Died, ContainerEventKind.Unhealthy })
        {
            _deploys.Saw(In("shop", "web"), kind);
        }

        Assert.True(await _deploys.WaitForQuietAsync("pi/web", Forever, None));
    }

    [Fact]
    public async Task A_call_that_may_wait_less_than_the_deploy_lasts_is_told_to_ask_again()
    {
        _deploys.Saw(In("shop", "web"), ContainerEventKind.Renamed);

        var remote = _deploys.WaitForQuietAsync("pi/web", TimeSpan.FromSeconds(3), None);
        await Eventually.StaysTrueAsync(() => !remote.IsCompleted, "it to wait its three seconds");
        _clock.Advance(TimeSpan.FromSeconds(3));

        Assert.False(await remote);
    }

    private static ContainerInfo In(string? project, string name) => new()
    {
        Host = "pi",
        Id = $"{name}-id",
        Name = name,
        ImageId = "sha256:img",
        Labels = project is null ? new Dictionary<string, string>() : new Dictionary<string, string> { [ComposeDeploys.ProjectLabel] = project },
    };
}
