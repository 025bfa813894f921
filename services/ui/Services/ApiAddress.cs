using System.Globalization;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace AutoHeal.Ui.Services;

/// <summary>
/// Where the dashboard finds the API: <c>AutoHeal:Ui:ApiBaseUrl</c> when set, else this very process on
/// loopback. The server's addresses are only known once Kestrel has bound them, so this is resolved on
/// first use, not at registration.
/// </summary>
internal sealed class ApiAddress(string? configured, IServiceProvider services)
{
    public const string HttpClientName = "autoheal-ui-api";

    private Uri? _resolved;

    public Uri BaseAddress => _resolved ??= Resolve();

    private Uri Resolve()
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new Uri(configured, UriKind.Absolute);
        }

        var addresses = services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return FromBound(addresses);
    }

    /// <summary>
    /// The loopback URL for one of the bound addresses, http preferred (no certificate to trust on loopback).
    /// A wildcard host (0.0.0.0, [::], +, *) is reached on 127.0.0.1.
    /// </summary>
    public static Uri FromBound(IEnumerable<string> bound)
    {
        var list = bound.ToList();
        var pick = list.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) ?? list.FirstOrDefault()
            ?? throw new InvalidOperationException("The server has no bound address; set AutoHeal:Ui:ApiBaseUrl.");
        var schemeEnd = pick.IndexOf("://", StringComparison.Ordinal) + 3;
        var scheme = pick[..(schemeEnd - 3)];
        var rest = pick[schemeEnd..].TrimEnd('/');
        var portAt = rest.LastIndexOf(':');
        var host = portAt > 0 && !rest.EndsWith(']') ? rest[..portAt] : rest;
        var port = portAt > 0 && !rest.EndsWith(']') ? int.Parse(rest[(portAt + 1)..], CultureInfo.InvariantCulture) : (scheme == "https" ? 443 : 80);
        if (host is "0.0.0.0" or "[::]" or "+" or "*" or "::")
        {
            host = "127.0.0.1";
        }

        return new UriBuilder(scheme, host, port).Uri;
    }
}
