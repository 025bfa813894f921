using AutoHeal.Api;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace AutoHeal.Host;

/// <summary>
/// The first lines a user reads, in AutoHeal's words, once it listens: what runs, where it listens, where
/// the dashboard and the API docs are, where the data and the token are. (The engine and the containers
/// it watches follow from the watcher, once it has connected.)
/// </summary>
internal sealed partial class StartBanner(
    IHostApplicationLifetime lifetime, IServer server, Settings settings, IServiceProvider services, ILogger<StartBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Print);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Print()
    {
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];
        var mode = settings.OnDapr ? $"roles {settings.Roles} on Dapr" : "embedded mode";
        var listening = string.Join(", ", addresses);
        var local = addresses.Select(Browsable).FirstOrDefault();
        var dashboard = $"{local}/";
        var docs = $"{local}/docs";
        var data = Path.GetFullPath(settings.Root.DataDir);
        var token = services.GetService<ApiToken>();
        var tokenFile = token?.FileName;
        var relative = tokenFile is null ? null : Relative(tokenFile);

        Started(logger, Usage.Version, mode, listening);
        if (local is not null && settings.Roles.Ui)
        {
            Dashboard(logger, dashboard);
        }

        if (local is not null && settings.Roles.Api)
        {
            ApiDocs(logger, docs);
        }

        if (settings.Roles.Api || !settings.OnDapr)
        {
            Data(logger, data);
        }

        if (tokenFile is not null)
        {
            TokenFile(logger, tokenFile, relative!);
        }
        else if (token is not null)
        {
            TokenConfigured(logger);
        }
    }

    /// <summary>A listening address as a browser reaches it from this machine: a wildcard host becomes localhost.</summary>
    private static string Browsable(string address)
    {
        var uri = new Uri(address.Replace("://+", "://localhost", StringComparison.Ordinal).Replace("://*", "://localhost", StringComparison.Ordinal));
        var host = uri.Host is "0.0.0.0" or "[::]" or "::" ? "localhost" : uri.Host;
        return $"{uri.Scheme}://{host}:{uri.Port}";
    }

    /// <summary>The path from the current folder when it is below it (what the README's <c>cat</c> uses), else the full path.</summary>
    private static string Relative(string file)
    {
        var relative = Path.GetRelativePath(Environment.CurrentDirectory, file);
        return relative.StartsWith("..", StringComparison.Ordinal) ? file : relative;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "AutoHeal {Version} started ({Mode}), listening on {Addresses}")]
    private static partial void Started(ILogger logger, string version, string mode, string addresses);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard: {Url} (sign in with the API token)")]
    private static partial void Dashboard(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "API docs: {Url}")]
    private static partial void ApiDocs(ILogger logger, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Data folder: {Path} (autoheal.db: state and events)")]
    private static partial void Data(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "API token: in {File}; for scripts: TOKEN=$(cat {Relative})")]
    private static partial void TokenFile(ILogger logger, string file, string relative);

    [LoggerMessage(Level = LogLevel.Information, Message = "API token: the one set in AutoHeal:Api:Token")]
    private static partial void TokenConfigured(ILogger logger);
}
