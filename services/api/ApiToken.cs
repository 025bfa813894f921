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

    private ApiToken(string token, string? file)
    {
        _expected = Encoding.UTF8.GetBytes(token);
        FileName = file;
    }

    /// <summary>The full path of the token file; null when the token is configured (<c>AutoHeal:Api:Token</c>).</summary>
    public string? FileName { get; }

    /// <summary>The token file in the data folder.</summary>
    public static string FilePath(string dataDir) => Path.Combine(dataDir, "api-token");

    /// <summary>
    /// Resolves the token; <paramref name="announce"/> receives the one-time messages: a token generated (a missing, empty
    /// or whitespace-only file is replaced), or a file rewritten without the byte-order mark older versions wrote.
    /// </summary>
    public static ApiToken Resolve(string? configured, string dataDir, Action<string> announce)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return new ApiToken(configured.Trim(), null);
        }

        var path = FilePath(dataDir);
        if (File.Exists(path))
        {
            var bytes = File.ReadAllBytes(path);
            var bom = bytes.AsSpan().StartsWith(Encoding.UTF8.Preamble);
            var kept = Encoding.UTF8.GetString(bom ? bytes[Encoding.UTF8.Preamble.Length..] : bytes).Trim();
            if (kept.Length > 0)
            {
                if (bom)
                {
                    Write(path, kept); // so that `cat` gives the token alone
                    announce($"Rewrote {Path.GetFullPath(path)} without a byte-order mark (the token is unchanged)");
                }

                return new ApiToken(kept, Path.GetFullPath(path));
            }
        }

        var token = Convert.ToBase64String(RandomBytes(24)).Replace('+', '-').Replace('/', '_');
        Write(path, token);
        announce($"Generated the API token (shown only now; kept in {Path.GetFullPath(path)}): {token}");
        return new ApiToken(token, Path.GetFullPath(path));
    }

    /// <summary>
    /// <paramref name="count"/> random bytes from the kernel's generator (<c>/dev/urandom</c>, which seeds OpenSSL's,
    /// behind <see cref="RandomNumberGenerator"/> on Linux), so that the first start does not load OpenSSL for the
    /// life of the process (about 4 MiB resident); <see cref="RandomNumberGenerator"/> where there is no such device.
    /// </summary>
    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        if (OperatingSystem.IsLinux() && File.Exists("/dev/urandom"))
        {
            using var urandom = File.OpenRead("/dev/urandom");
            urandom.ReadExactly(bytes);
        }
        else
        {
            RandomNumberGenerator.Fill(bytes);
        }

        return bytes;
    }

    /// <summary>Writes the token file (UTF-8 without a byte-order mark, and a newline) owner-only, replacing what was there in one rename.</summary>
    private static void Write(string path, string token)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temp = $"{path}.{Guid.NewGuid():N}.tmp";
        // Created owner-only from the start, never readable by others even for a moment.
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temp, options))
        {
            file.Write(Encoding.UTF8.GetBytes(token + "\n")); // GetBytes writes no byte-order mark
            file.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
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
