namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// Qdrant connection settings (`RUNBOOKHOST_Qdrant__Endpoint`, `RUNBOOKHOST_Qdrant__ApiKey`, …).
/// The api key is the server's `service.api_key`; with `service.jwt_rbac: true` it also signs tenant tokens.
/// </summary>
public sealed class QdrantSettings
{
    /// <summary>gRPC endpoint, e.g. `http://127.0.0.1:6334`. Empty = store not configured.</summary>
    public string Endpoint { get; set; } = "";

    /// <summary>The server's admin api key (full access; HS256 secret of every tenant token).</summary>
    public string ApiKey { get; set; } = "";

    public bool Enabled { get; set; } = true;

    /// <summary>Vector size of every tenant collection (locked to 768 by TECH_DECISIONS).</summary>
    public ulong VectorSize { get; set; } = 768;

    /// <summary>Cosine, Euclid, Dot or Manhattan.</summary>
    public string Distance { get; set; } = "Cosine";

    /// <summary>Lifetime of issued tenant tokens in days; 0 = tokens carry no `exp`.</summary>
    public int TokenLifetimeDays { get; set; }

    /// <summary>
    /// Collection holding one point per revocable tenant token (see docs/qdrant.md). It cannot collide
    /// with a tenant collection: those always start with `tenant_`.
    /// </summary>
    public string TokenRegistryCollection { get; set; } = "runbookhost_tenant_tokens";

    /// <summary>gRPC deadline of each call.</summary>
    public int TimeoutSeconds { get; set; } = 30;
}
