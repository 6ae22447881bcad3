using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Registry;

/// <summary>Stable 64-bit PostgreSQL advisory lock keys: the first 8 bytes (big-endian) of SHA-256 of a name.</summary>
public static class AdvisoryLockKey
{
    public static long For(string name) =>
        BinaryPrimitives.ReadInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(name)));

    internal static long Migrations { get; } = For("runbook-host:registry:migrations");
    internal static long Octets { get; } = For("runbook-host:registry:octets");
}
