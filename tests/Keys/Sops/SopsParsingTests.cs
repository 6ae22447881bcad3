using System.Text;
using RunbookHost.Keys.Sops;

namespace RunbookHost.Tests.Keys.Sops;

/// <summary>Scalar resolution and store parsing details that decide types, AADs and MAC bytes.</summary>
public class SopsParsingTests
{
    [Theory]
    [InlineData("42", ScalarKind.Int, "42")]
    [InlineData("-7", ScalarKind.Int, "-7")]
    [InlineData("0x1F", ScalarKind.Int, "31")]
    [InlineData("0o17", ScalarKind.Int, "15")]
    [InlineData("0123", ScalarKind.Int, "83")]
    [InlineData("09", ScalarKind.Float, "9")]
    [InlineData("1_000", ScalarKind.Int, "1000")]
    [InlineData("1.5", ScalarKind.Float, "1.5")]
    [InlineData("1.234568e+09", ScalarKind.Float, "1234568000")]
    [InlineData("true", ScalarKind.Bool, "True")]
    [InlineData("yes", ScalarKind.Str, "yes")]
    [InlineData("~", ScalarKind.Null, "")]
    [InlineData("2024-01-02", ScalarKind.Time, "2024-01-02T00:00:00Z")]
    [InlineData("2024-01-02T03:04:05.500+02:00", ScalarKind.Time, "2024-01-02T03:04:05.5+02:00")]
    [InlineData("2024-1-2 3:4:5", ScalarKind.Time, "2024-01-02T03:04:05Z")]
    [InlineData("2024-01-02T03:04:05", ScalarKind.Str, "2024-01-02T03:04:05")]
    [InlineData("10021-3100", ScalarKind.Str, "10021-3100")]
    internal void PlainScalarsResolveLikeGoYamlV3(string text, ScalarKind kind, string canonical)
    {
        var s = SopsYamlScalars.ResolvePlain(text);
        Assert.Equal(kind, s.Kind);
        Assert.Equal(canonical, s.Text);
    }

    [Fact]
    public void IniTripleQuotedValuesMaySpanLines()
    {
        var root = SopsIniStore.Load("[sops]\nenc = \"\"\"-----BEGIN\nabc\n-----END\n\"\"\"\nversion = 3.7.1\n");
        var section = Assert.IsType<SMap>(root.Get("sops"));
        Assert.Equal("-----BEGIN\nabc\n-----END\n", Assert.IsType<SScalar>(section.Get("enc")).Text);
        Assert.Equal("3.7.1", Assert.IsType<SScalar>(section.Get("version")).Text);
    }

    [Fact]
    public void FlattenedMetadataUnflattens()
    {
        var tree = SopsFlatten.Unflatten([
            new("age__list_1__map_enc", "b\\nc"),
            new("age__list_0__map_recipient", "r0"),
            new("age__list_0__map_enc", "a"),
            new("age__list_1__map_recipient", "r1"),
            new("lastmodified", "2022-03-15T22:12:10Z"),
        ]);
        var md = SopsMetadata.FromTree(tree);
        Assert.Equal([new SopsAgeStanza("r0", "a"), new SopsAgeStanza("r1", "b\nc")], md.Age);
    }

    [Fact]
    public void YamlCommentBelongsToTheLevelItIsIndentedAt()
    {
        var docs = SopsYamlStore.Load("a:\n    b: 1\n    # inner\n# outer\nc: 2\n");
        var root = docs.Single();
        var a = Assert.IsType<SMap>(root.Get("a"));
        Assert.Contains(a.Items, i => i.Key is null && ((SComment)i.Value).Text == " inner");
        Assert.Contains(root.Items, i => i.Key is null && ((SComment)i.Value).Text == " outer");
        Assert.Equal("a:\n    b: 1\n    # inner\n# outer\nc: 2\n", Encoding.UTF8.GetString(SopsYamlStore.Emit(docs)));
    }

    [Fact]
    public void MetadataRefusesMultipleSelectors() =>
        Assert.Throws<SopsException>(() => SopsMetadata.FromTree(SopsYamlStore.Load("lastmodified: '2020-01-01T00:00:00Z'\nencrypted_comment_regex: x\nunencrypted_suffix: y\n")[0]));
}
