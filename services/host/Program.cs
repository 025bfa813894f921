using AutoHeal.Host;

if (HealthCommand.Asked(args))
{
    return await HealthCommand.RunAsync(args);
}

if (Usage.For(args) is { } usage)
{
    Console.WriteLine(usage);
    return 0;
}

// appsettings.json next to the program, wherever it is started from (./data, though, is the current folder's).
// The slim builder: Kestrel without HTTP/3 and IIS, which AutoHeal never uses (HTTPS stays, for --urls https://...).
var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.WebHost.UseKestrelHttpsConfiguration();
builder.Configuration.AddCommandLine(args, new Dictionary<string, string>
{
    ["--roles"] = "AutoHeal:Roles",
    ["--transport"] = "AutoHeal:Transport",
});
var (settings, errors) = Settings.Load(builder.Configuration);
if (settings is null)
{
    await Console.Error.WriteLineAsync("autoheal: invalid configuration, nothing started:");
    foreach (var error in errors)
    {
        await Console.Error.WriteLineAsync($"  - {error}");
    }

    return 2;
}

try
{
    if (settings.OnDapr)
    {
        await builder.AddDaprRolesAsync(settings);
    }
    else
    {
        await builder.AddEmbeddedAsync(settings);
    }
}
catch (DaprUnavailableException ex)
{
    await Console.Error.WriteLineAsync($"autoheal: {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or Microsoft.Data.Sqlite.SqliteException)
{
    await Console.Error.WriteLineAsync($"autoheal: cannot use the data folder '{Path.GetFullPath(settings.Root.DataDir)}' (AutoHeal:DataDir): {ex.Message}");
    return 2;
}
catch (Exception ex) when (ex is UriFormatException or ArgumentException or NotSupportedException)
{
    await Console.Error.WriteLineAsync($"autoheal: cannot use the Docker endpoint (AutoHeal:Docker:Endpoint or DOCKER_HOST): {ex.Message}");
    return 2;
}

var app = builder.Build();
if (settings.OnDapr)
{
    app.MapDaprRoles(settings);
}
else
{
    app.MapEmbedded();
}

try
{
    await app.RunAsync();
}
catch (OperationCanceledException)
{
    // Stopped (Ctrl+C, SIGTERM) while still starting: a normal stop, not a crash.
}
catch (IOException ex) when (ex.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
{
    await Console.Error.WriteLineAsync($"autoheal: {ex.Message} (another process listens there; choose another with --urls)");
    return 2;
}

return 0;
