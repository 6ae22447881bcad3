using System.Net;
using System.Text.Json;
using RunbookHost.Stores.Minio;
using RunbookHost.Tenants;
using RunbookHost.Tests.Stores.Minio.StandIn;

namespace RunbookHost.Tests.Stores.Minio;

/// <summary>
/// The MinIO stand-in refuses what MinIO refuses (minio/minio cmd, minio/pkg policy), so that a regression of the
/// product on any of these points fails the suite instead of passing against a lenient fake. Each test sends the
/// regressed request through the stand-in and shows it refused, next to the product's own request being accepted.
/// </summary>
public sealed class StandInStrictnessTests : IAsyncLifetime
{
    private MinioStandIn _standIn = null!;
    private MinioSettings _settings = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync()
    {
        _standIn = await MinioStandIn.StartAsync("strictroot", MinioTenantStore.GenerateSecretKey());
        _settings = new MinioSettings { Endpoint = _standIn.Endpoint, AccessKey = _standIn.RootAccessKey, SecretKey = _standIn.RootSecretKey };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _standIn.DisposeAsync();
    }

    /// <summary>An admin call signed like MinioAdminClient signs it, with the parts a regression would change as parameters.</summary>
    private async Task<(HttpStatusCode Status, string Code)> AdminAsync(HttpMethod method, string route, byte[] body, string? contentType,
        string service = "s3", string? region = null, MinioStandIn? target = null)
    {
        var standIn = target ?? _standIn;
        using var request = new HttpRequestMessage(method, $"{standIn.Endpoint}/minio/admin/v3/{route}");
        if (body.Length > 0 || method != HttpMethod.Get)
        {
            request.Content = new ByteArrayContent(body);
            if (contentType is not null)
                request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }
        SigV4.Sign(request, body, standIn.RootAccessKey, standIn.RootSecretKey, region ?? "", service, DateTimeOffset.UtcNow);
        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var code = response.IsSuccessStatusCode || text.Length == 0 ? "" : JsonDocument.Parse(text).RootElement.GetProperty("Code").GetString()!;
        return (response.StatusCode, code);
    }

    private byte[] Association(string policy, string user) =>
        MadminCrypto.Encrypt(_standIn.RootSecretKey, JsonSerializer.SerializeToUtf8Bytes(new { policies = new[] { policy }, user }));

    [Fact]
    public async Task AttachAndDetachWithoutTheOctetStreamContentTypeAreBadRequests()
    {
        var tenant = TenantId.Parse("strictctype");
        using var store = new MinioTenantStore(_settings);
        await store.ProvisionAsync(tenant, MinioTenantStore.GenerateSecretKey(), CancellationToken.None);
        var n = MinioTenantStore.Names(tenant);
        foreach (var verb in new[] { "detach", "attach" })
        {
            foreach (var wrong in new[] { "application/json", "application/x-www-form-urlencoded", null })
                Assert.Equal((HttpStatusCode.BadRequest, "BadRequest"), await AdminAsync(HttpMethod.Post, $"idp/builtin/policy/{verb}", Association(n.Policy, n.User), wrong));
            Assert.Equal(HttpStatusCode.OK, (await AdminAsync(HttpMethod.Post, $"idp/builtin/policy/{verb}", Association(n.Policy, n.User), "application/octet-stream")).Status);
        }
        // The product's client still gets through.
        Assert.False(await store.Admin.AttachPolicyAsync(n.User, n.Policy, CancellationToken.None));
    }

    [Fact]
    public async Task OnlyTheS3ServiceIsAcceptedInTheSignatureScopeAdminCallsIncluded()
    {
        foreach (var service in new[] { "sts", "iam", "execute-api" })
            Assert.Equal((HttpStatusCode.BadRequest, "AuthorizationParametersError"), await AdminAsync(HttpMethod.Get, "list-users", [], null, service));
        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(HttpMethod.Get, "list-users", [], null, "s3")).Status);
    }

    [Fact]
    public async Task AServerWithARegionRefusesAnyOtherRegionAndTheProductSignsWithTheConfiguredOne()
    {
        await using var regional = await MinioStandIn.StartAsync("regionroot", MinioTenantStore.GenerateSecretKey(), "eu-central-1");
        Assert.Equal((HttpStatusCode.BadRequest, "AuthorizationHeaderMalformed"), await AdminAsync(HttpMethod.Get, "list-users", [], null, region: "", target: regional));
        Assert.Equal((HttpStatusCode.BadRequest, "AuthorizationHeaderMalformed"), await AdminAsync(HttpMethod.Get, "list-users", [], null, region: "us-east-1", target: regional));
        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(HttpMethod.Get, "list-users", [], null, region: "eu-central-1", target: regional)).Status);

        var settings = new MinioSettings { Endpoint = regional.Endpoint, AccessKey = regional.RootAccessKey, SecretKey = regional.RootSecretKey };
        using (var unset = new MinioTenantStore(settings))
            Assert.Equal("AuthorizationHeaderMalformed", (await Assert.ThrowsAsync<MinioAdminException>(() => unset.Admin.ListUsersAsync(CancellationToken.None))).Code);
        settings.Region = "eu-central-1";
        using var configured = new MinioTenantStore(settings);
        await configured.ProvisionAsync(TenantId.Parse("strictregion"), MinioTenantStore.GenerateSecretKey(), CancellationToken.None);
        Assert.True((await configured.GetStateAsync(TenantId.Parse("strictregion"), CancellationToken.None)).UserExists);
    }

    public static TheoryData<string, string> MalformedPolicies() => new()
    {
        { """{"Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}""", "MalformedPolicy" },
        { """{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObjects"],"Resource":["arn:aws:s3:::b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"NotAction":["s3:PutObject"],"Resource":["arn:aws:s3:::b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":["s3:*"],"Resource":["arn:aws:s3:::b"],"NotResource":["arn:aws:s3:::c"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":["arn:aws:s3:::b/*","arn:aws:s3:::b/*"]}]}""", "XMinioMalformedIAMPolicy" },
        { """{"Version":"2012-10-17","Comment":"x","Statement":[]}""", "XMinioMalformedIAMPolicy" },
    };

    [Theory]
    [MemberData(nameof(MalformedPolicies))]
    public async Task APolicyOutsideMinIOsGrammarIsRefusedWithMinIOsCode(string policy, string code)
    {
        using var store = new MinioTenantStore(_settings);
        var refused = await Assert.ThrowsAsync<MinioAdminException>(() => store.Admin.AddCannedPolicyAsync("strict-policy", policy, CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
        Assert.Equal(code, refused.Code);
    }

    [Fact]
    public async Task TheProductsTenantPolicyIsInTheGrammarWithGoStyleFieldNames()
    {
        using var store = new MinioTenantStore(_settings);
        await store.Admin.AddCannedPolicyAsync("strict-tenant", MinioTenantPolicy.Document(TenantId.Parse("strictgrammar")), CancellationToken.None);
        // encoding/json matches field names case-insensitively; a string where a list is expected is one element.
        await store.Admin.AddCannedPolicyAsync("strict-case", """{"version":"2012-10-17","statement":[{"effect":"Allow","action":"s3:GetObject","resource":"arn:aws:s3:::b/*"}]}""", CancellationToken.None);
    }

    [Fact]
    public async Task RemovingAnAbsentPolicyAnswers200AsMinIODoesAndDeprovisionDoesNotDependOnA404()
    {
        Assert.Equal(HttpStatusCode.OK, (await AdminAsync(HttpMethod.Delete, "remove-canned-policy?name=never-created", [], null)).Status);
        using var store = new MinioTenantStore(_settings);
        await store.Admin.RemoveCannedPolicyAsync("never-created", CancellationToken.None);
        var tenant = TenantId.Parse("strictremove");
        await store.ProvisionAsync(tenant, MinioTenantStore.GenerateSecretKey(), CancellationToken.None);
        await store.DeprovisionAsync(tenant, CancellationToken.None);
        await store.DeprovisionAsync(tenant, CancellationToken.None); // everything absent the second time
        Assert.True((await store.GetStateAsync(tenant, CancellationToken.None)).NothingRemains);
    }

    [Fact]
    public async Task ListBucketsShowsBucketsTheUserMayGetTheLocationOfSoAPolicyGrantingThatElsewhereFailsTheCheck()
    {
        using var store = new MinioTenantStore(_settings);
        var (a, b) = (TenantId.Parse("strictlista"), TenantId.Parse("strictlistb"));
        var secret = MinioTenantStore.GenerateSecretKey();
        await store.ProvisionAsync(a, secret, CancellationToken.None);
        await store.ProvisionAsync(b, MinioTenantStore.GenerateSecretKey(), CancellationToken.None);
        Assert.True((await store.VerifyAsync(a, secret, b, CancellationToken.None)).Single(c => c.Test == "list_buckets_only_own").Pass);

        // A regressed tenant policy: no explicit Deny, and GetBucketLocation on every bucket (nothing else more).
        var n = MinioTenantStore.Names(a);
        var regressed = MinioTenantPolicy.Document(a).Replace("\"s3:GetBucketLocation\"", "\"s3:ListBucket\"", StringComparison.Ordinal);
        var document = JsonNode(regressed);
        var statements = document["Statement"]!.AsArray();
        statements.RemoveAt(statements.Count - 1);
        statements.Add(new System.Text.Json.Nodes.JsonObject
        {
            ["Effect"] = "Allow",
            ["Action"] = new System.Text.Json.Nodes.JsonArray("s3:GetBucketLocation"),
            ["Resource"] = new System.Text.Json.Nodes.JsonArray("arn:aws:s3:::*"),
        });
        await store.Admin.AddCannedPolicyAsync(n.Policy, document.ToJsonString(), CancellationToken.None);

        var check = (await store.VerifyAsync(a, secret, b, CancellationToken.None)).Single(c => c.Test == "list_buckets_only_own");
        Assert.False(check.Pass, check.Detail);
        Assert.Contains("including its own", check.Detail);
    }

    private static System.Text.Json.Nodes.JsonNode JsonNode(string json) => System.Text.Json.Nodes.JsonNode.Parse(json)!;
}
