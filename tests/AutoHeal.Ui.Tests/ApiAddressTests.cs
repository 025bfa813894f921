using AutoHeal.Ui.Services;

namespace AutoHeal.Ui.Tests;

public sealed class ApiAddressTests
{
    [Theory]
    [InlineData("http://0.0.0.0:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://[::]:8080", "http://127.0.0.1:8080/")]
    [InlineData("http://+:9000", "http://127.0.0.1:9000/")]
    [InlineData("http://*:9000", "http://127.0.0.1:9000/")]
    [InlineData("http://127.0.0.1:5123", "http://127.0.0.1:5123/")]
    [InlineData("http://[::1]:5123", "http://[::1]:5123/")]
    public void A_wildcard_bound_address_is_reached_on_loopback(string bound, string expected) =>
        Assert.Equal(expected, ApiAddress.FromBound([bound]).ToString());

    [Fact]
    public void Plain_http_is_preferred_over_https_on_loopback() =>
        Assert.Equal("http://127.0.0.1:8080/", ApiAddress.FromBound(["https://0.0.0.0:8443", "http://0.0.0.0:8080"]).ToString());
}
