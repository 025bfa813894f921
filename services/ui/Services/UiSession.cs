using System.Net;
using AutoHeal.Contracts.Api;
using Refit;

namespace AutoHeal.Ui.Services;

/// <summary>
/// The signed-in state of one browser tab (one Blazor circuit): the API client with the operator's token.
/// The token stays on the server side of the circuit; the browser keeps only an encrypted copy in its
/// session storage (see Layout/MainLayout.razor) so a reload of the tab does not sign out, and
/// closing the tab forgets it.
/// </summary>
internal sealed class UiSession(ApiAddress address, IHttpClientFactory clients)
{
    public IAutoHealApi? Api { get; private set; }

    public bool SignedIn => Api is not null;

    public Uri BaseAddress => address.BaseAddress;

    /// <summary>Raised when signing in or out, so the layout re-renders.</summary>
    public event Action? Changed;

    /// <summary>A client for <paramref name="token"/>, not yet signed in.</summary>
    public IAutoHealApi CreateClient(string token)
    {
        var http = clients.CreateClient(ApiAddress.HttpClientName);
        http.BaseAddress = address.BaseAddress;
        return AutoHealApiClient.Create(http, token);
    }

    /// <summary>Checks the token against the API; null when it is accepted, else what to tell the operator.</summary>
    public async Task<string?> TrySignInAsync(string token, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(token))
        {
            return "Enter the API token.";
        }

        var api = CreateClient(token.Trim());
        try
        {
            await api.GetStatusAsync(ct);
        }
        catch (ApiException ex) when (ex.StatusCode == HttpStatusCode.Unauthorized)
        {
            return "AutoHeal did not accept this token. Use the value of AutoHeal:Api:Token, or the one in the api-token file of the data folder.";
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
