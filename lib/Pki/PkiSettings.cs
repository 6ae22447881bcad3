namespace RunbookHost.Pki;

/// <summary>The certificate authority's lifetimes (configuration section <c>Pki</c>; docs/pki.md).</summary>
public sealed class PkiSettings
{
    /// <summary>The platform root CA's lifetime; it signs tenant CAs, the platform-admin CA, the server certificate and CRLs.</summary>
    public int RootLifetimeDays { get; set; } = 3650;

    /// <summary>A tenant intermediate CA's lifetime (never beyond the root's).</summary>
    public int TenantCaLifetimeDays { get; set; } = 365;

    /// <summary>A component certificate's lifetime: short, so a leaked key is useful briefly (never beyond its CA's).</summary>
    public int ComponentLifetimeDays { get; set; } = 30;

    /// <summary>The NATS server certificate's lifetime.</summary>
    public int ServerLifetimeDays { get; set; } = 90;

    /// <summary>The platform-admin certificate's lifetime: short, it may cross tenants.</summary>
    public int AdminLifetimeDays { get; set; } = 7;

    /// <summary>How long a tenant's previous CA stays trusted after rotate-tenant-ca, so components move to the new one.</summary>
    public int OverlapDays { get; set; } = 7;

    /// <summary>
    /// The message bus URL onboarding packages carry in nats.json. Read from <c>Nats:Url</c> (RUNBOOKHOST_Nats__Url), the
    /// NATS section's key, by the host's configuration loader; empty when the bus is not configured.
    /// </summary>
    public string NatsUrl { get; set; } = "";

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting out of range.</summary>
    public void Validate()
    {
        Require(RootLifetimeDays, 30, 36500, nameof(RootLifetimeDays));
        Require(TenantCaLifetimeDays, 2, 36500, nameof(TenantCaLifetimeDays));
        Require(ComponentLifetimeDays, 1, 825, nameof(ComponentLifetimeDays));
        Require(ServerLifetimeDays, 1, 825, nameof(ServerLifetimeDays));
        Require(AdminLifetimeDays, 1, 90, nameof(AdminLifetimeDays));
        Require(OverlapDays, 0, 365, nameof(OverlapDays));
        if (TenantCaLifetimeDays > RootLifetimeDays)
            throw new ArgumentException($"Pki__TenantCaLifetimeDays ({TenantCaLifetimeDays}) exceeds Pki__RootLifetimeDays ({RootLifetimeDays})");
    }

    private static void Require(int value, int min, int max, string name)
    {
        if (value < min || value > max)
            throw new ArgumentException($"Pki__{name} is {value}: it must be between {min} and {max} days");
    }
}
