using Serilog.Core;
using Serilog.Events;

namespace RunbookHost.Cli;

/// <summary>
/// "acme: " before every human log line of a run (the JSON log has the Tenant property already): with several
/// tenants running at once, a line that does not name its tenant is useless to an operator.
/// </summary>
internal sealed class TenantPrefix : ILogEventEnricher
{
    public void Enrich(LogEvent logEvent, ILogEventPropertyFactory propertyFactory)
    {
        var prefix = logEvent.Properties.TryGetValue("Tenant", out var tenant) && tenant is ScalarValue { Value: string id } ? $"{id}: " : "";
        logEvent.AddPropertyIfAbsent(propertyFactory.CreateProperty("TenantPrefix", prefix));
    }
}
