using System.Text.Json;
using AutoHeal.Core.Settings;

namespace AutoHeal.Core.Tests;

/// <summary>
/// A document several processes change (distributed mode's configuration, selections, check definitions): no
/// process ever overwrites a change it did not see, and none puts in force what it cannot read.
/// </summary>
public sealed class SharedDocumentTests
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly CancellationToken None = CancellationToken.None;
    private readonly InMemoryDocumentStore _store = new();

    [Fact]
    public async Task A_change_based_on_an_old_read_is_applied_again_to_the_newer_document()
    {
        using var a = Document();
        using var b = Document();
        await a.LoadAsync(None);
        await b.LoadAsync(None);

        await a.UpdateAsync(list => [.. list ?? [], "from a"], None);
        var written = await b.UpdateAsync(list => [.. list ?? [], "from b"], None); // b never saw a's change

        Assert.Equal(["from a", "from b"], written);
        Assert.Equal(["from a", "from b"], Stored());
        Assert.Equal(1, _store.Conflicts);
        Assert.Equal(["from a", "from b"], b.Value);
    }

    [Fact]
    public async Task A_stored_value_this_process_refuses_is_not_put_in_force_but_set_aside_and_the_next_write_starts_afresh()
    {
        using var a = Document(problem: list => list.Contains("poison") ? "names: poison" : null);
        await a.UpdateAsync(_ => ["good"], None);
        _store.Put("names", """["poison"]"""); // out of bounds for this version (or written by someone with the store's password)

        var changed = await a.LoadAsync(None);
        var written = await a.UpdateAsync(list => [.. list ?? [], "more"], None);

        Assert.False(changed);
        Assert.Equal("""["poison"]""", _store.SetAside["names"]); // kept for the operator
        Assert.Equal(["good", "more"], written); // what it could run, changed
        Assert.Equal("""["good","more"]""", _store.Raw("names"));
    }

    [Fact]
    public async Task A_document_that_does_not_parse_is_kept_out_of_force_and_set_aside()
    {
        using var a = Document();
        _store.Put("names", "{not json");

        Assert.False(await a.LoadAsync(None));
        Assert.Null(a.Value);
        Assert.Equal("{not json", _store.SetAside["names"]);
        Assert.Null(_store.Raw("names"));
    }

    [Fact]
    public async Task A_change_that_changes_nothing_writes_nothing()
    {
        using var a = Document();
        await a.UpdateAsync(_ => ["one"], None);

        var written = await a.UpdateAsync(_ => null, None);

        Assert.Null(written);
        Assert.Equal(1, _store.Writes);
    }

    [Fact]
    public async Task Loading_says_whether_the_value_in_force_changed()
    {
        using var a = Document();
        using var b = Document();
        await a.UpdateAsync(_ => ["one"], None);

        Assert.True(await b.LoadAsync(None));
        Assert.False(await b.LoadAsync(None)); // nothing new
        await a.UpdateAsync(list => [.. list!, "two"], None);
        Assert.True(await b.LoadAsync(None));
        Assert.Equal(["one", "two"], b.Value);
    }

    private SharedDocument<List<string>> Document(Func<List<string>, string?>? problem = null) => new(_store, "names", Json, problem);

    private List<string>? Stored() => _store.Raw("names") is { } raw ? JsonSerializer.Deserialize<List<string>>(raw, Json) : null;
}
