using AutoHeal.Domain.Selection;

namespace AutoHeal.Domain.Tests.Selection;

public sealed class WildcardTests
{
    [Theory]
    [InlineData("web", "web")]
    [InlineData("WEB", "web")]
    [InlineData("web", "Web")]
    [InlineData("*", "anything")]
    [InlineData("*", "")]
    [InlineData("**", "x")]
    [InlineData("", "")]
    [InlineData("web-*", "web-")]
    [InlineData("web-*", "web-1")]
    [InlineData("*-db", "orders-db")]
    [InlineData("*db*", "db")]
    [InlineData("?", "a")]
    [InlineData("web-?", "web-1")]
    [InlineData("a*b*c", "abc")]
    [InlineData("a*b*c", "aXXbYYc")]
    [InlineData("*ab", "aab")]
    [InlineData("*a*a", "banana")]
    [InlineData("stack_*_1", "stack_web_1")]
    public void Matches_names_that_fit_the_pattern(string pattern, string text)
    {
        Assert.True(Wildcard.Matches(pattern, text));
    }

    [Theory]
    [InlineData("web", "web1")]
    [InlineData("web", "we")]
    [InlineData("web", "")]
    [InlineData("", "web")]
    [InlineData("?", "")]
    [InlineData("?", "ab")]
    [InlineData("web-?", "web-10")]
    [InlineData("web-*", "web")]
    [InlineData("a*", "")]
    [InlineData("a*b*c", "acb")]
    [InlineData("*-db", "orders-db-1")]
    [InlineData("web.*", "webx1")]
    public void Matches_refuses_names_that_do_not_fit(string pattern, string text)
    {
        Assert.False(Wildcard.Matches(pattern, text));
    }
}
