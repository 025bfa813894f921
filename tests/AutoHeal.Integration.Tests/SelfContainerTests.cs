using AutoHeal.Watcher;

namespace AutoHeal.Integration.Tests;

/// <summary>AutoHeal finds its own container id, so it never heals itself.</summary>
public sealed class SelfContainerTests
{
    private const string Id = "4f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c";

    [Fact]
    public void The_id_is_read_from_mountinfo_under_cgroup_v2()
    {
        var mountinfo = $"""
            612 590 0:52 / / rw,relatime master:301 - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X
            640 612 254:1 /var/lib/docker/containers/{Id}/resolv.conf /etc/resolv.conf rw,relatime - ext4 /dev/vda1 rw
            641 612 254:1 /var/lib/docker/containers/{Id}/hostname /etc/hostname rw,relatime - ext4 /dev/vda1 rw
            """;

        Assert.Equal(Id, SelfContainer.FromProcText(mountinfo));
    }

    [Fact]
    public void The_id_is_read_from_the_cgroup_file_under_cgroup_v1()
    {
        Assert.Equal(Id, SelfContainer.FromProcText($"12:pids:/docker/{Id}\n11:memory:/docker/{Id}\n"));
        Assert.Equal(Id, SelfContainer.FromProcText($"0::/system.slice/docker-{Id}.scope\n"));
    }

    [Fact]
    public void Outside_a_container_there_is_no_id()
    {
        Assert.Null(SelfContainer.FromProcText("0::/user.slice/user-1000.slice/session-2.scope\n"));
        Assert.Null(SelfContainer.FromProcText("25 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw\n"));
    }
}
