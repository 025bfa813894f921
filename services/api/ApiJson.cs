using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace AutoHeal.Api;

/// <summary>
/// Reads request bodies strictly: malformed JSON, unknown fields and wrong types become a 400
/// problem naming the field (its JSON path), and nothing is applied.
/// </summary>
internal static partial class ApiJson
{
    /// <summary>The API's serializer options, with unknown fields refused.</summary>
    public static readonly JsonSerializerOptions Strict = CreateStrict();

    /// <summary>The largest body accepted.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    /// <summary>
    /// The content types a body may come with: JSON, none at all, or what <c>curl -d</c> sends without
    /// <c>-H 'Content-Type: application/json'</c> (the body must still parse as JSON).
    /// </summary>
    public static readonly string[] BodyTypes = ["application/json", "application/x-www-form-urlencoded"];

    /// <summary>Declares a JSON body of <typeparamref name="T"/> (for the API docs), also accepted as <see cref="BodyTypes"/>.</summary>
    public static RouteHandlerBuilder AcceptsJson<T>(this RouteHandlerBuilder builder) where T : notnull =>
        builder.Accepts<T>(BodyTypes[0], BodyTypes[1..]);

    public static async Task<(JsonNode? Node, IResult? Error)> ReadNodeAsync(HttpRequest request, CancellationToken ct)
    {
        if (!IsAcceptedType(request.ContentType))
        {
            return (null, TypedResults.Problem(
                $"The body must be JSON; Content-Type {request.ContentType} is not (send application/json, or no Content-Type).",
                statusCode: StatusCodes.Status415UnsupportedMediaType, title: "The request was not applied."));
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return (null, TooLarge());
        }

        try
        {
            using var buffer = new MemoryStream();
            await request.Body.CopyToAsync(buffer, ct);
            if (buffer.Length > MaxBodyBytes)
            {
                return (null, TooLarge());
            }

            if (buffer.Length == 0)
            {
                return (null, Problem("body", "a JSON body is required"));
            }

            buffer.Position = 0;
            return (await JsonNode.ParseAsync(buffer, cancellationToken: ct), null);
        }
        catch (JsonException ex)
        {
            return (null, Problem("body", $"malformed JSON: {ex.Message}"));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge());
        }
    }

    private static bool IsAcceptedType(string? contentType)
    {
        if (string.IsNullOrWhiteSpace(contentType))
        {
            return true;
        }

        var media = contentType.Split(';', 2)[0].Trim();
        return BodyTypes.Contains(media, StringComparer.OrdinalIgnoreCase)
            || media.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Turns a node into <typeparamref name="T"/>, naming the offending field on failure.</summary>
    public static (T? Value, IResult? Error) Bind<T>(JsonNode? node, string prefix = "")
    {
        if (node is not JsonObject)
        {
            return (default, Problem(prefix.Length > 0 ? prefix.TrimEnd('.') : "body", "must be a JSON object"));
        }

        try
        {
            var value = node.Deserialize<T>(Strict);
            return value is null ? (default, Problem("body", "must not be null")) : (value, null);
        }
        catch (JsonException ex)
        {
            var field = FieldOf(ex, prefix);
            var reason = UnknownMember().IsMatch(ex.Message) ? "is not a known field" : "has the wrong type or value";
            return (default, Problem(field, $"{field} {reason}"));
        }
    }

    /// <summary>Copies the fields of <paramref name="patch"/> over <paramref name="current"/> (objects merge; values and lists replace).</summary>
    public static JsonNode Merge(JsonNode current, JsonNode patch)
    {
        if (current is JsonObject target && patch is JsonObject source)
        {
            foreach (var (name, value) in source.ToList())
            {
                target[name] = target[name] is JsonObject inner && value is JsonObject
                    ? Merge(inner, value!.DeepClone())
                    : value?.DeepClone();
            }

            return target;
        }

        return patch.DeepClone();
    }

    public static JsonNode ToNode<T>(T value) => JsonSerializer.SerializeToNode(value, Strict)!;

    /// <summary>A 400 problem naming one field.</summary>
    public static IResult Problem(string field, string message) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [message] }, title: "The request was not applied.", detail: message);

    /// <summary>A 400 problem with several fields.</summary>
    public static IResult Problems(Dictionary<string, string[]> errors, string? prefix = null) =>
        TypedResults.ValidationProblem(
            prefix is null ? errors : errors.ToDictionary(e => prefix + e.Key, e => e.Value),
            title: "The request was not applied.",
            detail: string.Join("; ", errors.SelectMany(e => e.Value)));

    private static ProblemHttpResult TooLarge() =>
        TypedResults.Problem($"The body is larger than {MaxBodyBytes / 1024} KiB.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "The request was not applied.");

    private static string FieldOf(JsonException ex, string prefix)
    {
        var path = (ex.Path ?? "$").TrimStart('$').TrimStart('.');
        if (UnknownMember().Match(ex.Message) is { Success: true } m)
        {
            path = path.Length == 0 ? m.Groups[1].Value : path.EndsWith(m.Groups[1].Value, StringComparison.Ordinal) ? path : $"{path}.{m.Groups[1].Value}";
        }

        var field = prefix + path;
        return field.Length == 0 ? "body" : field.TrimEnd('.');
    }

    private static JsonSerializerOptions CreateStrict()
    {
        var json = AutoHealApiClient.CreateJson();
        json.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
        json.NumberHandling = JsonNumberHandling.Strict;
        json.RespectNullableAnnotations = true;
        return json;
    }

    [GeneratedRegex("The JSON property '([^']+)' could not be mapped")]
    private static partial Regex UnknownMember();
}
