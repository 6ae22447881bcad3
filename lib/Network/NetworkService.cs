using RunbookHost.Evidence;
using RunbookHost.Registry;
using RunbookHost.Tenants;

namespace RunbookHost.Network;

/// <summary>
/// The process-wide part of network isolation: the pool, the registry that allocates from it, and the provider
/// (null when Network:Provider is off or the provider is not configured: <see cref="WhyProviderDisabled"/> says which).
/// Built once by the host; <see cref="NetworkSteps"/> binds it to a run.
/// </summary>
public sealed class NetworkService(NetworkPool pool, TenantRegistry registry, INetworkProvider? provider, string whyProviderDisabled) : IDisposable
{
    public NetworkPool Pool { get; } = pool;
    public TenantRegistry Registry { get; } = registry;
    public INetworkProvider? Provider { get; } = provider;
    public string WhyProviderDisabled { get; } = whyProviderDisabled;

    /// <summary>
    /// Builds the service from validated settings: docker when Network:Docker:Image is set, hetzner when
    /// RUNBOOKHOST_Hetzner__Token is set, otherwise the allocator alone with the reason the provider is off.
    /// Throws <see cref="ArgumentException"/> (one line, naming the setting) on a bad value.
    /// </summary>
    public static NetworkService Create(NetworkSettings settings, Hetzner.HetznerSettings hetzner, TenantRegistry registry, TimeProvider clock,
        Hetzner.IDnsRecordPublisher? dns = null)
    {
        var pool = settings.Validate();
        return settings.Provider switch
        {
            NetworkProviders.Docker when settings.Docker.IsConfigured => new(pool, registry, new Docker.DockerNetworkProvider(settings), ""),
            NetworkProviders.Docker => new(pool, registry, null, "disabled: the docker network provider is not configured (RUNBOOKHOST_Network__Docker__Image not set)"),
            NetworkProviders.Hetzner when hetzner.IsConfigured => new(pool, registry, CreateHetzner(hetzner, settings, clock, dns), ""),
            NetworkProviders.Hetzner => new(pool, registry, null, "disabled: the hetzner network provider is not configured (RUNBOOKHOST_Hetzner__Token not set)"),
            _ => new(pool, registry, null, "disabled: RUNBOOKHOST_Network__Provider=off"),
        };
    }

    private static Hetzner.HetznerNetworkProvider CreateHetzner(Hetzner.HetznerSettings hetzner, NetworkSettings settings, TimeProvider clock, Hetzner.IDnsRecordPublisher? dns)
    {
        hetzner.Validate();
        return new(hetzner, settings, clock, dns: dns);
    }

    /// <summary>The fleet-wide network proof over <paramref name="tenants"/> (their registry ranges), for FleetProof.</summary>
    public async Task<IReadOnlyList<CheckRecord>> VerifyFleetAsync(IReadOnlyCollection<TenantId> tenants, CancellationToken cancellationToken)
    {
        if (Provider is null)
            return [CheckRecord.Skipped(NetworkChecks.Store, "fleet_network_pairs", WhyProviderDisabled)];
        var wanted = tenants.Select(t => t.Value).ToHashSet(StringComparer.Ordinal);
        var networks = (await Registry.ListNetworksAsync(cancellationToken).ConfigureAwait(false)).Where(n => wanted.Contains(n.Tenant.Value)).ToList();
        return await Provider.VerifyFleetAsync(networks, cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => (Provider as IDisposable)?.Dispose();
}
