using System.Net;
using AutoHeal.Contracts.Api;
using AutoHeal.Ui.Services;
using Microsoft.AspNetCore.Components;
using Refit;

namespace AutoHeal.Ui.Components;

/// <summary>
/// A page that shows server state and keeps it current: it loads on start and again every
/// <see cref="Interval"/> until it is disposed, so what changes on the server shows without a reload.
/// </summary>
public abstract class LiveComponent : ComponentBase, IAsyncDisposable
{
    /// <summary>How often the page reloads; well under the two seconds an operator may wait.</summary>
    protected static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;

    [Inject] internal UiSession Session { get; set; } = default!;

    [Inject] internal TimeProvider Time { get; set; } = default!;

    /// <summary>The signed-in client (the layout renders pages only when signed in).</summary>
    internal IAutoHealApi Api => Session.Api ?? throw new InvalidOperationException("Not signed in.");

    /// <summary>Why the last load failed, shown above the page; null when it worked.</summary>
    protected string? LoadError { get; private set; }

    /// <summary>Whether the page has loaded once.</summary>
    protected bool Loaded { get; private set; }

    /// <summary>When true, the timer skips its reloads (e.g. while the operator looks at an older page of events).</summary>
    protected virtual bool Paused => false;

    /// <summary>Reads what the page shows.</summary>
    protected abstract Task LoadAsync(CancellationToken ct);

    /// <summary>Loads now (after an action) and re-renders.</summary>
    protected async Task ReloadAsync()
    {
        await SafeLoadAsync();
        StateHasChanged();
    }

    /// <inheritdoc />
    protected override async Task OnInitializedAsync()
    {
        await SafeLoadAsync();
        _loop = RefreshAsync(_stop.Token);
    }

    private async Task RefreshAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(ct))
            {
                if (!Paused)
                {
                    await InvokeAsync(ReloadAsync);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // disposed
        }
        catch (ObjectDisposedException)
        {
            // the circuit went away under the timer
        }
    }

    private async Task SafeLoadAsync()
    {
        try
        {
            await LoadAsync(_stop.Token);
            LoadError = null;
            Loaded = true;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (ApiException ex) when (ex.StatusCode == HttpStatusCode.Unauthorized)
        {
            Session.SignOut(); // the token was changed on the server: sign in again
        }
        catch (Exception ex) when (ex is ApiException or HttpRequestException or TaskCanceledException)
        {
            LoadError = Problems.Describe(ex);
        }
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop;
        }

        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
