using RunbookHost.Cli.Scheduling;
using RunbookHost.Configuration;
using RunbookHost.Network;

namespace RunbookHost.Cli.Commands;

/// <summary>doctor's lines about the network provider and about who hears of a failed nightly run.</summary>
internal static class DoctorNotes
{
    public static (string, bool, string) Network(HostSettings settings)
    {
        var network = settings.Network;
        return network.Provider switch
        {
            NetworkProviders.Off => ("network", true, "provider off (RUNBOOKHOST_Network__Provider=off): tenants get a range for pg_hba, no network of their own"),
            NetworkProviders.Docker when !network.Docker.IsConfigured =>
                ("network", true, $"docker provider not configured (RUNBOOKHOST_Network__Docker__Image): tenants get a range from {network.Pool}, no network of their own"),
            NetworkProviders.Hetzner when !settings.Hetzner.IsConfigured =>
                ("network", true, "hetzner provider not configured (RUNBOOKHOST_Hetzner__Token): no network is created"),
            _ => ("network", true, $"{network.Provider}, pool {network.Pool}" + (network.Provider == NetworkProviders.Docker ? $", image {network.Docker.Image}" : "")),
        };
    }

    /// <summary>Warnings that do not fail doctor: today, a scheduler whose failures would reach nobody.</summary>
    public static IEnumerable<(string Name, string Detail)> Warnings(HostSettings settings)
    {
        var metricsOff = ScheduleNotifications.IsOff(settings.Schedule.MetricsAddress);
        if (metricsOff && settings.Schedule.WebhookUrl.Length == 0)
            yield return ("notify", "neither metrics (RUNBOOKHOST_Schedule__MetricsAddress) nor a webhook (RUNBOOKHOST_Schedule__WebhookUrl) is configured: a failed nightly run reaches nobody");
        else if (settings.Schedule.WebhookUrl.Length == 0)
            yield return ("notify", $"metrics on {settings.Schedule.MetricsAddress}/metrics, no webhook: make sure something scrapes it and alerts (deploy/prometheus-alerts.yml)");
    }
}
