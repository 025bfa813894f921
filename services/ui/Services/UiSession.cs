using System.Net;
using AutoHeal.Contracts.Api;
using Microsoft.AspNetCore.Http;
using Refit;

namespace AutoHeal.Ui.Services;

/// <summary>
/// The signed-in state of one browser tab (one Blazor circuit): the API client with the operator's token.
/// The token stays on the server side of the circuit; the browser keeps only an encrypted copy in its
/// session storage (see Layout/MainLayout.razor) so a reload of the tab does not sign out, and
/// closing the tab forgets it.
/// </summary>
internal sealed class UiSession(ApiAddress address, IHttpClientFactory clients, DashboardCaller caller, SignInLimiter limiter, IHttpContextAccessor http)
{
    private readonly string _tab = Guid.NewGuid().ToString("N"); // the API counts this tab's wrong tokens on their own
    private readonly string _browser = http.HttpContext?.Connection.RemoteIpAddress?.ToString() ?? "unknown";

    public IAutoHealApi? Api { get; private set; }

    public bool SignedIn => Api is not null;

    public Uri BaseAddress => address.BaseAddress;

    /// <summary>Raised when signing in or out, so the layout re-renders.</summary>
    public event Action? Changed;

    /// <summary>A client for <paramref name="token"/>, not yet signed in.</summary>
    public IAutoHealApi CreateClient(string token)
    {
        var client = clients.CreateClient(ApiAddress.HttpClientName);
        client.BaseAddress = address.BaseAddress;
        client.DefaultRequestHeaders.Add(DashboardCaller.KeyHeader, caller.Key);
        client.DefaultRequestHeaders.Add(DashboardCaller.SessionHeader, _tab);
        return AutoHealApiClient.Create(client, token);
    }

    /// <summary>Checks the token against the API; null when it is accepted, else what to tell the operator.</summary>
    public async Task<string?> TrySignInAsync(string token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return "Enter the API token.";
        }

        if (limiter.Exhausted(_browser))
        {
            return $"Too many wrong tokens from your address: try again in a minute ({SignInLimiter.FailuresAllowed} are allowed per minute).";
        }

        var api = CreateClient(token.Trim());
        try
        {
            await api.GetStatusAsync(ct);
        }
        catch (ApiException ex) when (ex.StatusCode == HttpStatusCode.Unauthorized)
        {
            var left = limiter.Failed(_browser);
            return $"AutoHeal did not accept this token. Use the value of AutoHeal:Api:Token, or the one in the api-token file of the data folder ({left} more tries this minute).";
        }
        catch (ApiException ex)
        {
            return $"The API answered {(int)ex.StatusCode} {ex.ReasonPhrase}.";
        }
        catch (HttpRequestException ex)
        {
            return $"The API could not be reached at {address.BaseAddress}: {ex.Message}";
        }

        Api = api;
        Changed?.Invoke();
        return null;
    }

    public void SignOut()
    {
        Api = null;
        Changed?.Invoke();
    }
}
