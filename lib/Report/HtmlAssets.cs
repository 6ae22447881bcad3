using System.Security.Cryptography;
using System.Text;

namespace RunbookHost.Report;

/// <summary>
/// The report's stylesheet and script, embedded in the assembly and inlined into every page, with the SHA-256 hashes
/// its Content-Security-Policy allows: nothing else may run or style the page, and nothing may be fetched.
/// </summary>
public static class HtmlAssets
{
    private static readonly string[] ScriptParts = ["report-core.js", "report-matrix.js", "report-timeline.js"];

    public static string Style { get; } = Load("report.css");

    /// <summary>The scripts in one function scope, so nothing leaks into the page's globals.</summary>
    public static string Script { get; } =
        "(function () {\n'use strict';\n" + string.Concat(ScriptParts.Select(Load)) + "})();\n";

    /// <summary>
    /// default-src 'none' blocks every fetch (scripts, styles, fonts, frames, connections, media); only the inline style
    /// and script with these exact hashes apply; images only from data: URLs; no base URL, no form target.
    /// </summary>
    public static string ContentSecurityPolicy { get; } =
        $"default-src 'none'; style-src '{Hash(Style)}'; script-src '{Hash(Script)}'; img-src data:; base-uri 'none'; form-action 'none'";

    public static string Hash(string inline) => "sha256-" + Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(inline)));

    private static string Load(string name)
    {
        using var stream = typeof(HtmlAssets).Assembly.GetManifestResourceStream($"RunbookHost.Report.Assets.{name}")
            ?? throw new InvalidOperationException($"report asset {name} is not embedded");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd().ReplaceLineEndings("\n");
    }
}
