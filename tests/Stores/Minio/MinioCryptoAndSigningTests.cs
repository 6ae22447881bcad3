using System.Text;
using RunbookHost.Stores.Minio;

namespace RunbookHost.Tests.Stores.Minio;

public sealed class MinioCryptoAndSigningTests
{
    // minio-java admin EncryptionUtilsTest: password "foo", plaintext "bar", Argon2id + AES-GCM (id 0x00).
    private const string MinioJavaVector =
        "0c01c44abba473bae01f777f01edbf988723a60385170577d7644f1fb132b3de00bf47ea28fc00e6ca222e42538c5a5091fa64de7ed4da81c5d0b69c";

    [Fact]
    public void The_minio_java_madmin_vector_decrypts_to_bar_with_password_foo()
    {
        var plain = MadminCrypto.Decrypt("foo", Convert.FromHexString(MinioJavaVector));
        Assert.Equal("bar", Encoding.UTF8.GetString(plain));
    }

    [Fact]
    public void The_minio_java_vector_is_refused_with_another_password_or_one_flipped_bit()
    {
        var data = Convert.FromHexString(MinioJavaVector);
        Assert.Throws<MadminCryptoException>(() => MadminCrypto.Decrypt("fop", data));
        data[^1] ^= 1;
        var e = Assert.Throws<MadminCryptoException>(() => MadminCrypto.Decrypt("foo", data));
        Assert.DoesNotContain("foo", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MadminCrypto.Argon2idAesGcm, 0)]
    [InlineData(MadminCrypto.Argon2idAesGcm, 16385)]
    [InlineData(MadminCrypto.Argon2idChaCha20Poly1305, 16384)]
    [InlineData(MadminCrypto.Pbkdf2AesGcm, 40000)]
    public void Encrypted_admin_bodies_round_trip_across_fragment_boundaries(byte id, int length)
    {
        var plain = new byte[length];
        Random.Shared.NextBytes(plain);
        var sealedData = MadminCrypto.Encrypt("secret-password", plain, id);
        Assert.Equal(id, sealedData[32]);
        var fragments = Math.Max(1, (length + 16383) / 16384);
        Assert.Equal(32 + 1 + 8 + length + (16 * fragments), sealedData.Length);
        Assert.Equal(plain, MadminCrypto.Decrypt("secret-password", sealedData));
    }

    [Fact]
    public void Encryption_uses_argon2id_with_aes_gcm_by_default_and_a_fresh_salt_each_time()
    {
        var a = MadminCrypto.Encrypt("pw-12345678", "x"u8);
        var b = MadminCrypto.Encrypt("pw-12345678", "x"u8);
        Assert.Equal(MadminCrypto.Argon2idAesGcm, a[32]);
        Assert.NotEqual(a[..32], b[..32]);
    }

    [Fact]
    public void A_truncated_stream_is_refused()
    {
        var sealedData = MadminCrypto.Encrypt("pw-12345678", new byte[20000], MadminCrypto.Pbkdf2AesGcm);
        Assert.Throws<MadminCryptoException>(() => MadminCrypto.Decrypt("pw-12345678", sealedData[..(41 + 16384 + 16)]));
    }

    // AWS SigV4 test suite "get-vanilla" (credential AKIDEXAMPLE, region us-east-1, service "service").
    [Fact]
    public void SigV4_matches_the_aws_get_vanilla_test_vector()
    {
        var time = new DateTimeOffset(2015, 8, 30, 12, 36, 0, TimeSpan.Zero);
        var sig = SigV4.Compute(
            "GET", "/", "",
            [new("Host", "example.amazonaws.com"), new("X-Amz-Date", "20150830T123600Z")],
            SigV4.EmptyPayloadSha256, time,
            "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "us-east-1", "service");
        Assert.Equal(
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n" + SigV4.EmptyPayloadSha256,
            sig.CanonicalRequest);
        Assert.Equal(
            "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\nbb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
            sig.StringToSign);
        Assert.Equal("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", sig.Signature);
        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            sig.Authorization);
    }

    [Fact]
    public void An_empty_region_gives_the_scope_date_slash_slash_s3()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "http://127.0.0.1:9000/minio/admin/v3/user-info?accessKey=tenant-abc-access");
        SigV4.Sign(request, [], "root", "rootsecret", "", "s3", new DateTimeOffset(2026, 2, 11, 12, 0, 0, TimeSpan.Zero));
        var auth = request.Headers.GetValues("Authorization").Single();
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=root/20260211//s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=", auth, StringComparison.Ordinal);
        Assert.Equal(SigV4.EmptyPayloadSha256, request.Headers.GetValues("x-amz-content-sha256").Single());
        Assert.Equal("127.0.0.1:9000", request.Headers.Host);
    }

    [Fact]
    public void Canonical_queries_are_sorted_and_rfc3986_encoded()
    {
        Assert.Equal("a=1&b=x%2Fy%20z&versions=", SigV4.CanonicalQueryFromRaw("versions&b=x%2fy%20z&a=1"));
        Assert.Equal("accessKey=tenant-abc-access", SigV4.CanonicalQuery([new("accessKey", "tenant-abc-access")]));
    }
}
