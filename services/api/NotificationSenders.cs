using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace AutoHeal.Api;

/// <summary>One attempt's outcome: delivered, or why not (the service's own words when it answered), and whether trying again may help.</summary>
public sealed record SendOutcome(bool Delivered, int? Status, string? Error, bool Transient);

/// <summary>
/// Where the services with one fixed address live (<c>AutoHeal:Notifications:TelegramApi</c>, <c>...:PushoverApi</c>):
/// the public ones by default; a self-hosted Telegram Bot API server, a relay, or a test's receiver otherwise.
/// </summary>
public sealed record NotificationApis(Uri TelegramApi, Uri PushoverApi)
{
    /// <summary>The public services.</summary>
    public static readonly NotificationApis Public = new(new Uri("https://api.telegram.org/"), new Uri("https://api.pushover.net/"));
}

/// <summary>
/// Sends one alert to one target in the form its service documents: ntfy's JSON publish, Gotify's message API, the
/// Telegram Bot API's sendMessage, Pushover's messages API, SMTP (MailKit), an Apprise API server's notify, a Teams
/// workflow's Adaptive Card, and the webhook formats. The priority comes from the alert's kind.
/// </summary>
public sealed class NotificationSenders(NotificationApis endpoints, TimeProvider time, IContainerRuntime? runtime = null, HostIdentity? localHost = null)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    // No redirects: a POST turned into a GET would count as delivered, and a token header would follow to another host.
    private static readonly HttpClient Http = new(new SocketsHttpHandler { UseProxy = false, AllowAutoRedirect = false, PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        Timeout = Timeout,
    };

    private readonly Lock _engineNameLock = new();
    private Task<string?>? _engineName;
    private DateTimeOffset _engineNameAsked = DateTimeOffset.MinValue;

    /// <summary>How urgent an alert is, for the services that have priorities.</summary>
    public enum Urgency
    {
        /// <summary>Healing started: the outcome follows (Telegram silent, ntfy/Gotify low, Pushover quiet).</summary>
        Low,
        /// <summary>Good news, notices.</summary>
        Normal,
        /// <summary>A heal failed, a storm.</summary>
        High,
        /// <summary>Healing stopped (quarantine) or the engine is gone.</summary>
        Urgent,
    }

    /// <summary>The urgency of an alert of <paramref name="kind"/>.</summary>
    public static Urgency UrgencyOf(string kind) => kind switch
    {
        "heal_scheduled" => Urgency.Low,
        "heal_failed" or "storm" => Urgency.High,
        "quarantined" or "engine_down" => Urgency.Urgent,
        _ => Urgency.Normal,
    };

    /// <summary>Sends <paramref name="alert"/> to <paramref name="hook"/> once.</summary>
    public async Task<SendOutcome> SendAsync(WebhookConfig hook, Alert alert, int folded, CancellationToken ct)
    {
        if (!NotificationUrl.TryParse(hook.Url, out var target, out var error))
        {
            return new SendOutcome(false, null, $"the URL {error}", false);
        }

        var host = await HostAsync(alert.Event.Host, ct);
        var about = alert.Event.Container is null ? host : $"{host}/{alert.Event.Container}";
        var title = $"{(hook.Prefix.Length > 0 ? hook.Prefix + " " : "")}AutoHeal: {about} {alert.Event.Kind.Replace('_', ' ')}";
        var text = folded > 0 ? $"{alert.Text} ({folded} more like this folded since the last alert)" : alert.Text;
        var message = new Message(title, text, alert.Logs, UrgencyOf(alert.Event.Kind), alert, folded);
        var outcome = target!.Service switch
        {
            TargetService.Email => await EmailAsync(target, message, ct),
            _ => await PostAsync(() => Request(hook, target, message), ct),
        };
        return outcome.Error is { } said ? outcome with { Error = Scrub(said, target) } : outcome;
    }

    // A service (or a proxy before it) may echo the request in its error: the URL's secrets never reach a log or an event.
    private static string Scrub(string error, NotificationUrl target)
    {
        foreach (var secret in new[] { target.Token, target.Password, target.Recipient, target.User, target.Endpoint?.PathAndQuery.TrimStart('/') })
        {
            if (secret is { Length: >= 3 })
            {
                error = error.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return error;
    }

    // "local" (the default name of the one Docker host) says little: the engine's own host name says which machine.
    private async Task<string> HostAsync(string? host, CancellationToken ct)
    {
        if (host is not (null or "local") || runtime is null)
        {
            return host ?? "local";
        }

        // One question at a time, shared by the deliveries that wait for it; asked again a minute after no answer.
        Task<string?> asking;
        lock (_engineNameLock)
        {
            if (_engineName is null || (_engineName is { IsCompleted: true, Result: null } && time.GetUtcNow() - _engineNameAsked > TimeSpan.FromMinutes(1)))
            {
                _engineNameAsked = time.GetUtcNow();
                _engineName = AskEngineNameAsync(runtime);
            }

            asking = _engineName;
        }

        return await asking.WaitAsync(ct) ?? host ?? "local";
    }

    /// <summary>The container's last log lines and exit, read now from this process's engine; null without one, or when it cannot tell within a few seconds.</summary>
    public async Task<HealDiagnostics?> LastWordsAsync(string? containerId, string? host)
    {
        if (runtime is null || containerId is null || (host is not null && localHost is not null && host != localHost.Name))
        {
            return null;
        }

        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            if (await runtime.InspectAsync(containerId, bounded.Token) is not { } c)
            {
                return null;
            }

            return c.Diagnostics(await runtime.LogTailAsync(c, 10, bounded.Token));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // told without them (a log driver that cannot be read, a proxy that refuses /logs)
        }
    }

    private static async Task<string?> AskEngineNameAsync(IContainerRuntime runtime)
    {
        try
        {
            using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            return await runtime.EngineNameAsync(bounded.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return null; // the configured name then (an engine or a socket proxy that refuses /info, say); never a faulted task
        }
    }

    private HttpRequestMessage Request(WebhookConfig hook, NotificationUrl target, Message m)
    {
        var full = m.Logs is null ? m.Text : $"{m.Text}\n\n{m.Logs}";
        switch (target.Service)
        {
            case TargetService.Ntfy:
                // https://docs.ntfy.sh/publish/#publish-as-json: POST to the root URL; priority 1 (min) to 5 (max).
                var ntfy = Json(target.Endpoint!, new
                {
                    topic = target.Recipient,
                    title = m.Title,
                    message = full,
                    priority = m.Urgency switch { Urgency.Low => 2, Urgency.High => 4, Urgency.Urgent => 5, _ => 3 },
                    tags = new[] { m.Urgency >= Urgency.High ? "rotating_light" : m.Alert.Event.Kind is "healed" or "released" ? "white_check_mark" : "information_source" },
                });
                if (target.Token is { Length: > 0 } token)
                {
                    ntfy.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                }
                else if (target.User is not null)
                {
                    ntfy.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{target.User}:{target.Password}")));
                }

                return ntfy;

            case TargetService.Gotify:
                // https://gotify.net/api-docs#/message/createMessage: the application token in X-Gotify-Key; priority 0 to 10.
                var gotify = Json(target.Endpoint!, new
                {
                    title = m.Title,
                    message = full,
                    priority = m.Urgency switch { Urgency.Low => 2, Urgency.High => 7, Urgency.Urgent => 9, _ => 5 },
                });
                gotify.Headers.Add("X-Gotify-Key", target.Token);
                return gotify;

            case TargetService.Telegram:
                // https://core.telegram.org/bots/api#sendmessage: plain text (no parse_mode: nothing a container wrote is markup).
                return Json(new Uri(endpoints.TelegramApi, $"./bot{target.Token}/sendMessage"), new
                {
                    chat_id = target.Recipient,
                    text = Bound($"{m.Title}\n{full}", 4096),
                    disable_notification = m.Urgency == Urgency.Low,
                    link_preview_options = new { is_disabled = true },
                });

            case TargetService.Pushover:
                // https://pushover.net/api: form fields; priority -2 to 2 (2, emergency, needs retry and expire: not used).
                return new HttpRequestMessage(HttpMethod.Post, new Uri(endpoints.PushoverApi, "./1/messages.json"))
                {
                    Content = new FormUrlEncodedContent(new Dictionary<string, string>
                    {
                        ["token"] = target.Token!,
                        ["user"] = target.Recipient!,
                        ["title"] = Bound(m.Title, 250),
                        ["message"] = Bound(full, 1024),
                        ["priority"] = (m.Urgency switch { Urgency.Low => -1, Urgency.High or Urgency.Urgent => 1, _ => 0 }).ToString(CultureInfo.InvariantCulture),
                        ["timestamp"] = m.Alert.Event.At.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture),
                    }),
                };

            case TargetService.Apprise:
                // https://github.com/caronc/apprise-api#persistent-stateful-storage-solution: POST /notify/{KEY}.
                return Json(target.Endpoint!, new
                {
                    title = m.Title,
                    body = full,
                    type = m.Urgency switch
                    {
                        Urgency.Urgent => "failure",
                        Urgency.High => "warning",
                        _ when m.Alert.Event.Kind is "healed" or "released" or "engine_up" => "success",
                        _ => "info",
                    },
                    format = "text",
                    tag = target.Tags,
                });

            case TargetService.Teams:
                // A Teams workflow ("When a Teams webhook request is received") takes a message with an Adaptive Card.
                return Json(target.Endpoint!, new
                {
                    type = "message",
                    attachments = new[]
                    {
                        new
                        {
                            contentType = "application/vnd.microsoft.card.adaptive",
                            content = new Dictionary<string, object>
                            {
                                ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
                                ["type"] = "AdaptiveCard",
                                ["version"] = "1.4",
                                ["body"] = new object[]
                                {
                                    new { type = "TextBlock", text = m.Title, weight = "Bolder", size = "Medium", wrap = true, color = m.Urgency >= Urgency.High ? "Attention" : "Default" },
                                    new { type = "TextBlock", text = m.Text, wrap = true },
                                }.Concat(m.Logs is null ? [] : [new { type = "TextBlock", text = m.Logs, wrap = true, fontType = "Monospace" }]).ToArray(),
                            },
                        },
                    },
                });

            default:
                return new HttpRequestMessage(HttpMethod.Post, target.Endpoint)
                {
                    Content = new StringContent(Payload.For(hook.Format, m), Encoding.UTF8, "application/json"),
                };
        }
    }

    private static HttpRequestMessage Json(Uri url, object body) =>
        new(HttpMethod.Post, url) { Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json") };

    private static string Bound(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";

    private static async Task<SendOutcome> PostAsync(Func<HttpRequestMessage> request, CancellationToken ct)
    {
        try
        {
            using var message = request();
            using var response = await Http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, ct);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return new SendOutcome(true, status, null, false);
            }

            if (status is >= 300 and < 400)
            {
                return new SendOutcome(false, status, $"answered {status}, a redirect: give the URL it redirects to", false);
            }

            var said = ServiceWords(await ReadBoundedAsync(response, ct), response.Content.Headers.ContentType?.MediaType);
            return new SendOutcome(false, status, said is null ? $"answered {status}" : $"answered {status}: {said}", status is >= 500 or 429 or 408);
        }
        catch (HttpRequestException ex)
        {
            return new SendOutcome(false, null, ex.Message, true);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or UriFormatException)
        {
            return new SendOutcome(false, null, ex.Message, false); // a request that cannot be made: trying again will not help
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return new SendOutcome(false, null, $"no answer within {Timeout.TotalSeconds:0} s", true);
        }
    }

    private static async Task<string> ReadBoundedAsync(HttpResponseMessage response, CancellationToken ct)
    {
        var buffer = new char[2048];
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct), Encoding.UTF8);
        var n = await reader.ReadBlockAsync(buffer, ct);
        return new string(buffer, 0, n);
    }

    /// <summary>What a refusing service said, from the fields each one documents (Telegram's description, Pushover's errors, Gotify's errorDescription, ntfy's error), else its text.</summary>
    internal static string? ServiceWords(string body, string? mediaType)
    {
        var text = body.Trim();
        if (text.Length == 0 || mediaType is "text/html" || text.StartsWith('<'))
        {
            return null; // an error page (a proxy's, say): its status says it
        }

        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                var root = doc.RootElement;
                foreach (var field in new[] { "description", "errorDescription", "error", "message" })
                {
                    if (root.TryGetProperty(field, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s)
                    {
                        return OneLine(s);
                    }
                }

                if (root.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array)
                {
                    return OneLine(string.Join("; ", errors.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString())));
                }
            }
        }
        catch (JsonException)
        {
            // plain text
        }

        return OneLine(text);
    }

    private static string OneLine(string s)
    {
        var line = string.Join(' ', s.Split(['\r', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return Bound(line, 300);
    }

    private static async Task<SendOutcome> EmailAsync(NotificationUrl target, Message m, CancellationToken ct)
    {
        // The certificate is checked as HttpClient checks the other services' (no revocation lists fetched: a small
        // host may not reach them, and HTTPS targets do without).
        using var smtp = new SmtpClient { Timeout = (int)Timeout.TotalMilliseconds, CheckCertificateRevocation = false };
        try
        {
            using var mail = Mail(target, m);
            await smtp.ConnectAsync(target.Host!, target.Port, target.Security switch
            {
                SmtpSecurity.Tls => SecureSocketOptions.SslOnConnect,
                SmtpSecurity.None => SecureSocketOptions.None,
                _ => SecureSocketOptions.StartTls,
            }, ct);
            if (target.User is not null)
            {
                await smtp.AuthenticateAsync(target.User, target.Password ?? "", ct);
            }

            await smtp.SendAsync(mail, ct);
            await smtp.DisconnectAsync(true, ct);
            return new SendOutcome(true, null, null, false);
        }
        catch (SmtpCommandException ex)
        {
            var code = (int)ex.StatusCode;
            return new SendOutcome(false, code, $"the SMTP server answered {code}: {OneLine(ex.Message)}", code is >= 400 and < 500);
        }
        catch (AuthenticationException ex)
        {
            return new SendOutcome(false, null, $"the SMTP server refused the login: {OneLine(ex.Message)}", false);
        }
        catch (SslHandshakeException ex)
        {
            return new SendOutcome(false, null, $"TLS with the SMTP server failed: {OneLine(ex.Message)}", false);
        }
        catch (Exception ex) when (ex is SmtpProtocolException or IOException or SocketException
                                       || (ex is OperationCanceledException && !ct.IsCancellationRequested))
        {
            return new SendOutcome(false, null, $"SMTP with {target.Host}:{target.Port.ToString(CultureInfo.InvariantCulture)} failed: {OneLine(ex.Message)}", true);
        }
        catch (Exception ex) when (ex is NotSupportedException or ParseException or InvalidOperationException or ArgumentException)
        {
            return new SendOutcome(false, null, $"SMTP with {target.Host}:{target.Port.ToString(CultureInfo.InvariantCulture)} failed: {OneLine(ex.Message)}", false);
        }
    }

    private static MimeMessage Mail(NotificationUrl target, Message m)
    {
        var mail = new MimeMessage
        {
            Subject = m.Title,
            Date = m.Alert.Event.At,
            Importance = m.Urgency switch { Urgency.Low => MessageImportance.Low, Urgency.High or Urgency.Urgent => MessageImportance.High, _ => MessageImportance.Normal },
            Priority = m.Urgency == Urgency.Urgent ? MessagePriority.Urgent : MessagePriority.Normal,
            Body = new TextPart("plain") { Text = m.Logs is null ? m.Text : $"{m.Text}\n\nLast words of the container:\n{m.Logs}" },
        };
        mail.From.Add(MailboxAddress.Parse(target.From!));
        foreach (var to in target.To)
        {
            mail.To.Add(MailboxAddress.Parse(to));
        }

        return mail;
    }

    /// <summary>An alert made ready for one target: title (prefix, host, container, kind), text, last words, urgency.</summary>
    internal sealed record Message(string Title, string Text, string? Logs, Urgency Urgency, Alert Alert, int Folded);
}

/// <summary>
/// The webhook bodies: AutoHeal's own JSON, and ready formats for Slack-compatible and Discord webhooks. What a container
/// wrote (its name, health check and exec output, log lines, label values: all in the messages) is escaped for the
/// chat's markup, so it can neither ping a channel, nor disguise a link, nor leave its code block.
/// </summary>
internal static class Payload
{
    public static string For(string format, NotificationSenders.Message m)
    {
        var e = m.Alert.Event;
        return format switch
        {
            "slack" => JsonSerializer.Serialize(new
            {
                text = $"*{Slack(m.Title)}*\n{Slack(m.Text)}{(m.Logs is null ? "" : $"\n```{Fence(Slack(m.Logs))}```")}",
            }),
            "discord" => JsonSerializer.Serialize(new
            {
                username = "AutoHeal",
                allowed_mentions = new { parse = Array.Empty<string>() }, // no @everyone, @here, user or role pings
                embeds = new[]
                {
                    new
                    {
                        title = Discord(m.Title),
                        description = $"{Discord(m.Text)}{(m.Logs is null ? "" : $"\n```{Fence(m.Logs)}```")}",
                        color = m.Urgency >= NotificationSenders.Urgency.High ? 0xc62828
                            : e.Kind is "healed" or "released" or "engine_up" or "maintenance_ended" or "storm_ended" or "recreated" ? 0x2e7d32 : 0x546e7a,
                        timestamp = e.At.ToString("o", CultureInfo.InvariantCulture),
                    },
                },
            }),
            _ => JsonSerializer.Serialize(
                new GenericPayload("autoheal", StatusEndpoints.Version, e, m.Folded, m.Title, m.Text, m.Logs, m.Alert.Took?.TotalSeconds, WebhookConfig.SeverityOf(e.Kind)),
                AutoHealApiClient.Json),
        };
    }

    /// <summary>Slack's three control characters (<c>&lt;!channel&gt;</c>, <c>&lt;url|text&gt;</c> links), as Slack asks.</summary>
    internal static string Slack(string text) => text.Replace("&", "&amp;", StringComparison.Ordinal)
        .Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    /// <summary>Discord's markdown (masked links, emphasis, quotes, headings), each character escaped with a backslash.</summary>
    internal static string Discord(string text)
    {
        var escaped = new StringBuilder(text.Length + 16);
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

    private sealed record GenericPayload(string Source, string Version, EventView Event, int Folded, string Title, string Text, string? Logs, double? HealSeconds, string Severity);
}
