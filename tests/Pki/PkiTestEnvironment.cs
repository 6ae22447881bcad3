using System.Text;
using CliWrap;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Pki;
using RunbookHost.Tenants;
using RunbookHost.Tests.Registry;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Pki;

/// <summary>A scratch secrets folder, a key ring and a PkiService on a registry database of its own (real PostgreSQL).</summary>
public sealed class PkiTestEnvironment : IAsyncLifetime
{
    private readonly RegistryDatabase database = new();

    public PkiTestEnvironment()
    {
        Root = Directory.CreateTempSubdirectory("pki-tests-").FullName;
        SecretsRoot = Path.Combine(Root, ".secrets");
        Ring = new TenantKeyRing(SecretsRoot, TimeProvider.System);
        Service = new PkiService(new PkiFiles(SecretsRoot), Settings, Ring, database.Registry, TimeProvider.System);
    }

    public string Root { get; }
    public string SecretsRoot { get; }
    public PkiSettings Settings { get; } = new();
    public TenantKeyRing Ring { get; }
    public PkiService Service { get; }
    public RunbookHost.Registry.TenantRegistry Registry => database.Registry;
    public PkiFiles Files => Service.Files;

    public Task InitializeAsync() => database.InitializeAsync();

    public async Task DisposeAsync()
    {
        await database.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }

    /// <summary>A new tenant with its age key and secrets file, as provision's first steps leave it.</summary>
    public async Task<TenantId> NewTenantAsync()
    {
        var tenant = TestServers.NewTenantId();
        await Ring.EnsureKey(tenant).ApplyAsync(CancellationToken.None);
        await Ring.EnsureSecrets(tenant).ApplyAsync(CancellationToken.None);
        return tenant;
    }

    /// <summary>Runs a tool outside the product (age, openssl); returns exit code, stdout and stderr.</summary>
    public static async Task<(int ExitCode, byte[] Output, string Error)> Tool(string path, params string[] arguments)
    {
        using var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var result = await CliWrap.Cli.Wrap(path).WithArguments(arguments)
            .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        return (result.ExitCode, stdout.ToArray(), stderr.ToString());
    }

    public string WriteTemp(string name, string content)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, content);
        return path;
    }
}
