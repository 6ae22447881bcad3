using Microsoft.Extensions.Configuration;
using RunbookHost.Stores.Qdrant;
using RunbookHost.Tenants;

namespace RunbookHost.Tests.Stores.Qdrant;

public sealed class QdrantJwtAndGuardTests
{
    // jwt.io's default HS256 example.
    private const string JwtIoPayload = """{"sub":"1234567890","name":"John Doe","iat":1516239022}""";
    private const string JwtIoSecret = "your-256-bit-secret";
    private const string JwtIoToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c";

    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_000);

    [Fact]
    public void The_encoder_reproduces_the_jwt_io_hs256_example_byte_for_byte()
    {
        Assert.Equal(JwtIoToken, QdrantJwt.Sign(JwtIoPayload, JwtIoSecret));
    }

    [Fact]
    public void The_verifier_accepts_the_jwt_io_example_and_refuses_it_under_another_secret()
    {
        Assert.True(QdrantJwt.TryVerify(JwtIoToken, JwtIoSecret, Now, TimeSpan.Zero, out var claims, out _));
        Assert.Equal("John Doe", claims["name"]!.GetValue<string>());
        Assert.False(QdrantJwt.TryVerify(JwtIoToken, "another-secret", Now, TimeSpan.Zero, out _, out var reason));
        Assert.Contains("signature", reason);
    }

    [Fact]
    public void The_verifier_refuses_a_token_past_exp_plus_leeway_and_accepts_one_within_it()
    {
        var token = QdrantJwt.Sign($$"""{"exp":{{Now.ToUnixTimeSeconds() - 20}}}""", "k");
        Assert.True(QdrantJwt.TryVerify(token, "k", Now, TimeSpan.FromSeconds(30), out _, out _));
        Assert.False(QdrantJwt.TryVerify(token, "k", Now, TimeSpan.FromSeconds(10), out _, out var reason));
        Assert.Contains("expired", reason);
    }

    [Theory]
    [InlineData("not-a-jwt")]
    [InlineData("a.b")]
    [InlineData("e30.e30.@@@")]
    [InlineData("eyJhbGciOiJub25lIn0.e30.")]
    public void The_verifier_refuses_malformed_and_unsigned_tokens(string token)
    {
        Assert.False(QdrantJwt.TryVerify(token, "k", Now, TimeSpan.Zero, out _, out var reason));
        Assert.DoesNotContain(token, reason);
    }

    [Fact]
    public void Base64url_has_no_padding_and_uses_the_url_alphabet()
    {
        Assert.Equal("-_8", QdrantJwt.Base64Url([0xfb, 0xff]));
        Assert.Equal(new byte[] { 0xfb, 0xff }, QdrantJwt.FromBase64Url("-_8"));
        Assert.Throws<FormatException>(() => QdrantJwt.FromBase64Url("-_8="));
    }

    [Fact]
    public void The_guard_accepts_only_the_tenant_own_collection()
    {
        var a = TenantId.Parse("alpha1");
        QdrantTenantGuard.Verify(a, "tenant_alpha1");
        Assert.Equal("tenant_alpha1", QdrantTenantGuard.CollectionName(a));
    }

    [Theory]
    [InlineData("tenant_beta2")]
    [InlineData("tenant_alpha")]
    [InlineData("tenant_alpha12")]
    [InlineData("TENANT_alpha1")]
    [InlineData("tenant_alpha1 ")]
    [InlineData("tenant-alpha1")]
    [InlineData("runbookhost_tenant_tokens")]
    [InlineData("")]
    [InlineData(null)]
    public void The_guard_refuses_any_other_name_without_echoing_it(string? name)
    {
        var a = TenantId.Parse("alpha1");
        var e = Assert.Throws<QdrantTenantAccessException>(() => QdrantTenantGuard.Verify(a, name));
        Assert.Contains("tenant_alpha1", e.Message);
        if (!string.IsNullOrEmpty(name) && name != "tenant_alpha")
            Assert.DoesNotContain(name, e.Message);
    }

    [Fact]
    public void The_store_refuses_settings_without_an_api_key_or_with_a_registry_that_looks_like_a_tenant_collection()
    {
        Assert.Throws<ArgumentException>(() => new QdrantTenantStore(new QdrantSettings { Endpoint = "http://127.0.0.1:6334" }));
        Assert.Throws<ArgumentException>(() => new QdrantTenantStore(new QdrantSettings { Endpoint = "http://127.0.0.1:6334", ApiKey = "k", TokenRegistryCollection = "tenant_tokens" }));
        Assert.Throws<ArgumentException>(() => new QdrantTenantStore(new QdrantSettings { Endpoint = "http://127.0.0.1:6334", ApiKey = "k", Distance = "Jaccard" }));
        Assert.Throws<ArgumentException>(() => new QdrantTenantStore(new QdrantSettings { Endpoint = "127.0.0.1:6334", ApiKey = "k" }));
    }

    [Fact]
    public void Settings_bind_from_double_underscore_environment_variables()
    {
        // A private prefix: the fixture reads RUNBOOKHOST_Qdrant__* and tests run in parallel.
        var prefix = "RBHQTEST" + Guid.NewGuid().ToString("N")[..8] + "_";
        Environment.SetEnvironmentVariable(prefix + "Qdrant__Endpoint", "http://qdrant.internal:6334");
        Environment.SetEnvironmentVariable(prefix + "Qdrant__ApiKey", "k");
        Environment.SetEnvironmentVariable(prefix + "Qdrant__TokenLifetimeDays", "30");
        Environment.SetEnvironmentVariable(prefix + "Qdrant__Enabled", "false");
        try
        {
            var settings = new ConfigurationBuilder().AddEnvironmentVariables(prefix).Build().GetSection("Qdrant").Get<QdrantSettings>()!;
            Assert.Equal("http://qdrant.internal:6334", settings.Endpoint);
            Assert.Equal("k", settings.ApiKey);
            Assert.Equal(30, settings.TokenLifetimeDays);
            Assert.False(settings.Enabled);
            Assert.Equal(768UL, settings.VectorSize);
            Assert.Equal("Cosine", settings.Distance);
        }
        finally
        {
            foreach (var name in new[] { "Endpoint", "ApiKey", "TokenLifetimeDays", "Enabled" })
                Environment.SetEnvironmentVariable(prefix + "Qdrant__" + name, null);
        }
    }
}
