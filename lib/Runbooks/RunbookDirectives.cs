using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RunbookHost.Runbooks;

/// <summary>
/// Finds <c>#load</c> and <c>#r</c> without the compiler, and sees at least every one the compiler sees: a line is a
/// directive when its first character after any whitespace (every Unicode space, tab, vertical tab, form feed, BOM,
/// control and format character) is <c>#</c>, lines end wherever C# ends them (\r, \n, U+0085, U+2028, U+2029), and
/// whitespace may follow the <c>#</c> (<c>#  load</c>, <c>#\tload</c>), and the name is read as the compiler reads an
/// identifier (escapes decoded, format characters dropped). Lines inside comments or strings count too: seeing more
/// than the compiler only pins more files. Anything the compiler might read differently is refused: <c>#r</c> in any
/// spelling, a <c>#load</c> spelled with escapes or invisible characters, or one that is not exactly
/// <c>#load "path"</c> (an optional <c>//</c> comment after it) with no backslash in the path. The host checks the compiler's own
/// syntax tree against what this scan found before it compiles (host/Scripting/CompiledDirectives.cs).
/// </summary>
public static partial class RunbookDirectives
{
    public sealed record Load(int Line, int Column, string Target);

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The text the compiler gets: strict UTF-8 (so it cannot fall back to another encoding), without a leading BOM.</summary>
    public static string Decode(string displayPath, byte[] bytes)
    {
        var start = bytes.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0;
        try { return StrictUtf8.GetString(bytes, start, bytes.Length - start); }
        catch (DecoderFallbackException) { throw new RunbookDefinitionException($"{displayPath}: runbook sources must be UTF-8 (this file is not)"); }
    }

    /// <summary>Lines as C# counts them.</summary>
    public static string[] Lines(string text) => LineBreak().Split(text);

    /// <summary>Every <c>#load</c> in <paramref name="text"/>; throws <see cref="RunbookCompileException"/> for <c>#r</c> and for unusual directive forms.</summary>
    public static IReadOnlyList<Load> Scan(string displayPath, string text)
    {
        var loads = new List<Load>();
        var lines = Lines(text);
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index];
            var hash = SkipBlank(line, 0);
            if (hash >= line.Length || line[hash] != '#')
                continue;
            var where = $"{displayPath}({index + 1},{hash + 1})";
            var (name, nameEnd, disguised) = DirectiveName(line, SkipBlank(line, hash + 1));
            if (name == "r")
                throw new RunbookCompileException($"{where}: #r is not allowed: every dependency ships in lib/, built with the host");
            if (name != "load")
                continue;
            if (disguised)
                throw new RunbookCompileException($"{where}: #load must be written in plain ASCII, without escapes or invisible characters");
            var path = LoadArgument().Match(line, nameEnd);
            if (!path.Success)
                throw new RunbookCompileException($"{where}: #load must be written as #load \"relative/path.csx\" (no escapes or backslashes)");
            loads.Add(new Load(index + 1, hash + 1, path.Groups["path"].Value));
        }
        return loads;
    }

    /// <summary>
    /// The directive name as the compiler reads an identifier: letters, digits, connectors and combining marks, with
    /// \uXXXX / \UXXXXXXXX escapes decoded and format characters (such as U+200B) dropped. Disguised: it used either.
    /// </summary>
    private static (string Name, int End, bool Disguised) DirectiveName(string line, int index)
    {
        var name = new StringBuilder();
        var disguised = false;
        while (index < line.Length)
        {
            var c = line[index];
            var escape = c == '\\' ? Escape(line, index) : null;
            if (escape is { } decoded)
            {
                disguised = true;
                index += decoded.Length;
                c = decoded.Char;
            }
            else if (IsIdentifierPart(c))
                index++;
            else
                break;
            if (CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
                disguised = true;
            else
                name.Append(c);
        }
        return (name.ToString(), index, disguised);
    }

    private static (char Char, int Length)? Escape(string line, int index)
    {
        var digits = index + 1 < line.Length ? line[index + 1] switch { 'u' => 4, 'U' => 8, _ => 0 } : 0;
        if (digits == 0 || index + 2 + digits > line.Length
            || !int.TryParse(line.AsSpan(index + 2, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code)
            || code > 0xFFFF)
            return null; // a code point above U+FFFF is no ASCII letter either
        return ((char)code, 2 + digits);
    }

    private static bool IsIdentifierPart(char c) =>
        char.IsLetterOrDigit(c) || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.ConnectorPunctuation
            or UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark or UnicodeCategory.Format;

    private static int SkipBlank(string line, int index)
    {
        while (index < line.Length && IsBlank(line[index]))
            index++;
        return index;
    }

    /// <summary>More than the compiler's whitespace (it does not skip control or format characters): a superset is safe.</summary>
    private static bool IsBlank(char c) =>
        char.IsWhiteSpace(c) || char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format;

    [GeneratedRegex("\r\n|[\r\n\u0085\u2028\u2029]")]
    private static partial Regex LineBreak();

    [GeneratedRegex("""\G[\s\p{Cc}\p{Cf}]*"(?<path>[^"\\]*)"[\s\p{Cc}\p{Cf}]*(//.*)?\z""")]
    private static partial Regex LoadArgument();
}
