using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Stores.Postgres;

/// <summary>
/// Client-side SCRAM-SHA-256 verifier (RFC 5802 / RFC 7677), in the form PostgreSQL stores in
/// pg_authid.rolpassword: <c>SCRAM-SHA-256$&lt;iterations&gt;:&lt;salt&gt;$&lt;StoredKey&gt;:&lt;ServerKey&gt;</c>.
/// Sending this instead of the password (what psql's \password does) keeps the plaintext out of
/// the server's statement log, pg_stat_statements and error reports.
/// </summary>
public static class ScramVerifier
{
    public const int DefaultIterations = 4096;
    private const int SaltLength = 16;

    public static string Compute(string password, int iterations = DefaultIterations, byte[]? salt = null)
    {
        ArgumentNullException.ThrowIfNull(password);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 4096);
        // SASLprep (RFC 4013) maps nothing in printable ASCII; PostgreSQL applies it to the password.
        // Restricting to printable ASCII makes our bytes exactly the server's bytes without a SASLprep port.
        foreach (var c in password)
        {
            if (c is < '!' or > '~')
                throw new ArgumentException("store passwords must be printable ASCII without spaces (see StorePasswords.Generate)", nameof(password));
        }
        if (password.Length == 0)
            throw new ArgumentException("password is empty", nameof(password));

        salt ??= RandomNumberGenerator.GetBytes(SaltLength);
        var salted = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA256, 32);
        var clientKey = HMACSHA256.HashData(salted, "Client Key"u8);
        var storedKey = SHA256.HashData(clientKey);
        var serverKey = HMACSHA256.HashData(salted, "Server Key"u8);
        CryptographicOperations.ZeroMemory(salted);
        CryptographicOperations.ZeroMemory(clientKey);
        return $"SCRAM-SHA-256${iterations}:{Convert.ToBase64String(salt)}${Convert.ToBase64String(storedKey)}:{Convert.ToBase64String(serverKey)}";
    }

    /// <summary>True when <paramref name="verifier"/> has the exact shape <see cref="Compute"/> produces (used before it goes into SQL).</summary>
    public static bool IsWellFormed(string verifier) =>
        System.Text.RegularExpressions.Regex.IsMatch(verifier,
            @"\ASCRAM-SHA-256\$[0-9]{4,7}:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]{44}:[A-Za-z0-9+/=]{44}\z");
}
