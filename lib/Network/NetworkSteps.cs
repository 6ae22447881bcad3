using RunbookHost.Runbooks;

namespace RunbookHost.Network;

/// <summary>
/// Network and compute isolation (network spec, docs/network.md) as runbook steps, bound to one run. Provisioning, in
/// order: <see cref="Reserve"/> (refuses with <see cref="NetworkPoolExhaustedException"/> before anything is created),
/// <see cref="PrivateNetwork"/>, <see cref="Firewall"/>, <see cref="Volume"/>, <see cref="Compute"/>, <see cref="Dns"/>.
/// Verification: <see cref="Verify"/>. Deprovisioning: <see cref="Shutdown"/>, <see cref="DeleteCompute"/>,
/// <see cref="DeleteNetwork"/>, <see cref="DeleteFirewall"/>, <see cref="DeleteVolume"/>, <see cref="RemoveDns"/>,
/// <see cref="VerifyAbsent"/>, <see cref="Release"/>. A null service means there is no registry to allocate from.
/// </summary>
public sealed class NetworkSteps
{
    private readonly RunScope scope;
    private readonly NetworkService? service;
    private readonly string whyDisabled;

    internal NetworkSteps(RunScope scope, NetworkService? service, string whyDisabled)
    {
        this.scope = scope;
        this.service = service;
        this.whyDisabled = whyDisabled;
    }

    private INetworkProvider? Provider => service?.Provider;
    private string WhyProviderOff => service?.WhyProviderDisabled ?? whyDisabled;

    /// <summary>The tenant's range from the pool (kept when it has one). Undo: released again if this run allocated it.</summary>
    public IRunbookOperation Reserve()
    {
        if (service is null)
            return new SkippedOperation(whyDisabled);
        var allocated = false;
        return new RunbookOperation(
            [$"allocate tenant {scope.Tenant}'s private range from the pool {service.Pool}: the one it has, else the lowest free "
             + (service.Pool.IsOctetPool ? "(its tenant_octet when it has one)" : "slot") + "; refused (exit 2) before anything is created when none is left"],
            async ct => allocated = (await service.Registry.AllocateNetworkAsync(scope.Tenant, service.Pool, ct).ConfigureAwait(false)).Allocated,
            async ct =>
            {
                if (allocated)
                    await service.Registry.ReleaseNetworkAsync(scope.Tenant, ct).ConfigureAwait(false);
            });
    }

    /// <summary>The tenant's range now (null when it has none or there is no registry): also its pg_hba network.</summary>
    internal async Task<TenantNetwork?> Current() =>
        service is null ? null : await service.Registry.GetNetworkAsync(scope.Tenant, scope.CancellationToken).ConfigureAwait(false);

    /// <summary>The private network on the tenant's range; recorded in the ledger as Component.Network.</summary>
    public IRunbookOperation PrivateNetwork()
    {
        if (Provider is not { } provider)
            return new SkippedOperation(WhyProviderOff);
        var inner = provider.CreateNetwork(scope.Tenant, Lease());
        return new RunbookOperation(inner.Describe(),
            async ct =>
            {
                await inner.ApplyAsync(ct).ConfigureAwait(false);
                var range = await Lease().ResolveAsync(ct).ConfigureAwait(false);
                await scope.Ledger.RecordAsync(Component.Network, $"{provider.Name}: tenant-{scope.Tenant} {range.Cidr}", ct).ConfigureAwait(false);
            },
            async ct =>
            {
                if (inner.Rollback is { } undo)
                    await undo(ct).ConfigureAwait(false);
                await scope.Ledger.RemoveAsync(Component.Network, ct).ConfigureAwait(false);
            });
    }

    public IRunbookOperation Firewall() => Provider is { } p ? p.CreateFirewall(scope.Tenant, Lease()) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation Volume() => Provider is { } p ? p.CreateVolume(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation Compute() => Provider is { } p ? p.CreateCompute(scope.Tenant, Lease()) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation Dns() => Provider is { } p ? p.PublishDns(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation Shutdown() => Provider is { } p ? p.Shutdown(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation DeleteCompute() => Provider is { } p ? p.DeleteCompute(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    /// <summary>Removes the network; the ledger forgets Component.Network.</summary>
    public IRunbookOperation DeleteNetwork()
    {
        if (Provider is not { } provider)
            return new SkippedOperation(WhyProviderOff);
        var inner = provider.DeleteNetwork(scope.Tenant);
        return new RunbookOperation(inner.Describe(), async ct =>
        {
            await inner.ApplyAsync(ct).ConfigureAwait(false);
            await scope.Ledger.RemoveAsync(Component.Network, ct).ConfigureAwait(false);
        });
    }

    public IRunbookOperation DeleteFirewall() => Provider is { } p ? p.DeleteFirewall(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation DeleteVolume() => Provider is { } p ? p.DeleteVolume(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    public IRunbookOperation RemoveDns() => Provider is { } p ? p.RemoveDns(scope.Tenant) : new SkippedOperation(WhyProviderOff);

    /// <summary>
    /// Returns the range to the pool (absent is fine), but only once nothing labelled with the tenant is left on the
    /// platform: a range still in use is never handed to another tenant. Without a provider the range is released as is.
    /// </summary>
    public IRunbookOperation Release() => service is null
        ? new SkippedOperation(whyDisabled)
        : new RunbookOperation([$"DELETE FROM tenant_networks WHERE tenant_id = '{scope.Tenant}'" + (Provider is null ? "" : $"   (refused while {Provider.Name} still has anything labelled with the tenant)")],
            async ct =>
            {
                if (Provider is { } provider && (await provider.VerifyAbsentAsync(scope.Tenant, ct).ConfigureAwait(false)).FirstOrDefault(c => !c.Pass) is { } left)
                    throw new InvalidOperationException($"tenant {scope.Tenant}'s range stays reserved: {left.Detail}");
                await service.Registry.ReleaseNetworkAsync(scope.Tenant, ct).ConfigureAwait(false);
            });

    /// <summary>The tenant's boundary proven, every expected ALLOW and DENY a check.</summary>
    public ICheckOperation Verify()
    {
        const string test = "network_isolation";
        if (scope.InsteadOfProbing(Component.Network, NetworkChecks.Store, test, Provider is null ? WhyProviderOff : null) is { } instead)
            return CheckOperation.Fixed(instead);
        var provider = Provider!;
        return new CheckOperation(provider.DescribeVerify(scope.Tenant), async ct =>
        {
            var network = await service!.Registry.GetNetworkAsync(scope.Tenant, ct).ConfigureAwait(false);
            if (network is null)
                return [NetworkChecks.Fact(provider.Name, "registry_range", false, $"the registry has no range for tenant {scope.Tenant}")];
            try
            {
                return await provider.VerifyAsync(network, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Docker.DockerEngineUnavailableException or HttpRequestException or Hetzner.HetznerApiException { IsUnavailable: true })
            {
                return [NetworkChecks.Incomplete(provider.Name, test, e.Message)];
            }
        });
    }

    /// <summary>After deprovisioning: nothing labelled with the tenant is left on the platform.</summary>
    public ICheckOperation VerifyAbsent() => Provider is { } provider
        ? new CheckOperation([$"{provider.Name}: list everything labelled with tenant {scope.Tenant}: nothing may be left"],
            ct => provider.VerifyAbsentAsync(scope.Tenant, ct))
        : CheckOperation.Fixed(scope.InsteadOfProbing(Component.Network, NetworkChecks.Store, "network_absent", WhyProviderOff)!);

    private NetworkLease Lease() => new(
        $"<tenant {scope.Tenant}'s range from {service!.Pool.Template}>",
        async ct => await service.Registry.GetNetworkAsync(scope.Tenant, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"tenant {scope.Tenant} has no network range in the registry (run the reserve step first)"));
}
