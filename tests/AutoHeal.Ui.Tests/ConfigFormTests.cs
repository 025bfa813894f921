using AutoHeal.Ui.Components;
using Bunit;

namespace AutoHeal.Ui.Tests;

public sealed class ConfigFormTests
{
    [Fact]
    public void Form_has_a_field_for_every_restart_setting_with_the_range_the_api_enforces()
    {
        var form = new ConfigForm("restart", new RestartConfig());

        Assert.Equal(15, form.Fields.Count);
        Assert.Equal("0 to 1000", form.Fields.Single(f => f.Key == "storm_threshold").Hint);
        var cooldown = form.Fields.Single(f => f.Key == "cooldown_seconds");
        Assert.Equal("10", cooldown.Text);
        Assert.Equal("0 to 86400", cooldown.Hint);
        Assert.Equal(FieldKind.Choice, form.Fields.Single(f => f.Key == "mode").Kind);
    }

    [Fact]
    public void Patch_keeps_whole_numbers_whole_and_lists_one_a_line()
    {
        var form = new ConfigForm("monitor", new MonitorConfig { Blacklist = ["db-*"] });
        form.Fields.Single(f => f.Key == "blacklist").Text = "db-*\n\n  cache-? \n";
        form.Fields.Single(f => f.Key == "interval_seconds").Text = "2.5";
        form.Fields.Single(f => f.Key == "include_all").Flag = true;

        var (patch, errors) = form.ToPatch();

        Assert.Empty(errors);
        Assert.Equal(["db-*", "cache-?"], (List<string>)patch["blacklist"]!);
        Assert.Equal(2.5, patch["interval_seconds"]);
        Assert.Equal(true, patch["include_all"]);
        Assert.Equal(5L, new ConfigForm("restart", new RestartConfig()).ToPatch().Patch["max_restarts"]);
    }

    [Fact]
    public void Text_that_is_no_number_is_an_error_on_its_field_and_nothing_is_sent()
    {
        var form = new ConfigForm("restart", new RestartConfig());
        form.Fields.Single(f => f.Key == "cooldown_seconds").Text = "ten";

        var (_, errors) = form.ToPatch();

        Assert.Equal(["restart.cooldown_seconds must be a number (was 'ten')"], errors["restart.cooldown_seconds"]);
    }

    [Fact]
    public async Task An_error_from_the_api_shows_next_to_its_field_and_keeps_what_was_typed()
    {
        using var ctx = new BunitContext();
        IDictionary<string, object?>? sent = null;
        var cut = ctx.Render<ConfigSection>(p => p
            .Add(c => c.Title, "Restart policy")
            .Add(c => c.Section, "restart")
            .Add(c => c.Values, new RestartConfig())
            .Add(c => c.Save, patch =>
            {
                sent = patch;
                throw ApiErrors.Validation(new() { ["restart.cooldown_seconds"] = ["restart.cooldown_seconds must be between 0 and 86400 (was -5)"] });
            }));

        cut.Find("#restart-cooldown_seconds").Change("-5");
        await cut.Find("form").SubmitAsync();

        Assert.Equal(-5L, sent!["cooldown_seconds"]);
        var error = cut.Find("#restart-cooldown_seconds-error");
        Assert.Equal("restart.cooldown_seconds must be between 0 and 86400 (was -5)", error.TextContent);
        Assert.Equal("true", cut.Find("#restart-cooldown_seconds").GetAttribute("aria-invalid"));
        Assert.Contains("restart-cooldown_seconds-error", cut.Find("#restart-cooldown_seconds").GetAttribute("aria-describedby"));
        Assert.Equal("-5", cut.Find("#restart-cooldown_seconds").GetAttribute("value"));
        Assert.Single(cut.FindAll(".field-error"));
        Assert.Contains("Not saved", cut.Find("[role=status]").TextContent);
    }
}
