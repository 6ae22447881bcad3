using RunbookHost.IO;
using RunbookHost.Runbooks;

namespace RunbookHost.Cli.Commands;

/// <summary>
/// `--param-file FILE`: parameters as KEY=VALUE lines, so a secret never has to be in argv (where /proc/PID/cmdline shows
/// it to every user). The file must be private to the user running the host (owner, mode 0600 or stricter, not a
/// symbolic link); `--param-file=-` reads standard input (written with `=`: the command-line parser takes a
/// lone `-` for an option).
/// </summary>
internal static class ParamFileOption
{
    private const int MaxBytes = 64 * 1024;

    /// <summary>The `--param` values, then those of the file; a key given in both is refused as given twice.</summary>
    public static IReadOnlyList<string> Merge(IReadOnlyList<string> given, string? paramFile, Func<Stream> standardInput)
    {
        if (paramFile is null)
            return given;
        var source = paramFile == "-" ? "--param-file - (standard input)" : $"--param-file {paramFile}";
        var content = paramFile == "-"
            ? NativeFile.ReadAtMost(standardInput(), MaxBytes, source)
            : PrivateFile.ReadIfExists(paramFile, "parameter file", MaxBytes) ?? throw new UsageException($"parameter file not found: {paramFile}");
        try
        {
            return [.. given, .. RunbookArguments.ParseParamFile(content, source)];
        }
        catch (RunbookArgumentException error)
        {
            throw new UsageException(error.Message);
        }
    }
}
