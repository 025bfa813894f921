namespace AutoHeal.Domain.Tests.Policies;

public sealed class HealPolicyTests
{
    [Fact]
    public void Default_follows_the_documented_figures()
    {
        var p = HealPolicy.Default;

        Assert.Equal(HealMode.Both, p.Mode);
        Assert.Equal(TimeSpan.FromSeconds(10), p.Cooldown);
        Assert.Equal(TimeSpan.FromSeconds(10), p.BackoffInitial);
        Assert.Equal(2, p.BackoffMultiplier);
        Assert.Equal(TimeSpan.FromSeconds(300), p.BackoffMax);
        Assert.Equal(TimeSpan.FromSeconds(600), p.BackoffReset);
        Assert.Equal(5, p.MaxRestarts);
        Assert.Equal(TimeSpan.FromSeconds(600), p.MaxRestartsWindow);
        Assert.Null(p.QuarantineProbation);
    }

    [Theory]
    [InlineData(-1, 0)]
    [InlineData(0, 0)]
    [InlineData(1, 10)]
    [InlineData(2, 20)]
    [InlineData(3, 40)]
    [InlineData(4, 80)]
    [InlineData(5, 160)]
    [InlineData(6, 300)]
    [InlineData(7, 300)]
    [InlineData(1000, 300)]
    [InlineData(int.MaxValue, 300)]
    public void DelayBeforeHeal_doubles_from_ten_seconds_to_a_five_minute_cap(int healsSoFar, double seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), HealPolicy.Default.DelayBeforeHeal(healsSoFar));
    }

    [Theory]
    [InlineData(1, 60)]
    [InlineData(2, 60)]
    [InlineData(3, 60)]
    [InlineData(4, 80)]
    [InlineData(6, 300)]
    public void DelayBeforeHeal_is_never_shorter_than_the_cooldown(int healsSoFar, double seconds)
    {
        var policy = HealPolicy.Default with { Cooldown = TimeSpan.FromSeconds(60) };

        Assert.Equal(TimeSpan.FromSeconds(seconds), policy.DelayBeforeHeal(healsSoFar));
    }

    [Fact]
    public void DelayBeforeHeal_is_zero_for_the_first_heal_whatever_the_cooldown()
    {
        var policy = HealPolicy.Default with { Cooldown = TimeSpan.FromMinutes(5) };

        Assert.Equal(TimeSpan.Zero, policy.DelayBeforeHeal(0));
    }

    [Fact]
    public void DelayBeforeHeal_follows_a_custom_multiplier_and_cap()
    {
        var policy = HealPolicy.Default with
        {
            Cooldown = TimeSpan.Zero,
            BackoffInitial = TimeSpan.FromSeconds(4),
            BackoffMultiplier = 1.5,
            BackoffMax = TimeSpan.FromSeconds(10),
        };

        Assert.Equal(
            [4, 6, 9, 10, 10],
            Enumerable.Range(1, 5).Select(n => policy.DelayBeforeHeal(n).TotalSeconds));
    }

    [Fact]
    public void DelayBeforeHeal_stays_flat_with_a_multiplier_of_one()
    {
        var policy = HealPolicy.Default with { BackoffMultiplier = 1, BackoffInitial = TimeSpan.FromSeconds(30) };

        Assert.Equal(TimeSpan.FromSeconds(30), policy.DelayBeforeHeal(1));
        Assert.Equal(TimeSpan.FromSeconds(30), policy.DelayBeforeHeal(50));
    }

    [Theory]
    [InlineData(HealMode.Both, FailureKind.Crash, true)]
    [InlineData(HealMode.Both, FailureKind.Unhealthy, true)]
    [InlineData(HealMode.Both, FailureKind.Manual, true)]
    [InlineData(HealMode.OnFailure, FailureKind.Crash, true)]
    [InlineData(HealMode.OnFailure, FailureKind.Unhealthy, false)]
    [InlineData(HealMode.Health, FailureKind.Crash, false)]
    [InlineData(HealMode.Health, FailureKind.Unhealthy, true)]
    public void Heals_follows_the_mode(HealMode mode, FailureKind kind, bool heals)
    {
        Assert.Equal(heals, (HealPolicy.Default with { Mode = mode }).Heals(kind));
    }
}
