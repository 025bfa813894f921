using System.Text.RegularExpressions;

namespace AutoHeal.Dapr.Tests;

/// <summary>
/// Actor ids the scheduler takes in reminder names. The rule is go-etcd-cron's (internal/api/validator): every
/// <c>||</c> segment of a job name, with <c>_</c>, <c>:</c>, <c>-</c> and spaces removed, lower-cased, must be a
/// DNS-1123 subdomain; reminder jobs are named <c>actorreminder||namespace||type||id||reminder</c>.
/// </summary>
public sealed partial class DaprIdsTests
{
    [Theory]
    [InlineData("web")]
    [InlineData("web.1")]
    [InlineData("my_app-2.blue")]
    public void An_ordinary_name_keeps_its_actor_id(string name)
    {
        Assert.Equal($"local:{name}", DaprIds.Actor(new ContainerKey("local", name)).ToString());
    }

    [Theory]
    [InlineData("web.")] // valid Docker names the validator refuses
    [InlineData("a..b")]
    [InlineData("x.-.y")]
    [InlineData("cache_.")]
    public void A_name_the_scheduler_would_refuse_gets_an_actor_id_it_takes(string name)
    {
        var id = DaprIds.Actor(new ContainerKey("local", name)).ToString();

        Assert.False(Takes(name));
        Assert.True(Takes(id), id);
        Assert.True(ReminderJobTaken($"actorreminder||default||ContainerActor||{id}||{"wake"}"), id);
        Assert.NotEqual(id, DaprIds.Actor(new ContainerKey("local", id.Split(':')[1].TrimStart('_'))).ToString()); // no other container's
    }

    // The validator as go-etcd-cron writes it, kept apart from the product's copy of it.
    private static bool ReminderJobTaken(string job) => job.Split("||").All(Takes);

    private static bool Takes(string segment)
    {
        var s = segment.Replace("_", "").Replace(":", "").Replace("-", "").Replace(" ", "").ToLowerInvariant();
        return s.Length is > 0 and <= 253 && Subdomain().IsMatch(s);
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex Subdomain();
}
