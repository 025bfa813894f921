using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;

namespace AutoHeal.Api;

/// <summary>A delivery's outcome, for the test action.</summary>
public sealed record WebhookResult(string Webhook, bool Delivered, int? Status, string? Error, int Attempts);

/// <summary>
/// Tells webhooks about heals, failures, quarantines and the engine. Publishing only queues (a failing
/// or slow target never delays healing); deliveries retry with backoff; repeats of one alert (same
/// target, container and kind) within the fold window are folded into the next one that goes out.
/// URLs are secrets: logs name the webhook, never its URL.
/// </summary>
public sealed class WebhookNotifier(SettingsService settings, TimeProvider time, ILogger<WebhookNotifier> logger)
    : BackgroundService, IEventSinkPart
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = TimeSpan.FromSeconds(10),
    };

    private readonly Channel<Delivery> _queue = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<string, (DateTimeOffset SentAt, int Folded)> _recent = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _parallel = new(4, 4);

    /// <summary>Entries of the fold table beyond which the old ones are let go.</summary>
    internal const int FoldTableSize = 1000;

    /// <inheritdoc />
    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        var n = settings.Config.Notifications;
        foreach (var e in events)
        {
            var kind = Views.Name(e.Kind);
            var container = e.Key?.ToString() ?? "engine";
            foreach (var hook in n.Webhooks.Where(w => w.Enabled && w.Events.Contains(kind)))
            {
                var key = $"{hook.Name}|{e.Key}|{kind}";
                var now = time.GetUtcNow();
                var folded = 0;
                var fold = false;
                _recent.AddOrUpdate(key, _ => (now, 0), (_, last) =>
                {
                    if (now - last.SentAt < TimeSpan.FromSeconds(n.FoldSeconds))
                    {
                        fold = true;
                        return (last.SentAt, last.Folded + 1);
                    }

                    folded = last.Folded;
                    return (now, 0);
                });
                if (fold)
                {
                    Log.WebhookFolded(logger, hook.Name, kind, container);
                    continue;
                }

                _queue.Writer.TryWrite(new Delivery(hook, Views.Event(e), folded, n.MaxAttempts));
            }
        }

        if (_recent.Count > FoldTableSize)
        {
            Prune(time.GetUtcNow(), TimeSpan.FromSeconds(n.FoldSeconds));
        }

        return ValueTask.CompletedTask;
    }

    // The fold table keeps one entry per target, container and kind: those whose window is over, with nothing folded
    // still to tell, go; so do any a day old.
    private void Prune(DateTimeOffset now, TimeSpan window)
    {
        foreach (var (key, last) in _recent)
        {
            if (now - last.SentAt > TimeSpan.FromDays(1) || (now - last.SentAt > window && last.Folded == 0))
            {
                _recent.TryRemove(new KeyValuePair<string, (DateTimeOffset, int)>(key, last));
            }
        }
    }

    /// <summary>Sends a test alert to the named webhook (or all), once each, and says how it went.</summary>
    public async Task<IReadOnlyList<WebhookResult>> SendTestAsync(string? name, CancellationToken cancellationToken)
    {
        var hooks = settings.Config.Notifications.Webhooks.Where(w => name is null || w.Name == name).ToList();
        var test = new EventView(0, time.GetUtcNow(), "test", null, null, null, null, null, null,
            "This is a test notification from AutoHeal: this webhook is set up right.");
        var results = await Task.WhenAll(hooks.Select(h => DeliverAsync(new Delivery(h, test, 0, 1), cancellationToken)));
        return results;
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await SendAllAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: alerts still queued are dropped (they are in the event log)
        }
    }

    private async Task SendAllAsync(CancellationToken stoppingToken)
    {
        await foreach (var delivery in _queue.Reader.ReadAllAsync(stoppingToken))
        {
            await _parallel.WaitAsync(stoppingToken);
            _ = Task.Run(async () =>
            {
                try
                {
                    await DeliverAsync(delivery, stoppingToken);
                }
                finally
                {
                    _parallel.Release();
                }
            }, CancellationToken.None);
        }
    }

    private async Task<WebhookResult> DeliverAsync(Delivery d, CancellationToken ct)
    {
        var body = Payload.For(d.Hook.Format, d.Event, d.Folded);
        int? status = null;
        string? error = null;
        for (var attempt = 1; attempt <= d.MaxAttempts; attempt++)
        {
            try
            {
                using var content = new StringContent(body, Encoding.UTF8, "application/json");
                using var response = await Http.PostAsync(d.Hook.Url, content, ct);
                status = (int)response.StatusCode;
                if (response.IsSuccessStatusCode)
                {
                    Log.WebhookDelivered(logger, d.Hook.Name, d.Event.Kind, attempt);
                    return new WebhookResult(d.Hook.Name, true, status, null, attempt);
                }

                error = $"answered {status}";
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                error = ex.Message;
            }

            if (attempt < d.MaxAttempts)
            {
                Log.WebhookRetrying(logger, d.Hook.Name, d.Event.Kind, attempt, error ?? "");
                await Task.Delay(TimeSpan.FromSeconds(Math.Pow(2, attempt - 1)), time, ct);
            }
        }

        Log.WebhookGaveUp(logger, d.Hook.Name, d.Event.Kind, d.MaxAttempts, error ?? "");
        return new WebhookResult(d.Hook.Name, false, status, error, d.MaxAttempts);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _parallel.Dispose();
        base.Dispose();
    }

    private sealed record Delivery(WebhookConfig Hook, EventView Event, int Folded, int MaxAttempts);
}

/// <summary>
/// The bodies: AutoHeal's own JSON, and ready formats for Slack-compatible and Discord webhooks. What a container
/// wrote (its name, health check and exec output, log lines, label values: all in the messages) is escaped for the
/// chat's markup, so it can neither ping a channel, nor disguise a link, nor leave its code block.
/// </summary>
internal static class Payload
{
    public static string For(string format, EventView e, int folded)
    {
        var title = $"AutoHeal: {(e.Container is null ? "engine" : $"{e.Host}/{e.Container}")} {e.Kind.Replace('_', ' ')}";
        var more = folded > 0 ? $" ({folded} more like this folded since the last alert)" : "";
        var text = $"{e.Message}{more}";
        var logs = e.Diagnostics is { } d && (d.LogTail.Count > 0 || d.ExitCode is not null)
            ? $"exit code {d.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}{(d.OomKilled ? ", OOM killed" : "")}\n{string.Join('\n', d.LogTail.TakeLast(10))}"
            : null;
        return format switch
        {
            "slack" => System.Text.Json.JsonSerializer.Serialize(new
            {
                text = $"*{Slack(title)}*\n{Slack(text)}{(logs is null ? "" : $"\n```{Fence(Slack(logs))}```")}",
            }),
            "discord" => System.Text.Json.JsonSerializer.Serialize(new
            {
                username = "AutoHeal",
                allowed_mentions = new { parse = Array.Empty<string>() }, // no @everyone, @here, user or role pings
                embeds = new[]
                {
                    new
                    {
                        title = Discord(title),
                        description = $"{Discord(text)}{(logs is null ? "" : $"\n```{Fence(logs)}```")}",
                        color = e.Kind switch { "healed" or "released" or "engine_up" or "maintenance_ended" or "storm_ended" or "recreated" => 0x2e7d32, "quarantined" or "heal_failed" or "engine_down" or "storm" => 0xc62828, _ => 0x546e7a },
                        timestamp = e.At.ToString("o", System.Globalization.CultureInfo.InvariantCulture),
                    },
                },
            }),
            _ => System.Text.Json.JsonSerializer.Serialize(new GenericPayload("autoheal", StatusEndpoints.Version, e, folded), AutoHealApiClient.Json),
        };
    }

    /// <summary>Slack's three control characters (<c>&lt;!channel&gt;</c>, <c>&lt;url|text&gt;</c> links), as Slack asks.</summary>
    internal static string Slack(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Discord's markdown (masked links, emphasis, quotes, headings), each character escaped with a backslash.</summary>
    internal static string Discord(string text)
    {
        var escaped = new System.Text.StringBuilder(text.Length + 16);
        foreach (var ch in text)
        {
            if (ch is '\\' or '*' or '_' or '~' or '`' or '|' or '>' or '<' or '[' or ']' or '(' or ')' or '#' or '@')
            {
                escaped.Append('\\');
            }

            escaped.Append(ch);
        }

        return escaped.ToString();
    }

    /// <summary>Text inside a code block, which a run of backticks would end.</summary>
    internal static string Fence(string text) => text.Replace("`", "\u02cb", StringComparison.Ordinal);

    private sealed record GenericPayload(string Source, string Version, EventView Event, int Folded);
}
