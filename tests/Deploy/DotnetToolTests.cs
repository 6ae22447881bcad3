using CliWrap;
using CliWrap.Buffered;
using RunbookHost.Cli;
using RunbookHost.Tests.Support;

namespace RunbookHost.Tests.Deploy;

/// <summary>
/// README's install path: `dotnet pack host`, then `dotnet tool install --add-source` from that folder, gives a
/// working `runbook-host` that says which version and commit it is. Packs the host the tests were built with.
/// </summary>
public sealed class DotnetToolTests : IDisposable
{
    private readonly string _scratch = Directory.CreateTempSubdirectory("rbh-tool-").FullName;

    public void Dispose() => Directory.Delete(_scratch, recursive: true);

    private Command Dotnet(params string[] arguments) =>
        CliWrap.Cli.Wrap("dotnet").WithArguments(arguments).WithWorkingDirectory(_scratch).WithValidation(CommandResultValidation.None)
            .WithEnvironmentVariables(e =>
            {
                // A package cache of its own: never an older runbook-host 0.1.0 cached by an earlier run.
                e.Set("NUGET_PACKAGES", Path.Combine(_scratch, "nuget-cache"));
                // The test host's MSBuild settings must not leak into the child build.
                foreach (var name in Environment.GetEnvironmentVariables().Keys.Cast<string>()
                             .Where(n => n.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase) || n.StartsWith("VSTEST", StringComparison.Ordinal)))
                    e.Set(name, null);
            });

    [Fact]
    public async Task APackedHostInstallsAsADotnetToolThatPrintsItsVersionAndCommitAndRuns()
    {
        var packages = Path.Combine(_scratch, "packages");
        var tools = Path.Combine(_scratch, "bin");
        // Only the local folder as a source: a package of the same name elsewhere can never be picked instead.
        var config = Path.Combine(_scratch, "nuget.config");
        File.WriteAllText(config, "<configuration><packageSources><clear /></packageSources></configuration>");
        var configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Name;

        var pack = await Dotnet("pack", Repository.PathOf("host"), "-c", configuration, "--no-build", "-o", packages).ExecuteBufferedAsync();
        Assert.True(pack.ExitCode == 0, pack.StandardOutput + pack.StandardError);
        Assert.True(File.Exists(Path.Combine(packages, $"runbook-host.{HostInfo.Version}.nupkg")), string.Join(", ", Directory.GetFiles(packages)));

        var install = await Dotnet("tool", "install", "runbook-host", "--tool-path", tools, "--add-source", packages,
            "--configfile", config, "--version", HostInfo.Version).ExecuteBufferedAsync();
        Assert.True(install.ExitCode == 0, install.StandardOutput + install.StandardError);

        var tool = Path.Combine(tools, "runbook-host");
        var version = await CliWrap.Cli.Wrap(tool).WithArguments("--version").WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(version.ExitCode == 0, version.StandardError);
        Assert.NotNull(HostInfo.Commit);
        Assert.Equal($"{HostInfo.Version} (commit {HostInfo.Commit})", version.StandardOutput.Trim());

        var list = await CliWrap.Cli.Wrap(tool).WithArguments(["list", "--runbooks", Repository.PathOf("runbooks")])
            .WithWorkingDirectory(_scratch).WithValidation(CommandResultValidation.None).ExecuteBufferedAsync();
        Assert.True(list.ExitCode == 0, list.StandardError);
        Assert.Contains("verify", list.StandardOutput);
    }

    [Fact]
    public async Task TheCommitIsTheCheckoutsHead()
    {
        var head = await CliWrap.Cli.Wrap("git").WithArguments(["-C", Repository.Root, "rev-parse", "HEAD"]).ExecuteBufferedAsync();
        Assert.Equal(head.StandardOutput.Trim(), HostInfo.Commit);
    }

    [Theory]
    [InlineData("0.1.0", null)]
    [InlineData("0.1.0+abc", null)]
    [InlineData("0.1.0+0123456789abcdef0123456789ABCDEF01234567", "0123456789abcdef0123456789abcdef01234567")]
    public void OnlyAFullCommitIsTakenFromTheVersion(string informational, string? commit) =>
        Assert.Equal(commit, HostInfo.CommitOf(informational));
}
