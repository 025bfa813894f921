namespace AutoHeal.Domain.Tests.Containers;

public sealed class RestartPolicyTests
{
    [Theory]
    [InlineData("no", 0, 1, 0, false)]
    [InlineData("no", 0, 0, 0, false)]
    [InlineData("", 0, 1, 0, false)]
    [InlineData("always", 0, 0, 0, true)]
    [InlineData("always", 0, 1, 99, true)]
    [InlineData("unless-stopped", 0, 0, 0, true)]
    [InlineData("unless-stopped", 0, 137, 5, true)]
    [InlineData("on-failure", 0, 0, 0, false)]
    [InlineData("on-failure", 0, 1, 0, true)]
    [InlineData("on-failure", 0, 1, 1000, true)]
    [InlineData("on-failure", 3, 1, 0, true)]
    [InlineData("on-failure", 3, 1, 2, true)]
    [InlineData("on-failure", 3, 1, 3, false)]
    [InlineData("on-failure", 3, 1, 4, false)]
    [InlineData("on-failure", 3, 0, 0, false)]
    [InlineData("on-failure", -1, 1, 50, true)]
    public void DockerRestartsAfter_follows_dockers_restart_policies(string name, int maxRetries, int exitCode, int restartCount, bool restarts)
    {
        Assert.Equal(restarts, new RestartPolicy(name, maxRetries).DockerRestartsAfter(exitCode, restartCount));
    }

    [Fact]
    public void No_never_restarts()
    {
        Assert.Equal("no", RestartPolicy.No.Name);
        Assert.False(RestartPolicy.No.DockerRestartsAfter(1, 0));
    }
}
