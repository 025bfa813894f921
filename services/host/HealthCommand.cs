namespace AutoHeal.Host;

/// <summary>
/// <c>autoheal health [URL]</c>: asks a running AutoHeal's <c>/health</c> and exits 0 when it answers 200, 1 otherwise,
/// printing what it said: the image's own health check, with nothing but the runtime in the image (no curl or wget).
/// Without a URL it asks this container's own listener: the first of <c>ASPNETCORE_URLS</c> (the image sets it), on loopback.
/// </summary>
internal static class HealthCommand
{
    /// <summary>Whether <paramref name="args"/> ask for it.</summary>
    public static bool Asked(string[] args) => args is ["health", ..];

    /// <summary>Runs it; the exit code.</summary>
    public static async Task<int> RunAsync(string[] args)
    {
        var url = args.Length > 1 ? args[1] : $"{Listener(Environment.GetEnvironmentVariable("ASPNETCORE_URLS"))}/health";
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            await Console.Error.WriteLineAsync($"autoheal health: '{url}' is no http:// or https:// URL");
            return 2;
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            using var answer = await http.GetAsync(uri);
            Console.WriteLine($"{(int)answer.StatusCode} {await answer.Content.ReadAsStringAsync()}");
            return answer.IsSuccessStatusCode ? 0 : 1;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
        {
            await Console.Error.WriteLineAsync($"autoheal health: {uri} did not answer: {ex.Message}");
            return 1;
        }
    }

    // The first listening URL, its wildcard host (+, *, 0.0.0.0, [::]) made loopback; http://127.0.0.1:8080 when none is set.
    internal static string Listener(string? urls)
    {
        var first = urls?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
        if (string.IsNullOrEmpty(first))
        {
            return "http://127.0.0.1:8080";
        }

        var schemeEnd = first.IndexOf("://", StringComparison.Ordinal);
        var hostStart = schemeEnd < 0 ? 0 : schemeEnd + 3;
        var portAt = first.LastIndexOf(':');
        var host = portAt > hostStart ? first[hostStart..portAt] : first[hostStart..];
        var rest = portAt > hostStart ? first[portAt..].TrimEnd('/') : "";
        var loopback = host is "+" or "*" or "0.0.0.0" or "[::]" or "" ? "127.0.0.1" : host;
        return $"{(schemeEnd < 0 ? "http" : first[..schemeEnd])}://{loopback}{rest}";
    }
}
