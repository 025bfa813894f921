using AutoHeal.Api;
using AutoHeal.Host;
using AutoHeal.Ui;

var builder = WebApplication.CreateBuilder(args);
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

await builder.AddAutoHealDefaultsAsync(settings);
builder.AddEmbeddedRoles(settings);

var app = builder.Build();
app.MapApi();
app.MapUi();
await app.RunAsync();
return 0;
