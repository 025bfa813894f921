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
    public void A_namespace_of_a_removed_container_belongs_to_the_container_that_took_its_name()
    {
        var d = C("app") with { NetworkMode = "container:0ld0ld0ld0ld0ld0" };
        IReadOnlyCollection<string> NamesOf(string id) => id == "0ld0ld0ld0ld0ld0" ? ["vpn"] : [];

        Assert.Equal("it shared the network namespace of the container vpn replaced", Dependencies.Why(d, Vpn, NamesOf));
        Assert.Null(Dependencies.Why(d, Vpn)); // without the names: only the id counts
        Assert.Null(Dependencies.Why(d, C("db"), NamesOf));
    }

    [Theory]
    [InlineData("web-autoheal-old-0123456789ab", "0123456789abcdef", "web")]
    [InlineData("web-autoheal-old-0123456789ab", "ffff456789abcdef", null)] // the id must be the one the name says
    [InlineData("web-autoheal-old-0123", "0123456789abcdef", null)]
    [InlineData("web", "0123456789abcdef", null)]
    public void A_container_set_aside_by_a_recreation_is_known_by_its_name_and_its_id(string name, string id, string? original)
    {
        Assert.Equal(original, Recreations.SetAsideFrom(name, id));
        Assert.Equal("web-autoheal-old-0123456789ab", Recreations.SetAsideName("web", "0123456789abcdef"));
    }

    [Fact]
    public void Only_a_container_in_another_containers_namespace_or_labelled_so_is_recreated()
    {
        Assert.NotNull(Recreations.Why(C("app") with { NetworkMode = "container:vpn" }));
        Assert.NotNull(Recreations.Why(C("app") with { PidMode = "container:vpn" }));
        Assert.Equal("it is labelled autoheal.recreate=true", Recreations.Why(C("app", labels: new() { ["autoheal.recreate"] = "TRUE " })));
        Assert.Null(Recreations.Why(C("app") with { NetworkMode = "bridge" }));
        Assert.Null(Recreations.Why(C("app", labels: new() { ["autoheal.recreate"] = "no" })));
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
