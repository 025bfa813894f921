using Refit;

namespace AutoHeal.Ui.Services;

/// <summary>Turns API failures into what the operator reads.</summary>
internal static class Problems
{
    private static readonly Dictionary<string, string[]> None = new(StringComparer.Ordinal);

    /// <summary>The problem details' errors keyed by field (<c>restart.cooldown_seconds</c>); empty when there are none.</summary>
    public static Dictionary<string, string[]> Fields(Exception ex) =>
        ex is ValidationApiException { Content.Errors: { Count: > 0 } errors } ? new(errors, StringComparer.Ordinal) : None;

    /// <summary>One sentence about a failure.</summary>
    public static string Describe(Exception ex) => ex switch
    {
        ValidationApiException { Content: { } p } => p.Detail ?? p.Title ?? "The request was not applied.",
        ApiException { Content: { Length: > 0 } body } api when TryDetail(body) is { } detail => $"{(int)api.StatusCode}: {detail}",
        ApiException api => $"The API answered {(int)api.StatusCode} {api.ReasonPhrase}.",
        HttpRequestException http => $"The API could not be reached: {http.Message}",
        TaskCanceledException => "The API did not answer in time.",
        _ => ex.Message,
    };

    private static string? TryDetail(string body)
    {
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(body);
            return doc.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { Length: > 0 } s ? s
                : doc.RootElement.TryGetProperty("title", out var t) ? t.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }
}
