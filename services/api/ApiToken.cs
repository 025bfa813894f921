using System.Security.Cryptography;
using System.Text;

namespace AutoHeal.Api;

/// <summary>
/// The bearer token every <c>/api</c> call needs. Configured (<c>AutoHeal:Api:Token</c>), or generated
/// on first start, kept in the data folder (mode 600) and printed once, at generation.
/// </summary>
public sealed class ApiToken
{
    private readonly byte[] _expected;

    private ApiToken(string token) => _expected = Encoding.UTF8.GetBytes(token);

    /// <summary>The token file in the data folder.</summary>
    public static string FilePath(string dataDir) => Path.Combine(dataDir, "api-token");

    /// <summary>Resolves the token; <paramref name="announce"/> receives the one-time message when one is generated.</summary>
    public static ApiToken Resolve(string? configured, string dataDir, Action<string> announce)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new ApiToken(configured.Trim());
        }

        var path = FilePath(dataDir);
        if (File.Exists(path) && File.ReadAllText(path).Trim() is { Length: > 0 } kept)
        {
            return new ApiToken(kept);
        }

        var token = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24)).Replace('+', '-').Replace('/', '_');
        Directory.CreateDirectory(dataDir);
        // Created owner-only from the start, never readable by others even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new StreamWriter(path, System.Text.Encoding.UTF8, options))
        {
            file.Write(token + "\n");
        }

        announce($"Generated the API token (shown only now; kept in {Path.GetFullPath(path)}): {token}");
        return new ApiToken(token);
    }

    /// <summary>Whether the request carries the token, compared in constant time.</summary>
    public bool Accepts(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string scheme = "Bearer ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(header[scheme.Length..].Trim());
        return CryptographicOperations.FixedTimeEquals(given, _expected);
    }
}
