using System.Text;
using CliWrap;
using RunbookHost.Keys.KeyRing;
using RunbookHost.Runbooks;
using RunbookHost.Tenants;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Keys.KeyRing;

/// <summary>A scratch secrets root with a key ring on a fixed clock, and the checks every key-ring test repeats.</summary>
public sealed class KeyRingTestEnvironment : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 27, 9, 30, 0, TimeSpan.Zero);

    public KeyRingTestEnvironment()
    {
        Root = Directory.CreateTempSubdirectory("keyring-tests-").FullName;
        SecretsRoot = Path.Combine(Root, ".secrets");
        Ring = new TenantKeyRing(SecretsRoot, Clock);
    }

    public string Root { get; }
    public string SecretsRoot { get; }
    public FixedClock Clock { get; } = new(Start);
    public TenantKeyRing Ring { get; }
    public TenantId Tenant { get; } = TenantId.Parse("acme");
    public TenantKeyFiles Files => Ring.Files(Tenant);

    /// <summary>EnsureKey + EnsureSecrets, as provisioning does.</summary>
    public async Task<TenantSecrets> ProvisionAsync(TenantId? tenant = null)
    {
        tenant ??= Tenant;
        await Ring.EnsureKey(tenant).ApplyAsync(CancellationToken.None);
        await Ring.EnsureSecrets(tenant).ApplyAsync(CancellationToken.None);
        return Ring.LoadSecrets(tenant);
    }

    public static Task Apply(IRunbookOperation operation) => operation.ApplyAsync(CancellationToken.None);

    /// <summary>The rotation steps in runbook order (registry step omitted: no registry in these tests).</summary>
    public static IReadOnlyList<(string Name, Func<KeyRotation, IRunbookOperation> Make)> Steps { get; } =
    [
        ("begin", r => r.Begin()),
        ("generate new key", r => r.GenerateNewKey()),
        ("check current key", r => r.CheckCurrentKeyDecrypts()),
        ("rotate data key", r => r.RotateDataKey()),
        ("verify new key", r => r.VerifyNewKeyDecrypts()),
        ("archive old key", r => r.ArchiveOldKey()),
        ("promote new key", r => r.PromoteNewKey()),
        ("complete", r => r.Complete()),
    ];

    public async Task<KeyRotation> RotateAsync(string reason = KeyRotation.Scheduled, TenantId? tenant = null)
    {
        var rotation = Ring.Rotation(tenant ?? Tenant, reason);
        foreach (var (_, make) in Steps)
            await Apply(make(rotation));
        return rotation;
    }

    /// <summary>The invariant: some key file on disk (active, new or archived) decrypts the secrets file.</summary>
    public void AssertSomeKeyDecryptsSecrets(TenantId? tenant = null) =>
        Assert.NotEmpty(Ring.KeysThatDecryptSecrets(tenant ?? Tenant));

    public static UnixFileMode Mode(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("file modes are Unix only") : File.GetUnixFileMode(path);

    /// <summary>Decrypts the first age stanza of a secrets file with the real age CLI: returns the data key.</summary>
    public static async Task<byte[]> DecryptStanzaWithAgeCli(string secretsFile, string identityFile)
    {
        var metadata = RunbookHost.Keys.Sops.Sops.ReadMetadata(File.ReadAllBytes(secretsFile), RunbookHost.Keys.Sops.SopsFormat.Yaml);
        using var stdout = new MemoryStream();
        var stderr = new StringBuilder();
        var result = await CliWrap.Cli.Wrap("/usr/bin/age").WithArguments(["-d", "-i", identityFile])
            .WithStandardInputPipe(PipeSource.FromString(metadata.Age[0].Enc))
            .WithStandardOutputPipe(PipeTarget.ToStream(stdout))
            .WithStandardErrorPipe(PipeTarget.ToStringBuilder(stderr))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync();
        Assert.True(result.ExitCode == 0, stderr.ToString());
        return stdout.ToArray();
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
