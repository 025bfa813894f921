namespace AutoHeal.Domain.Tests.Containers;

/// <summary>Who depends on whom, from Docker's own settings and labels; cycles told apart.</summary>
public sealed class DependenciesTests
{
    private static readonly ContainerInfo Vpn = C("vpn", "a1b2c3d4e5f6a7b8c9d0");

    [Theory]
    [InlineData("container:vpn", "", "", "network")]
    [InlineData("container:a1b2c3d4e5f6a7b8c9d0", "", "", "network")] // by id
    [InlineData("container:a1b2c3d4e5f6", "", "", "network")] // by an id prefix of twelve
    [InlineData("none", "container:vpn", "", "PID")]
    [InlineData("none", "", "container:vpn", "IPC")]
    public void A_container_in_a_parents_namespace_depends_on_it(string network, string pid, string ipc, string what)
    {
        var d = C("app") with { NetworkMode = network, PidMode = pid, IpcMode = ipc };

        Assert.Equal($"it shares the {what} namespace of vpn", Dependencies.Why(d, Vpn));
    }

    [Fact]
    public void A_short_id_prefix_another_name_or_another_host_is_no_dependency()
    {
        Assert.Null(Dependencies.Why(C("app") with { NetworkMode = "container:a1b2" }, Vpn));
        Assert.Null(Dependencies.Why(C("app") with { NetworkMode = "container:vpn2" }, Vpn));
        Assert.Null(Dependencies.Why(C("app", host: "other") with { NetworkMode = "container:vpn" }, Vpn));
        Assert.Null(Dependencies.Why(C("app") with { NetworkMode = "bridge" }, Vpn));
    }

    [Fact]
    public void The_label_names_parents_by_hand_and_a_parent_can_ignore_its_dependents()
    {
        var d = C("app", labels: new() { ["autoheal.depends_on"] = "db, vpn" });

        Assert.Equal("its label autoheal.depends_on names vpn", Dependencies.Why(d, Vpn));
        Assert.Null(Dependencies.Why(d with { NetworkMode = "container:vpn" }, Vpn with { Labels = new Dictionary<string, string> { ["autoheal.dependents"] = "ignore" } }));
    }

    [Fact]
    public void Composes_depends_on_counts_with_restart_true_in_the_same_project_only()
    {
        var db = C("shop-db-1", labels: new() { ["com.docker.compose.project"] = "shop", ["com.docker.compose.service"] = "db" });
        Dictionary<string, string> App(string dependsOn, string project = "shop") =>
            new() { ["com.docker.compose.project"] = project, ["com.docker.compose.depends_on"] = dependsOn };

        Assert.Equal("compose's depends_on names db with restart: true", Dependencies.Why(C("shop-web-1", labels: App("redis:service_started:false,db:service_healthy:true")), db));
        Assert.Null(Dependencies.Why(C("shop-web-1", labels: App("db:service_healthy:false")), db));
        Assert.Null(Dependencies.Why(C("blog-web-1", labels: App("db:service_healthy:true", project: "blog")), db));
    }

    [Fact]
    public void A_dependent_that_is_also_its_parents_ancestor_makes_a_cycle()
    {
        var a = C("a") with { NetworkMode = "container:b" };
        var b = C("b", labels: new() { ["autoheal.depends_on"] = "c" });
        var c = C("c", labels: new() { ["autoheal.depends_on"] = "a" });
        var free = C("free") with { NetworkMode = "container:b" };
        var all = new[] { a, b, c, free };

        Assert.True(Dependencies.IsAncestor(a, b, all)); // b depends on c, which depends on a: a restarted with b would restart b again
        Assert.False(Dependencies.IsAncestor(free, b, all));
    }

    private static ContainerInfo C(string name, string? id = null, string host = "pi", Dictionary<string, string>? labels = null) => new()
    {
        Host = host,
        Id = id ?? $"{name}-0123456789abcdef",
        Name = name,
        ImageId = "sha256:img",
        Labels = labels ?? new Dictionary<string, string>(),
    };
}
