using System.Collections.Concurrent;
using System.Threading.Channels;
using AutoHeal.Domain.Policies;
using Polly;
using Polly.Retry;

namespace AutoHeal.Api;

/// <summary>A delivery's outcome, for the test action.</summary>
public sealed record WebhookResult(string Webhook, bool Delivered, int? Status, string? Error, int Attempts);

/// <summary>
/// Tells the notification targets about heals, failures, quarantines and the engine: one message per incident's
/// end (healed, heal failed, quarantined, released), and when it starts for the targets that ask. Publishing only
/// queues (a failing or slow target never delays healing); deliveries retry with backoff (a Polly pipeline), bounded;
/// repeats of one alert (same target, container and kind) within the fold window are folded into the next one that
/// goes out; a target that keeps failing is reported once (an event and a log line) until it delivers again. URLs are
/// secrets: logs name the target, never its URL.
/// </summary>
public sealed class WebhookNotifier(
    SettingsService settings, NotificationSenders senders, IEventLog eventLog, TimeProvider time, ILogger<WebhookNotifier> logger)
    : BackgroundService, IEventSinkPart
{
    private readonly Channel<Delivery> _queue = Channel.CreateBounded<Delivery>(new BoundedChannelOptions(1000) { FullMode = BoundedChannelFullMode.DropOldest });
    private readonly ConcurrentDictionary<string, (DateTimeOffset SentAt, int Folded)> _recent = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, HealDiagnostics> _lastWords = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _failing = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _parallel = new(4, 4);

    /// <summary>Entries of the fold table (and of the last words kept per container) beyond which the old ones are let go.</summary>
    internal const int FoldTableSize = 1000;

    /// <inheritdoc />
    public ValueTask PublishAsync(IReadOnlyList<AutoHealEvent> events, CancellationToken cancellationToken)
    {
        var n = settings.Config.Notifications;
        foreach (var e in events)
        {
            var kind = Views.Name(e.Kind);
            var container = e.Key?.ToString() ?? "engine";
            if (e is { Kind: EventKind.Restarting, Diagnostics: { } said })
            {
                // What the restart destroyed: told with the heal's end if it fails or quarantines.
                if (_lastWords.Count >= FoldTableSize)
                {
                    _lastWords.Clear();
                }

                _lastWords[container] = said;
            }

            // Only the first heal of an incident says it went down; the others are its steps, and an operator's own restart is no news to them.
            if (e.Kind == EventKind.HealScheduled && (e.Attempt is > 1 || e.Reason == FailureKind.Manual))
            {
                continue;
            }

            // Made once for all the targets, at the first delivery (off the healing path).
            Lazy<Task<Alert>>? alert = null;
            foreach (var hook in n.Webhooks.Where(w => Wants(w, kind)))
            {
                if (Fold(hook, e, kind, container, n.FoldSeconds) is not { } folded)
                {
                    continue;
                }

                var kept = _lastWords.GetValueOrDefault(container);
                alert ??= new Lazy<Task<Alert>>(() => AlertAsync(e, kept));
                _queue.Writer.TryWrite(new Delivery(hook, alert, folded, n.MaxAttempts));
            }
        }

        if (_recent.Count > FoldTableSize)
        {
            Prune(time.GetUtcNow(), TimeSpan.FromSeconds(n.FoldSeconds));
        }

        return ValueTask.CompletedTask;
    }

    private static bool Wants(WebhookConfig w, string kind) =>
        w.Enabled && w.Events.Contains(kind)
        && WebhookConfig.AtLeast(WebhookConfig.SeverityOf(kind), w.MinSeverity);

    // The number of repeats folded into this alert, or null when this one is itself folded.
    private int? Fold(WebhookConfig hook, AutoHealEvent e, string kind, string container, double foldSeconds)
    {
        var now = time.GetUtcNow();
        var folded = 0;
        var fold = false;
        _recent.AddOrUpdate($"{hook.Name}|{e.Key}|{kind}", _ => (now, 0), (_, last) =>
        {
            if (now - last.SentAt < TimeSpan.FromSeconds(foldSeconds))
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
            return null;
        }

        return folded;
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

    // The event as told: healed with the time it took and its attempt, a failure with the container's last words
    // (read now where the engine is this process's, else those kept from its last restart).
    private async Task<Alert> AlertAsync(AutoHealEvent e, HealDiagnostics? kept)
    {
        var words = e.Kind is EventKind.Quarantined or EventKind.HealFailed
            ? await senders.LastWordsAsync(e.ContainerId, e.Key?.Host) ?? kept
            : null;
        var view = Views.Event(e);
        var took = e is { Kind: EventKind.Healed, DetectedAt: { } since } ? e.At - since : (TimeSpan?)null;
        var facts = e.Kind switch
        {
            EventKind.Healed when took is { } t => $" Healed {Took(t)} after the failure was seen (attempt {e.Attempt ?? 1}).",
            EventKind.Healed => $" Healed (attempt {e.Attempt ?? 1}).",
            EventKind.Quarantined or EventKind.HealFailed when e.Reason is { } r => $" Failure: {Views.Name(r).Replace('_', ' ')}.",
            _ => "",
        };
        var logs = words is { } d && (d.LogTail.Count > 0 || d.ExitCode is not null)
            ? $"exit code {d.ExitCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"}{(d.OomKilled ? ", OOM killed" : "")}\n{string.Join('\n', d.LogTail.TakeLast(10))}".TrimEnd()
            : null;
        return new Alert(view, $"{e.Message}{facts}", logs, took);
    }

    private static string Took(TimeSpan t) => t.TotalSeconds < 60
        ? $"in {Math.Max(0, t.TotalSeconds).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} s"
        : $"in {(int)t.TotalMinutes} min {t.Seconds} s";

    /// <summary>Sends a test alert to the named target (or all), once each, and says how it went (with the service's own words when it refused).</summary>
    public async Task<IReadOnlyList<WebhookResult>> SendTestAsync(string? name, CancellationToken cancellationToken)
    {
        var hooks = settings.Config.Notifications.Webhooks.Where(w => name is null || w.Name == name).ToList();
        var test = Own("test", "This is a test notification from AutoHeal: this target is set up right.");
        return await Task.WhenAll(hooks.Select(h => DeliverAsync(new Delivery(h, test, 0, 1), cancellationToken)));
    }

    private Lazy<Task<Alert>> Own(string kind, string message) =>
        new(Task.FromResult(new Alert(new EventView(0, time.GetUtcNow(), kind, null, null, null, null, null, null, message), message, null, null)));

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            Notice("started", $"AutoHeal {StatusEndpoints.Version} started.");
            await SendAllAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping: alerts still queued are dropped (they are in the event log)
        }
    }

    private void Notice(string kind, string message)
    {
        foreach (var hook in settings.Config.Notifications.Webhooks.Where(w => Wants(w, kind)))
        {
            _queue.Writer.TryWrite(new Delivery(hook, Own(kind, message), 0, settings.Config.Notifications.MaxAttempts));
        }
    }

    /// <summary>Tells the targets that asked that AutoHeal is stopping (one attempt each, within a few seconds), then stops.</summary>
    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        var hooks = settings.Config.Notifications.Webhooks.Where(w => Wants(w, "stopping")).ToList();
        if (hooks.Count > 0)
        {
            using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            bounded.CancelAfter(TimeSpan.FromSeconds(5));
            var alert = Own("stopping", "AutoHeal is stopping: containers are not healed until it is back.");
            try
            {
                await Task.WhenAll(hooks.Select(h => DeliverAsync(new Delivery(h, alert, 0, 1), bounded.Token)));
            }
            catch (OperationCanceledException)
            {
                // the stop timeout wins over the notice
            }
        }

        await base.StopAsync(cancellationToken);
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
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    // stopping
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    Log.DeliveryCrashed(logger, delivery.Hook.Name, ex); // a bug, said: the queue goes on
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
        var name = d.Hook.Name;
        var alert = await d.Alert.Value;
        var kind = alert.Event.Kind;
        // A target already reported failing gets one attempt per alert: it must not hold a slot through its backoff.
        var attempts = 0;
        var outcome = await Pipeline(_failing.ContainsKey(name) ? 1 : d.MaxAttempts, name, kind).ExecuteAsync(async token =>
        {
            attempts++;
            return await senders.SendAsync(d.Hook, alert, d.Folded, token);
        }, ct);

        if (outcome.Delivered)
        {
            Log.WebhookDelivered(logger, name, kind, attempts);
            if (_failing.TryRemove(name, out _))
            {
                Log.TargetDeliversAgain(logger, name);
            }

            return new WebhookResult(name, true, outcome.Status, null, attempts);
        }

        if (kind is not ("test" or "stopping") && _failing.TryAdd(name, 0))
        {
            Log.TargetFailing(logger, name, kind, attempts, outcome.Error);
            await ReportFailingAsync(name, attempts, outcome.Error);
        }
        else
        {
            Log.WebhookGaveUp(logger, name, kind, attempts, outcome.Error);
        }

        return new WebhookResult(name, false, outcome.Status, outcome.Error, attempts);
    }

    private ResiliencePipeline<SendOutcome> Pipeline(int maxAttempts, string name, string kind)
    {
        if (maxAttempts <= 1)
        {
            return ResiliencePipeline<SendOutcome>.Empty;
        }

        return new ResiliencePipelineBuilder<SendOutcome> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<SendOutcome>
            {
                MaxRetryAttempts = maxAttempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                Delay = TimeSpan.FromSeconds(1),
                UseJitter = false,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result is { Delivered: false, Transient: true }),
                OnRetry = args =>
                {
                    Log.WebhookRetrying(logger, name, kind, args.AttemptNumber + 1, args.Outcome.Result?.Error ?? args.Outcome.Exception?.Message ?? "");
                    return default;
                },
            })
            .Build();
    }

    private async Task ReportFailingAsync(string name, int attempts, string? error)
    {
        try
        {
            await eventLog.AppendEventsAsync(
            [
                new AutoHealEvent
                {
                    At = time.GetUtcNow(),
                    Kind = EventKind.NotificationFailed,
                    Message = $"Notifications to '{name}' are failing ({error}, after {attempts} attempt{(attempts == 1 ? "" : "s")}); said once, until one is delivered again",
                },
            ], CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            Log.TargetFailingNotRecorded(logger, name, ex.Message);
        }
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        _parallel.Dispose();
        base.Dispose();
    }

    private sealed record Delivery(WebhookConfig Hook, Lazy<Task<Alert>> Alert, int Folded, int MaxAttempts);
}

/// <summary>One alert as told: the event, its text (the event's sentence with what a user wants to know), the container's last words, and how long a heal took.</summary>
public sealed record Alert(EventView Event, string Text, string? Logs, TimeSpan? Took);
