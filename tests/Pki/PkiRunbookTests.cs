using System.Text.Json.Nodes;
using RunbookHost.Registry;
using RunbookHost.Tests.Host;
using RunbookHost.Tests.Runbooks;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Pki;

/// <summary>
/// The product's runbooks through the real host process, real PostgreSQL registry and real age: provision gives each
/// tenant its CA, verify proves it (chain, profile, the name constraint refusing another tenant's name), and
/// deprovision revokes it and publishes a CRL that lists it.
/// </summary>
public sealed class PkiRunbookTests(StorageEnvironment stores) : IClassFixture<StorageEnvironment>
{
    [Fact]
    public async Task ProvisionGivesEachTenantItsCaVerifyProvesItAndDeprovisionRevokesIt()
    {
        using var host = stores.NewHost(allStores: false);
        var registry = new TenantRegistry(TestServers.PostgresAdmin, stores.RegistryDatabase);
        var a = TestServers.NewTenantId();
        var b = TestServers.NewTenantId();

        var provisionA = await Run(host, "provision", a.Value);
        await Run(host, "provision", b.Value);
        var pkiChecks = StorageEnvironment.Checks(provisionA).Where(c => c.Store == "pki").ToList();
        Assert.All(pkiChecks, c => Assert.True(c.Pass, $"{c.Test}: {c.Result}"));

        var verify = StorageEnvironment.Checks(await Run(host, "verify", a.Value)).Where(c => c.Store == "pki").ToList();
        foreach (var test in new[] { "root_key_encrypted", "tenant_ca_registered", "tenant_ca_files_match_registry", "tenant_ca_chains_to_root",
                     "tenant_ca_path_length_zero", "tenant_ca_name_constraint", "tenant_ca_key_usage", "tenant_ca_validity", "name_constraint_own_name_accepted" })
            Assert.Contains(verify, c => c.Test == test && c.Pass && c.Result == "PASS");
        Assert.Contains(verify, c => c.Test == "name_constraint_cross_tenant_refused" && c.Pass && c.Result == "DENIED");

        var caA = Assert.Single(await registry.GetTenantCasAsync(a));
        Assert.Equal(TenantCaStatus.Active, caA.Status);
        Assert.True(File.Exists(Path.Combine(host.SecretsDir, "tenants", a.Value, "pki", $"ca-{caA.Serial}.pem")));
        Assert.True(File.Exists(Path.Combine(host.SecretsDir, "platform", "pki", "root-ca.key.age")));

        var deprovision = StorageEnvironment.Checks(await Run(host, "deprovision", a.Value)).Where(c => c.Store == "pki").ToList();
        Assert.Contains(deprovision, c => c.Test == "tenant_ca_revoked" && c.Pass);
        Assert.Contains(deprovision, c => c.Test == "crl_lists_tenant_cas" && c.Pass);
        Assert.Equal(TenantCaStatus.Revoked, Assert.Single(await registry.GetTenantCasAsync(a)).Status);
        Assert.Equal(TenantCaStatus.Active, Assert.Single(await registry.GetTenantCasAsync(b)).Status);

        await Run(host, "deprovision", b.Value);
    }

    internal static async Task<string> Run(HostProcess host, string runbook, string tenant, params string[] parameters)
    {
        var args = new List<string> { "run", runbook, "--tenant", tenant, "--json" };
        foreach (var parameter in parameters)
            args.AddRange(["--param", parameter]);
        var run = await host.Run([.. args]);
        Assert.True(run.ExitCode == 0, $"{runbook} {tenant}: exit {run.ExitCode}\n{run.StandardOutput}\n{run.StandardError}");
        return JsonNode.Parse(run.StandardOutput)!["evidence"]!.GetValue<string>();
    }
}
