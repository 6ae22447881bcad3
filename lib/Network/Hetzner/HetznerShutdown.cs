using RunbookHost.Tenants;

namespace RunbookHost.Network.Hetzner;

/// <summary>
/// Graceful shutdown of a tenant's server: ACPI shutdown, then wait for status "off" up to Hetzner__ShutdownTimeoutSeconds,
/// then a hard poweroff. Returns the servers it stopped, so a failed deprovisioning can power them on again.
/// </summary>
internal sealed class HetznerShutdown(HetznerClient client, HetznerResources resources, HetznerSettings settings, TimeProvider clock)
{
    public async Task<IReadOnlyList<long>> StopAsync(TenantId tenant, CancellationToken ct)
    {
        var actions = new HetznerActions(client, settings, clock);
        var stopped = new List<long>();
        foreach (var server in await resources.ServersAsync(HetznerResources.Selector(tenant), ct).ConfigureAwait(false))
        {
            if (server.Status == "off")
                continue;
            await actions.WaitAsync((await client.PostAsync<HActionResponse>($"servers/{server.Id}/actions/shutdown", new { }, ct).ConfigureAwait(false)).Action, ct).ConfigureAwait(false);
            var deadline = clock.GetUtcNow().AddSeconds(settings.ShutdownTimeoutSeconds);
            var status = server.Status;
            while (status != "off" && clock.GetUtcNow() < deadline)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(settings.PollIntervalMilliseconds), clock, ct).ConfigureAwait(false);
                status = (await client.GetAsync<HServerResponse>($"servers/{server.Id}", ct).ConfigureAwait(false)).Server.Status;
            }
            if (status != "off")
                await actions.WaitAsync((await client.PostAsync<HActionResponse>($"servers/{server.Id}/actions/poweroff", new { }, ct).ConfigureAwait(false)).Action, ct).ConfigureAwait(false);
            stopped.Add(server.Id);
        }
        return stopped;
    }

    public async Task PowerOnAsync(IEnumerable<long> servers, CancellationToken ct)
    {
        var actions = new HetznerActions(client, settings, clock);
        foreach (var id in servers)
        {
            try
            {
                await actions.WaitAsync((await client.PostAsync<HActionResponse>($"servers/{id}/actions/poweron", new { }, ct).ConfigureAwait(false)).Action, ct).ConfigureAwait(false);
            }
            catch (HetznerApiException e) when (e.Status == System.Net.HttpStatusCode.NotFound)
            {
                // deleted since: nothing to power on
            }
        }
    }
}
