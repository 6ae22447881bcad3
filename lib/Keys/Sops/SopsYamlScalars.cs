using System.Globalization;
using System.Text.RegularExpressions;

namespace RunbookHost.Keys.Sops;

/// <summary>Resolution of plain YAML scalars the way go-yaml v3 decodes them into sops' tree.</summary>
internal static partial class SopsYamlScalars
{
    [GeneratedRegex(@"^[-+]?(0|[1-9][0-9_]*)\z", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalInt();

    [GeneratedRegex(@"^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?\z", RegexOptions.CultureInvariant)]
    private static partial Regex FloatPattern();

    // go-yaml v3 timestamp layouts: 2006-1-2T15:4:5.999999999Z07:00 (T or t), 2006-1-2 15:4:5.999999999, 2006-1-2.
    [GeneratedRegex(@"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?(Z|[-+]\d{2}:\d{2}))|(?: (\d{1,2}):(\d{1,2}):(\d{1,2})(?:\.(\d+))?))?\z", RegexOptions.CultureInvariant)]
    private static partial Regex TimestampPattern();

    public static SScalar ResolvePlain(string s)
    {
        switch (s)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return SScalar.Null;
            case "true" or "True" or "TRUE":
                return SScalar.Bool(true);
            case "false" or "False" or "FALSE":
                return SScalar.Bool(false);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return SScalar.Float(double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF":
                return SScalar.Float(double.NegativeInfinity);
            case ".nan" or ".NaN" or ".NAN":
                return SScalar.Float(double.NaN);
        }
        var c = s[0];
        if (!(char.IsAsciiDigit(c) || c is '-' or '+' or '.'))
            return SScalar.Str(s);
        if (DecimalInt().IsMatch(s) && long.TryParse(s.Replace("_", ""), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
            return SScalar.Int(l);
        if (TryParsePrefixedInt(s, out l))
            return SScalar.Int(l);
        if (FloatPattern().IsMatch(s) && double.TryParse(s.Replace("_", ""), NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
            return SScalar.Float(d);
        if (TryParseTimestamp(s, out var t))
            return SScalar.Time(t);
        return SScalar.Str(s);
    }

    private static bool TryParsePrefixedInt(string s, out long value)
    {
        value = 0;
        var neg = s.StartsWith('-');
        var body = s.TrimStart('-', '+').Replace("_", "");
        if (body.Length < 2 || body[0] != '0') return false;
        // Go strconv.ParseInt(s, 0, 64): 0x/0o/0b prefixes and a leading 0 for octal.
        int radix = char.ToLowerInvariant(body[1]) switch { 'x' => 16, 'o' => 8, 'b' => 2, _ => 0 };
        var digits = radix == 0 ? body[1..] : body[2..];
        if (radix == 0)
        {
            if (!digits.All(ch => ch is >= '0' and <= '7')) return false;
            radix = 8;
        }
        if (digits.Length == 0 || !digits.All(Uri.IsHexDigit)) return false;
        try
        {
            value = Convert.ToInt64(digits, radix);
            if (neg) value = -value;
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>YAML timestamp → Go RFC3339Nano text (what sops hashes and encrypts for type <c>time</c>).</summary>
    public static bool TryParseTimestamp(string s, out string rfc3339Nano)
    {
        rfc3339Nano = "";
        var m = TimestampPattern().Match(s);
        if (!m.Success) return false;
        try
        {
            int Y = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            int M = int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
            int D = int.Parse(m.Groups[3].Value, CultureInfo.InvariantCulture);
            int h = 0, mi = 0, se = 0;
            string frac = "";
            var offset = TimeSpan.Zero;
            var g = m.Groups[4].Success ? 4 : m.Groups[9].Success ? 9 : 0;
            if (g != 0)
            {
                h = int.Parse(m.Groups[g].Value, CultureInfo.InvariantCulture);
                mi = int.Parse(m.Groups[g + 1].Value, CultureInfo.InvariantCulture);
                se = int.Parse(m.Groups[g + 2].Value, CultureInfo.InvariantCulture);
                frac = m.Groups[g + 3].Success ? m.Groups[g + 3].Value : "";
                if (g == 4 && m.Groups[8].Value != "Z")
                {
                    var z = m.Groups[8].Value;
                    var sign = z[0] == '-' ? -1 : 1;
                    offset = new TimeSpan(sign * int.Parse(z[1..3], CultureInfo.InvariantCulture), sign * int.Parse(z[4..6], CultureInfo.InvariantCulture), 0);
                }
            }
            _ = new DateTimeOffset(Y, M, D, h, mi, se, offset); // validates
            frac = frac.Length > 9 ? frac[..9] : frac;
            frac = frac.TrimEnd('0');
            var zone = offset == TimeSpan.Zero ? "Z" : (offset < TimeSpan.Zero ? "-" : "+") + offset.Duration().ToString("hh\\:mm", CultureInfo.InvariantCulture);
            rfc3339Nano = string.Create(CultureInfo.InvariantCulture, $"{Y:D4}-{M:D2}-{D:D2}T{h:D2}:{mi:D2}:{se:D2}{(frac.Length > 0 ? "." + frac : "")}{zone}");
            return true;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>True when <paramref name="s"/> can be written as a plain scalar and reads back as the same string.</summary>
    public static bool IsPlainSafe(string s)
    {
        if (s.Length == 0) return false;
        if (char.IsWhiteSpace(s[0]) || char.IsWhiteSpace(s[^1])) return false;
        if ("-?:,[]{}#&*!|>'\"%@`".Contains(s[0])) return false;
        if (s.StartsWith("---", StringComparison.Ordinal) || s.StartsWith("...", StringComparison.Ordinal)) return false;
        if (s.Contains(": ", StringComparison.Ordinal) || s.Contains(" #", StringComparison.Ordinal) || s.EndsWith(':')) return false;
        // Legal in plain scalars, but some parsers (YamlDotNet in keys) take them for alias/anchor/tag starts.
        if (s.Contains(" *", StringComparison.Ordinal) || s.Contains(" &", StringComparison.Ordinal) || s.Contains(" !", StringComparison.Ordinal)) return false;
        foreach (var ch in s)
        {
            if (ch < 0x20 || ch == 0x7F || ch is '\u0085' or '\u2028' or '\u2029' or '\uFEFF' || char.IsSurrogate(ch) || (ch >= 0x80 && ch <= 0x9F))
                return false;
        }
        if (ResolvePlain(s).Kind != ScalarKind.Str) return false;
        // YAML 1.1 sexagesimal numbers (12:30:00) and similar: quote for readers other than go-yaml v3.
        if ((char.IsAsciiDigit(s[0]) || s[0] is '+' or '-' or '.') && s.Contains(':')) return false;
        // YAML 1.1 booleans: keep them quoted so other readers do not turn them into bools.
        return s.ToLowerInvariant() is not ("y" or "n" or "yes" or "no" or "on" or "off" or "<<" or "=");
    }
}
