namespace RunbookHost.Tenants;

/// <summary>
/// A validated tenant identifier: 3–32 characters, lowercase ASCII letters and digits, starting
/// with a letter. Only values of this type ever become store names, paths or log properties, so
/// `tenant-{id}-bucket`, `tenant_{id}_user` and `tenant:{id}:` are valid in every store by construction.
/// </summary>
public sealed record TenantId
{
    public const int MinLength = 3;
    public const int MaxLength = 32;

    private TenantId(string value) => Value = value;

    public string Value { get; }

    public static TenantId Parse(string? candidate)
    {
        if (TryParse(candidate, out var id, out var reason))
            return id;
        throw new InvalidTenantIdException(reason);
    }

    public static bool TryParse(string? candidate, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TenantId? id, out string reason)
    {
        id = null;
        reason = Check(candidate);
        if (reason.Length > 0)
            return false;
        id = new TenantId(candidate!);
        return true;
    }

    private static string Check(string? candidate)
    {
        const string rule = "a tenant id is 3-32 characters of a-z and 0-9, starting with a letter";
        if (string.IsNullOrEmpty(candidate))
            return $"tenant id is empty: {rule}";
        if (candidate.Length < MinLength || candidate.Length > MaxLength)
            return $"tenant id has {candidate.Length} characters: {rule}";
        if (candidate[0] is < 'a' or > 'z')
            return $"tenant id does not start with a lowercase letter: {rule}";
        foreach (var c in candidate)
        {
            if (c is not ((>= 'a' and <= 'z') or (>= '0' and <= '9')))
                return $"tenant id contains a character outside a-z and 0-9: {rule}";
        }
        return "";
    }

    public override string ToString() => Value;
}

/// <summary>The message never repeats the rejected input: it may be hostile (control characters, look-alikes).</summary>
public sealed class InvalidTenantIdException(string message) : ArgumentException(message);
