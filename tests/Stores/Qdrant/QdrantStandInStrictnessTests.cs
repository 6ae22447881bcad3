using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Grpc.Core;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tests.Stores.Qdrant.StandIn;

namespace RunbookHost.Tests.Stores.Qdrant;

/// <summary>
/// The Qdrant stand-in refuses the tokens Qdrant refuses (src/common/auth, lib/storage/src/rbac), so a product that
/// issued one would fail here instead of passing against a lenient fake. Each case is a token signed with the right
/// key, next to the same token without the flaw being accepted.
/// </summary>
public sealed class QdrantStandInStrictnessTests : IAsyncLifetime
{
    private readonly string _apiKey = "strict-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private QdrantStandIn _standIn = null!;

    public async Task InitializeAsync() => _standIn = await QdrantStandIn.StartAsync(_apiKey);

    public async Task DisposeAsync() => await _standIn.DisposeAsync();

    private async Task<StatusCode> ListWithAsync(JsonObject claims)
    {
        using var store = new QdrantTenantStore(new QdrantSettings { Endpoint = _standIn.Endpoint, ApiKey = _apiKey });
        using var client = store.CreateTenantClient(QdrantJwt.Sign(claims.ToJsonString(), _apiKey));
        try
        {
            await client.ListCollectionsAsync();
            return StatusCode.OK;
        }
        catch (RpcException e)
        {
            return e.StatusCode;
        }
    }

    private static JsonObject Access(params JsonObject[] entries) => new() { ["access"] = new JsonArray(entries) };

    private static JsonObject Entry(string collection, string access = "rw") => new() { ["collection"] = collection, ["access"] = access };

    [Fact]
    public async Task AnExpThatIsNotAnUnsignedIntegerIsNotAJwtToQdrant()
    {
        var future = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        Assert.Equal(StatusCode.OK, await ListWithAsync(new JsonObject { ["access"] = new JsonArray(Entry("tenant_a")), ["exp"] = future }));
        foreach (var exp in new JsonNode[] { JsonValue.Create(future.ToString(System.Globalization.CultureInfo.InvariantCulture)), JsonValue.Create(-1), JsonValue.Create(1.5) })
            Assert.Equal(StatusCode.Unauthenticated, await ListWithAsync(new JsonObject { ["access"] = new JsonArray(Entry("tenant_a")), ["exp"] = exp }));
    }

    [Fact]
    public async Task ACollectionListedTwiceIsRefused()
    {
        Assert.Equal(StatusCode.OK, await ListWithAsync(Access(Entry("tenant_a"), Entry("tenant_b", "r"))));
        Assert.Equal(StatusCode.Unauthenticated, await ListWithAsync(Access(Entry("tenant_a"), Entry("tenant_a", "r"))));
    }

    [Fact]
    public async Task TheDeprecatedPayloadConstraintIsRefused()
    {
        var entry = Entry("tenant_a");
        entry["payload"] = new JsonObject { ["tenant"] = "a" };
        Assert.Equal(StatusCode.Unauthenticated, await ListWithAsync(Access(entry)));
    }
}
