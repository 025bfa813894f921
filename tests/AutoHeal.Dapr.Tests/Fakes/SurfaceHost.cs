using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AutoHeal.Dapr.Tests.Fakes;

/// <summary>
/// An ASP.NET app on the in-memory <see cref="TestServer"/>: the services and routes a test gives, as
/// the real host composes them (the real <c>autoheal</c> cannot be the entry point: it waits for a Dapr
/// sidecar first). Keeps every log line, so a test can check what an operator would read.
/// </summary>
internal sealed class SurfaceHost : IAsyncDisposable
{
    private SurfaceHost(WebApplication app, SurfaceLog log)
    {
        App = app;
        Log = log;
        Client = app.GetTestClient();
    }

    /// <summary>The running app.</summary>
    public WebApplication App { get; }

    /// <summary>A client of the app, as the sidecar (or another role) calls it.</summary>
    public HttpClient Client { get; }

    /// <summary>What the app logged.</summary>
    public SurfaceLog Log { get; }

    /// <summary>A service of the app.</summary>
    public T Get<T>()
        where T : notnull => App.Services.GetRequiredService<T>();

    /// <summary>Builds and starts the app.</summary>
    public static async Task<SurfaceHost> StartAsync(Action<WebApplicationBuilder> services, Action<WebApplication> map)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ContentRootPath = AppContext.BaseDirectory,
            ApplicationName = typeof(SurfaceHost).Assembly.GetName().Name,
        });
        builder.WebHost.UseTestServer();
        var log = new SurfaceLog();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddProvider(log);
        services(builder);
        var app = builder.Build();
        map(app);
        await app.StartAsync();
        return new SurfaceHost(app, log);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        using (var stop = new CancellationTokenSource(TimeSpan.FromSeconds(15)))
        {
            await App.StopAsync(stop.Token);
        }

        await App.DisposeAsync();
    }
}

/// <summary>Every log line of a <see cref="SurfaceHost"/>: level, category and message.</summary>
internal sealed class SurfaceLog : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message)> _lines = new();

    /// <summary>The lines so far.</summary>
    public IReadOnlyList<(LogLevel Level, string Category, string Message)> Lines => _lines.ToArray();

    /// <summary>Warnings and worse whose message contains <paramref name="text"/>.</summary>
    public IEnumerable<string> Warnings(string text) =>
        Lines.Where(l => l.Level >= LogLevel.Warning && l.Message.Contains(text, StringComparison.Ordinal)).Select(l => l.Message);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(SurfaceLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                log._lines.Enqueue((logLevel, category, formatter(state, exception)));
            }
        }
    }
}
