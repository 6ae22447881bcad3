using System.Text.RegularExpressions;
using System.Xml.Linq;
using CliWrap;
using CliWrap.Buffered;
using RunbookHost.Tests.Support;
using YamlDotNet.RepresentationModel;

namespace RunbookHost.Tests.Deploy;

/// <summary>
/// deploy/docker-compose.yml as Debian's docker-compose 1.29 reads it (installed by scripts/local-services.sh; the
/// file is kept valid for v1 and the Compose Specification alike). `config` only parses and interpolates:
/// no Docker engine is needed and nothing is pulled.
/// </summary>
public partial class ComposeFileTests
{
    private static readonly string ComposeFile = Repository.PathOf("deploy/docker-compose.yml");
    private static readonly string ExampleEnv = Repository.PathOf("deploy/stack.env.example");

    private static async Task<BufferedCommandResult> ComposeAsync(params string[] arguments) =>
        await CliWrap.Cli.Wrap("docker-compose").WithArguments(arguments).WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(e => e.Set("COMPOSE_PROJECT_NAME", null).Set("DOCKER_HOST", null))
            .ExecuteBufferedAsync();

    private static async Task<YamlMappingNode> ResolvedAsync()
    {
        var config = await ComposeAsync("--env-file", ExampleEnv, "-f", ComposeFile, "config");
        Assert.True(config.ExitCode == 0, config.StandardError);
        var yaml = new YamlStream();
        yaml.Load(new StringReader(config.StandardOutput));
        return (YamlMappingNode)yaml.Documents[0].RootNode;
    }

    private static YamlMappingNode Service(YamlMappingNode root, string name) =>
        (YamlMappingNode)((YamlMappingNode)root["services"])[name];

    [Fact]
    public async Task TheValidatorIsDebiansDockerCompose129()
    {
        var version = await ComposeAsync("version", "--short");
        Assert.True(version.ExitCode == 0, version.StandardError);
        Assert.StartsWith("1.29.", version.StandardOutput.Trim());
    }

    [Fact]
    public async Task TheStackIsValidWithTheExampleSecretsAndEveryStoreHasAHealthcheckTheHostWaitsFor()
    {
        var root = await ResolvedAsync();
        var host = Service(root, "runbook-host");
        var dependsOn = (YamlMappingNode)host["depends_on"];
        foreach (var store in new[] { "minio", "postgres", "qdrant" })
        {
            Assert.True(Service(root, store).Children.ContainsKey("healthcheck"), $"{store} has no healthcheck");
            Assert.Equal("service_healthy", ((YamlMappingNode)dependsOn[store])["condition"].ToString());
        }
        var probe = string.Join(' ', ((YamlSequenceNode)((YamlMappingNode)Service(root, "qdrant")["healthcheck"])["test"]).Select(n => n.ToString()));
        Assert.Contains("/readyz", probe);
        Assert.Equal("true", ((YamlMappingNode)((YamlMappingNode)root["networks"])["stores"])["internal"].ToString());
    }

    [Fact]
    public async Task WithoutTheSecretsFileTheStackIsRefusedNamingWhatIsMissing()
    {
        var config = await ComposeAsync("-f", ComposeFile, "config");
        Assert.NotEqual(0, config.ExitCode);
        Assert.Contains("set in stack.env", config.StandardError);
    }

    [Fact]
    public async Task EachStoreContainerGetsOnlyItsOwnSecrets()
    {
        var root = await ResolvedAsync();
        var secrets = File.ReadAllLines(ExampleEnv)
            .Where(l => l.Contains('=') && !l.StartsWith('#') && !l.StartsWith("COMPOSE_", StringComparison.Ordinal))
            .Select(l => (Name: l[..l.IndexOf('=')], Value: l[(l.IndexOf('=') + 1)..]))
            .ToList();
        Assert.Equal(secrets.Count, secrets.Select(s => s.Value).Distinct().Count()); // else a leak could not be told apart
        var own = new Dictionary<string, string[]>
        {
            ["minio"] = ["MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "MINIO_KMS_SECRET_KEY"],
            ["postgres"] = ["POSTGRES_PASSWORD"],
            ["qdrant"] = ["QDRANT_API_KEY"],
            ["redis"] = ["REDIS_ADMIN_PASSWORD"],
        };
        foreach (var (store, mine) in own)
        {
            var service = Service(root, store);
            Assert.False(service.Children.ContainsKey("env_file"), $"{store} reads the whole secrets file");
            var values = service.Children.TryGetValue("environment", out var env)
                ? ((YamlMappingNode)env).Children.Values.Select(v => v.ToString()).ToHashSet(StringComparer.Ordinal)
                : [];
            foreach (var (name, value) in secrets.Where(s => !mine.Contains(s.Name)))
                Assert.False(values.Contains(value), $"{store} receives {name}");
        }
    }

    [GeneratedRegex(@"image:\s*qdrant/qdrant:v(?<major>\d+)\.(?<minor>\d+)\.\d+")]
    private static partial Regex QdrantImage();

    /// <summary>Qdrant.Client supports the server minor it was built for and the two before it (docs/qdrant.md).</summary>
    [Fact]
    public void TheQdrantImageIsInTheClientsSupportedRange()
    {
        var packages = XDocument.Load(Repository.PathOf("Directory.Packages.props"));
        var client = packages.Descendants("PackageVersion").Single(p => (string?)p.Attribute("Include") == "Qdrant.Client");
        var clientVersion = Version.Parse((string)client.Attribute("Version")!);
        var image = QdrantImage().Match(File.ReadAllText(ComposeFile));
        Assert.True(image.Success, "no qdrant/qdrant:vX.Y.Z image in deploy/docker-compose.yml");
        var (major, minor) = (int.Parse(image.Groups["major"].Value), int.Parse(image.Groups["minor"].Value));
        Assert.Equal(clientVersion.Major, major);
        Assert.InRange(minor, clientVersion.Minor - 2, clientVersion.Minor);
        Assert.Contains($"Qdrant {major}.{clientVersion.Minor - 2}", File.ReadAllText(Repository.PathOf("docs/qdrant.md")));
    }
}
