using RunbookHost.Keys.Sops;

namespace RunbookHost.Tests.Keys.Sops;

public class SopsCreationRulesTests
{
    private const string Config = """
        creation_rules:
            - path_regex: tenants/acme/.*\.yaml$
              age: age1aaa, age1bbb
              encrypted_regex: ^(data|stringData)$
            - path_regex: \.json$
              age:
                  - age1ccc
                  - age1ddd
              mac_only_encrypted: true
            - age: age1fallback
        """;

    [Fact]
    public void FirstMatchingRuleWinsWithCommaSeparatedAge()
    {
        var rule = SopsCreationRules.Parse(Config).RuleFor("tenants/acme/secrets.yaml");
        Assert.Equal(["age1aaa", "age1bbb"], rule.Age);
        Assert.Equal("^(data|stringData)$", rule.EncryptedRegex);
        var options = rule.ToEncryptOptions();
        Assert.Equal(rule.Age, options.AgeRecipients);
    }

    [Fact]
    public void AgeAsAListAndMacOnlyEncrypted()
    {
        var rule = SopsCreationRules.Parse(Config).RuleFor("tenants/acme/secrets.json");
        Assert.Equal(["age1ccc", "age1ddd"], rule.Age);
        Assert.True(rule.MacOnlyEncrypted);
    }

    [Fact]
    public void RuleWithoutPathRegexMatchesAnything()
    {
        var rule = SopsCreationRules.Parse(Config).RuleFor("other/file.env");
        Assert.Equal(["age1fallback"], rule.Age);
    }

    [Fact]
    public void PathIsMadeRelativeToTheConfigFolder()
    {
        var rules = SopsCreationRules.Parse("creation_rules:\n    - path_regex: ^tenants/\n      age: age1x\n");
        Assert.Equal(["age1x"], rules.RuleFor("/srv/repo/tenants/a.yaml", "/srv/repo").Age);
        Assert.Throws<SopsException>(() => rules.RuleFor("/srv/other/tenants/a.yaml", "/srv/repo"));
    }

    [Fact]
    public void NoMatchIsAnError()
    {
        var rules = SopsCreationRules.Parse("creation_rules:\n    - path_regex: \\.yaml$\n      age: age1x\n");
        var ex = Assert.Throws<SopsException>(() => rules.RuleFor("a.json"));
        Assert.Contains("no matching creation rule", ex.Message);
    }

    [Fact]
    public void KeyGroupsAreRefused() =>
        Assert.Throws<SopsException>(() => SopsCreationRules.Parse("creation_rules:\n    - key_groups:\n          - age:\n                - age1x\n"));
}
