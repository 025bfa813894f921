using System.Security.Cryptography;
using System.Text;

namespace AutoHeal.Contracts.Api;

/// <summary>
/// How the API tells the dashboard of its own process from any other caller: every dashboard call carries this
/// process's random key and the dashboard tab's session. The API then counts wrong tokens per tab (the dashboard limits
/// sign-in attempts per browser address itself), not per connection: every tab's calls come from the dashboard's one
/// loopback address, and a visitor typing wrong tokens must not lock the signed-in tabs out. A dashboard in another
/// process does not share the key: its calls count per its address, as any client's.
/// </summary>
public sealed class DashboardCaller
{
    /// <summary>The header with the key.</summary>
    public const string KeyHeader = "X-AutoHeal-Dashboard";

    /// <summary>The header with the tab's session.</summary>
    public const string SessionHeader = "X-AutoHeal-Dashboard-Session";

    // Made when the dashboard first calls: the random generator loads OpenSSL (about 4 MiB resident), which an API-only process never needs.
    private readonly Lazy<string> _key = new(() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32)));

    /// <summary>The key, as sent.</summary>
    public string Key => _key.Value;

    /// <summary>The tab's session named by a call, when the call carries this process's key; null otherwise.</summary>
    public string? SessionOf(string? key, string? session) =>
        key is { Length: 64 } && session is { Length: > 0 and <= 64 }
        && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(key.ToUpperInvariant()), Encoding.ASCII.GetBytes(Key))
            ? session
            : null;
}
