using AutoHeal.Core.Containers;

namespace AutoHeal.Core.Tests;

/// <summary>The one catalog of containers: what a user types finds the container they mean, on one host or several.</summary>
public sealed class ContainerCatalogTests
{
    private static readonly string WebId = new('a', 64);
    private static readonly string DbId = "ab" + new string('b', 62);
    private static readonly string OtherWebId = new('c', 64);

    [Theory]
    [InlineData("web", "local")] // a name only one host has
    [InlineData("local:web", "local")] // host:name, as a URL path segment carries it
    [InlineData("local/web", "local")] // the key as events show it
    [InlineData("aaaa", "local")] // a unique id prefix of four characters or more
    public void A_container_is_found_by_name_key_or_id_prefix(string typed, string host)
    {
        var catalog = Catalog(Container("local", WebId, "web"), Container("local", DbId, "db"));

        Assert.Equal((host, WebId), (catalog.Find(typed)?.Host, catalog.Find(typed)?.Id));
        Assert.Equal(WebId, catalog.Find(WebId)?.Id);
    }

    [Theory]
    [InlineData("a")] // shorter than an id prefix may be, and no such name
    [InlineData("abab")] // no container's id starts so
    [InlineData("elsewhere:web")] // no such host
    [InlineData("")]
    public void What_matches_no_container_finds_none(string typed)
    {
        var catalog = Catalog(Container("local", WebId, "web"), Container("local", DbId, "db"));

        Assert.Null(catalog.Find(typed));
    }

    [Fact]
    public void A_name_on_two_hosts_needs_its_host_and_an_ambiguous_id_prefix_finds_none()
    {
        var catalog = Catalog(Container("local", WebId, "web"), Container("web2", OtherWebId, "web"), Container("local", DbId, "db"));

        Assert.Null(catalog.Find("web"));
        Assert.Equal(OtherWebId, catalog.Find("web2:web")?.Id);
        Assert.Equal(WebId, catalog.Find("local/web")?.Id);
        Assert.Null(catalog.Find("a")); // "a" prefixes two ids, and is too short anyway
        Assert.Equal(DbId, catalog.Find("abbb")?.Id);
    }

    [Fact]
    public void A_hosts_snapshot_replaces_only_that_hosts_containers()
    {
        var catalog = Catalog(Container("local", WebId, "web"), Container("web2", OtherWebId, "web"));

        catalog.ReplaceHost("local", [Container("local", DbId, "db")], selfContainerId: null);

        Assert.Equal([DbId, OtherWebId], catalog.Containers.Select(c => c.Id).Order());
        Assert.Null(catalog.Find(WebId));
    }

    [Fact]
    public void AutoHeals_own_container_is_never_monitored_and_an_operators_choice_wins_over_labels()
    {
        var settings = new FixedSettingsSource();
        var catalog = new ContainerCatalog(settings);
        var self = Container("local", WebId, "autoheal") with { Labels = new Dictionary<string, string> { ["autoheal"] = "true" } };
        var db = Container("local", DbId, "db") with { Labels = new Dictionary<string, string> { ["autoheal"] = "true" } };
        catalog.ReplaceHost("local", [self, db], selfContainerId: WebId);
        settings.Choose(new ContainerKey("local", "autoheal"), true);
        settings.Choose(db.Key, false);

        Assert.Equal((false, "AutoHeal's own container"), (catalog.Select(self).Monitored, catalog.Select(self).Reason));
        Assert.Equal((false, "disabled by an operator"), (catalog.Select(db).Monitored, catalog.Select(db).Reason));
        settings.Choose(db.Key, null);
        Assert.Equal((true, "label autoheal=true"), (catalog.Select(db).Monitored, catalog.Select(db).Reason));
    }

    private static ContainerCatalog Catalog(params ContainerInfo[] containers)
    {
        var catalog = new ContainerCatalog(new FixedSettingsSource());
        foreach (var c in containers)
        {
            catalog.Put(c);
        }

        return catalog;
    }

    private static ContainerInfo Container(string host, string id, string name) =>
        new() { Host = host, Id = id, Name = name, ImageId = "sha256:image", Status = ContainerStatus.Running };
}
