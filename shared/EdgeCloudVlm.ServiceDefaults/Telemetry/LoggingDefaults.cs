using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Console;

namespace EdgeCloudVlm.ServiceDefaults.Telemetry;

/// <summary>Console logging defaults: scopes on (they carry trace and span ids and request ids) and ISO-8601 UTC
/// timestamps for the JSON formatter. The formatter itself is the standard setting
/// <c>Logging:Console:FormatterName</c> (<c>json</c>, <c>simple</c> or <c>systemd</c>).</summary>
/// <remarks>Each default applies only where configuration does not set the value, so
/// <c>Logging:Console:FormatterOptions:*</c> still wins.</remarks>
internal static class LoggingDefaults
{
    private const string FormatterOptions = "Logging:Console:FormatterOptions:";

    public static void AddLoggingDefaults(IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        builder.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.IncludeScopes = configuration.GetValue(FormatterOptions + nameof(o.IncludeScopes), true);
            o.UseUtcTimestamp = configuration.GetValue(FormatterOptions + nameof(o.UseUtcTimestamp), true);
            o.TimestampFormat ??= "O";
        });
        builder.Services.Configure<SimpleConsoleFormatterOptions>(o =>
            o.IncludeScopes = configuration.GetValue(FormatterOptions + nameof(o.IncludeScopes), true));
    }
}
