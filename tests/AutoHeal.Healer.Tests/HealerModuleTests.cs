using AutoHeal.Domain.Ports;
using AutoHeal.Sqlite;
using AutoHeal.TestUtils.Fakes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Healer.Tests;

/// <summary>The healer as <see cref="HealerModule.AddHealer"/> composes it.</summary>
public sealed class HealerModuleTests
{
    [Fact]
    public async Task Shutting_the_healer_down_does_not_throw()
    {
        using var folder = new TempFolder();
        await using var store = await SqliteStore.OpenAsync(folder.Path, 100, CancellationToken.None);
        var clock = new ObservedClock(HealerHarness.Start);
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddLogging();
        builder.Services.AddSingleton<TimeProvider>(clock);
        builder.Services.AddSingleton<IContainerRuntime>(new FakeContainerRuntime(clock));
        builder.Services.AddSingleton<IAutoHealStore>(store);
        builder.Services.AddSingleton<ISettingsSource>(new FixedSettingsSource { MaxConcurrentRestarts = 2 });
        builder.AddHealer();
        var host = builder.Build();

        // What a running AutoHeal has resolved by the time it stops: the resumer and the bus take these.
        host.Services.GetRequiredService<IGuardians>();
        host.Services.GetRequiredService<IHealRunner>();
        await host.StartAsync();
        await host.StopAsync();

        var error = Record.Exception(host.Dispose);

        Assert.Null(error);
    }
}
