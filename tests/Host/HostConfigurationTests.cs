using RunbookHost.Cli;
using RunbookHost.IO;

namespace RunbookHost.Tests.Host;

/// <summary>The system configuration file (/etc/runbook-host/runbook-host.json in production) is read when --config is not given, and checked like any other.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostConfigurationTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("rbh-etc-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void TheSystemConfigurationFileIsReadWhenNoConfigIsGiven()
    {
        var file = Path.Combine(folder, "runbook-host.json");
        File.WriteAllText(file, """{"Keys": {"RotationDays": 17}}""");

        var settings = HostConfiguration.Load(null, file, TextWriter.Null);

        Assert.Equal(17, settings.Keys.RotationDays);
    }

    [Fact]
    public void ASystemConfigurationFileOthersMayWriteIsRefused()
    {
        var file = Path.Combine(folder, "runbook-host.json");
        File.WriteAllText(file, """{"Keys": {"RotationDays": 17}}""");
        File.SetUnixFileMode(file, (UnixFileMode)Convert.ToInt32("664", 8));

        var refused = Assert.Throws<UntrustedFileException>(() => HostConfiguration.Load(null, file, TextWriter.Null));

        Assert.Equal($"configuration file {file} is writable by its group: run chmod go-w {file}", refused.Message);
    }
}
