namespace RunbookHost.Stores.Qdrant;

/// <summary>
/// A tenant token. <see cref="TokenId"/> is set for revocable tokens (its point in the token registry
/// collection must exist for Qdrant to accept the token). <see cref="Token"/> is a secret: never log it.
/// </summary>
public sealed record QdrantTenantToken(string Collection, string Token, string? TokenId, DateTimeOffset? ExpiresAt)
{
    public override string ToString() => $"QdrantTenantToken {{ Collection = {Collection}, Token = ***, TokenId = {TokenId}, ExpiresAt = {ExpiresAt:O} }}";
}

/// <summary>Result of a provision: whether the collection was created now or already existed with matching vector parameters.</summary>
public sealed record QdrantProvisionResult(string Collection, bool Created);
