using System.Net;
using System.Text;
using Refit;

namespace AutoHeal.Ui.Tests;

/// <summary>Refit exceptions as the real client raises them for the API's problem details.</summary>
internal static class ApiErrors
{
    public static ValidationApiException Validation(Dictionary<string, string[]> errors)
    {
        var body = System.Text.Json.JsonSerializer.Serialize(new
        {
            type = "https://tools.ietf.org/html/rfc9110#section-15.5.1",
            title = "The request was not applied.",
            status = 400,
            detail = string.Join("; ", errors.SelectMany(e => e.Value)),
            errors,
        });
        using var request = new HttpRequestMessage(HttpMethod.Put, "http://127.0.0.1/api/config/restart");
        using var response = new HttpResponseMessage(HttpStatusCode.BadRequest)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/problem+json"),
            RequestMessage = request,
        };
        var settings = new RefitSettings(new SystemTextJsonContentSerializer(AutoHealApiClient.Json));
        var api = ApiException.Create(request, HttpMethod.Put, response, settings).GetAwaiter().GetResult();
        return ValidationApiException.Create(api);
    }
}
