using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json.Nodes;
using RunbookHost.Evidence;
using RunbookHost.IO;
using RunbookHost.Tenants;

namespace RunbookHost.Pki;

/// <summary>
/// The onboarding package's files (process isolation tasks 3.1, 3.4; docs/pki.md). The names are fixed so operators'
/// tooling can rely on them: <c>ca-chain.pem</c> (the issuing CA, then the root), <c>cert.pem</c>, <c>key.pem</c> (0600),
/// <c>nats.json</c> (server URL, subject and inbox prefixes) and <c>manifest.json</c>: a DSSE envelope signed with the
/// evidence key, listing every other file with its SHA-256.
/// </summary>
public static class OnboardingFiles
{
    public const string CaChain = "ca-chain.pem";
    /// <summary>
    /// The CAs a serving component trusts for client certificates: only its own tenant's (active, and retiring during the
    /// overlap). Never ca-chain.pem, which holds the root and so would accept every tenant's components.
    /// </summary>
    public const string ClientCa = "client-ca.pem";
    public const string Certificate = "cert.pem";
    public const string Key = "key.pem";
    public const string Nats = "nats.json";
    public const string Manifest = "manifest.json";
    public const string ManifestPayloadType = "application/vnd.runbook-host.onboarding-manifest+json";

    /// <summary>The files every package lists in its manifest, in this order.</summary>
    public static readonly IReadOnlyList<string> Listed = [CaChain, ClientCa, Certificate, Key, Nats];

    /// <summary>Subject prefix of a tenant on the bus: <c>acme.</c> (contract with lib/Nats).</summary>
    public static string SubjectPrefix(TenantId tenant) => tenant.Value + ".";

    /// <summary>Inbox prefix of a tenant: <c>_INBOX_acme</c> (contract with lib/Nats).</summary>
    public static string InboxPrefix(TenantId tenant) => "_INBOX_" + tenant.Value;

    /// <summary>cert.pem, key.pem (0600) and ca-chain.pem (chain then root), each written atomically (the platform-admin certificate).</summary>
    public static void WriteCertificateAndKey(string folder, IssuedCertificate issued, X509Certificate2 root)
    {
        foreach (var (name, content, mode) in CertificateFiles(issued, root))
            AtomicFile.Write(Path.Combine(folder, name), content, mode);
    }

    internal static IReadOnlyList<(string Name, byte[] Content, UnixFileMode Mode)> CertificateFiles(IssuedCertificate issued, X509Certificate2 root)
    {
        using var key = issued.Certificate.GetECDsaPrivateKey() ?? throw new PkiException("the issued certificate has no private key");
        return
        [
            (CaChain, Encoding.ASCII.GetBytes(PemFiles.CertificatesPem([.. issued.Chain, root])), AtomicFile.PublicFile),
            (Certificate, Encoding.ASCII.GetBytes(PemFiles.CertificatePem(issued.Certificate)), AtomicFile.PublicFile),
            (Key, PemFiles.PrivateKeyPem(key), AtomicFile.PrivateFile),
        ];
    }

    /// <summary>Every file of a component package, the manifest signed by <paramref name="signer"/>.</summary>
    internal static IReadOnlyList<(string Name, byte[] Content, UnixFileMode Mode)> Package(ComponentIdentity identity, IssuedCertificate issued,
        X509Certificate2 root, IReadOnlyList<X509Certificate2> tenantCas, string? natsUrl, EvidenceSigner signer, DateTimeOffset now)
    {
        var files = CertificateFiles(issued, root).ToList();
        files.Insert(1, (ClientCa, Encoding.ASCII.GetBytes(PemFiles.CertificatesPem(tenantCas)), AtomicFile.PublicFile));
        var nats = new JsonObject
        {
            ["url"] = natsUrl,
            ["tenant"] = identity.Tenant.Value,
            ["identity"] = identity.DnsName,
            ["subject_prefix"] = SubjectPrefix(identity.Tenant),
            ["inbox_prefix"] = InboxPrefix(identity.Tenant),
            ["ca_file"] = CaChain,
            ["client_ca_file"] = ClientCa,
            ["cert_file"] = Certificate,
            ["key_file"] = Key,
        };
        files.Add((Nats, Encoding.UTF8.GetBytes(nats.ToJsonString(new() { WriteIndented = true }) + "\n"), AtomicFile.PublicFile));
        var manifest = new JsonObject
        {
            ["tenant"] = identity.Tenant.Value,
            ["identity"] = identity.DnsName,
            ["certificate_serial"] = issued.Serial,
            ["certificate_sha256"] = issued.Fingerprint,
            ["ca_serial"] = CertificateProfiles.SerialOf(issued.Chain[0]),
            ["ca_sha256"] = CertificateProfiles.FingerprintOf(issued.Chain[0]),
            ["root_sha256"] = CertificateProfiles.FingerprintOf(root),
            ["client_ca_serials"] = new JsonArray(tenantCas.Select(c => (JsonNode?)CertificateProfiles.SerialOf(c)).ToArray()),
            ["not_after"] = issued.Certificate.NotAfter.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["created_at"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture),
            ["files"] = new JsonArray(files.Select(f => (JsonNode?)new JsonObject { ["name"] = f.Name, ["sha256"] = Convert.ToHexStringLower(SHA256.HashData(f.Content)) }).ToArray()),
        };
        var envelope = signer.SignEnvelope(ManifestPayloadType, Encoding.UTF8.GetBytes(manifest.ToJsonString()));
        files.Add((Manifest, envelope, AtomicFile.PublicFile));
        return files;
    }

    /// <summary>
    /// Replaces <paramref name="folder"/> with a folder holding exactly <paramref name="files"/>: they are written (each
    /// fsynced) into a new hidden folder beside it, which is then renamed into place; a reader sees the old package or the
    /// new one, never a mix.
    /// </summary>
    internal static void ReplaceFolder(string folder, IReadOnlyList<(string Name, byte[] Content, UnixFileMode Mode)> files)
    {
        var parent = Path.GetDirectoryName(folder)!;
        var name = Path.GetFileName(folder);
        var staging = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.tmp");
        var previous = Path.Combine(parent, $".{name}.{Guid.NewGuid():N}.old");
        AtomicFile.CreatePrivateFolder(staging);
        try
        {
            foreach (var (file, content, mode) in files)
                AtomicFile.Write(Path.Combine(staging, file), content, mode);
            if (Directory.Exists(folder))
                Directory.Move(folder, previous);
            Directory.Move(staging, folder);
            AtomicFile.SyncFolder(parent);
        }
        catch
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
            if (!Directory.Exists(folder) && Directory.Exists(previous))
                Directory.Move(previous, folder);
            throw;
        }
        if (Directory.Exists(previous))
            Directory.Delete(previous, recursive: true);
    }

    /// <summary>The package as <c>.tar.gz</c> (modes kept: key.pem 0600), written atomically and 0600 since it holds the key.</summary>
    internal static void WriteArchive(string path, string rootName, IReadOnlyList<(string Name, byte[] Content, UnixFileMode Mode)> files, DateTimeOffset now)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        using (var tar = new TarWriter(gzip, TarEntryFormat.Pax, leaveOpen: true))
        {
            var folder = new PaxTarEntry(TarEntryType.Directory, rootName + "/") { Mode = AtomicFile.PrivateFolder, ModificationTime = now };
            tar.WriteEntry(folder);
            foreach (var (name, content, mode) in files)
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, $"{rootName}/{name}")
                {
                    Mode = mode,
                    ModificationTime = now,
                    DataStream = new MemoryStream(content, writable: false),
                };
                tar.WriteEntry(entry);
            }
        }
        AtomicFile.Write(path, buffer.ToArray(), AtomicFile.PrivateFile);
    }
}
