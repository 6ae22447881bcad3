using System.Globalization;
using System.Text;

namespace RunbookHost.Keys.Sops;

/// <summary>Kinds of leaf values, matching sops' <c>type:</c> names.</summary>
internal enum ScalarKind
{
    Str,
    Int,
    Float,
    Bool,
    Null,
    Time,
}

internal abstract class SNode
{
    public abstract SNode Clone();
}

internal sealed class SComment(string text) : SNode
{
    /// <summary>The comment text after the leading <c>#</c> (or <c>;</c> for INI).</summary>
    public string Text { get; set; } = text;
    public override SNode Clone() => new SComment(Text);
}

internal sealed class SScalar : SNode
{
    public ScalarKind Kind { get; }
    /// <summary>Canonical text: str/time value, int decimal, float shortest, bool True/False.</summary>
    public string Text { get; }
    public double FloatValue { get; }
    public bool BoolValue { get; }

    /// <summary>Exact bytes of a string decrypted from a file (binary data need not be UTF-8).</summary>
    public byte[]? Raw { get; private init; }

    private SScalar(ScalarKind kind, string text, double f = 0, bool b = false)
    {
        Kind = kind;
        Text = text;
        FloatValue = f;
        BoolValue = b;
    }

    public static readonly SScalar Null = new(ScalarKind.Null, "");
    public static SScalar Str(string s) => new(ScalarKind.Str, s);
    public static SScalar StrRaw(byte[] raw) => new(ScalarKind.Str, Encoding.UTF8.GetString(raw)) { Raw = raw };
    public static SScalar Time(string rfc3339Nano) => new(ScalarKind.Time, rfc3339Nano);
    public static SScalar Int(long v) => new(ScalarKind.Int, v.ToString(CultureInfo.InvariantCulture));
    public static SScalar Float(double v) => new(ScalarKind.Float, SopsNumbers.FormatFloatF(v), v);
    public static SScalar Bool(bool v) => new(ScalarKind.Bool, v ? "True" : "False", 0, v);

    public override SNode Clone() => this; // immutable

    /// <summary>The bytes sops hashes into the MAC and encrypts (sops ToBytes).</summary>
    public byte[] ToBytes() => Raw is not null ? (byte[])Raw.Clone() : Encoding.UTF8.GetBytes(Text);

    public string TypeName => Kind switch
    {
        ScalarKind.Str => "str",
        ScalarKind.Int => "int",
        ScalarKind.Float => "float",
        ScalarKind.Bool => "bool",
        ScalarKind.Time => "time",
        _ => throw new InvalidOperationException("null has no sops type"),
    };
}

internal sealed class MapItem(string? key, SNode value)
{
    /// <summary>Null for a comment item (then <see cref="Value"/> is an <see cref="SComment"/>).</summary>
    public string? Key { get; } = key;
    public SNode Value { get; set; } = value;
}

internal sealed class SMap : SNode
{
    public List<MapItem> Items { get; } = [];

    public SNode? Get(string key)
    {
        foreach (var item in Items)
            if (item.Key == key)
                return item.Value;
        return null;
    }

    public void Add(string key, SNode value) => Items.Add(new MapItem(key, value));
    public void AddComment(string text) => Items.Add(new MapItem(null, new SComment(text)));

    public override SNode Clone()
    {
        var m = new SMap();
        foreach (var item in Items)
            m.Items.Add(new MapItem(item.Key, item.Value.Clone()));
        return m;
    }
}

internal sealed class SList : SNode
{
    public List<SNode> Items { get; } = [];

    public override SNode Clone()
    {
        var l = new SList();
        foreach (var item in Items)
            l.Items.Add(item.Clone());
        return l;
    }
}

internal static class SopsNumbers
{
    /// <summary>Go <c>strconv.FormatFloat(v, 'f', -1, 64)</c>: shortest round-trip digits, never an exponent.</summary>
    public static string FormatFloatF(double v)
    {
        if (double.IsNaN(v)) return "NaN";
        if (double.IsPositiveInfinity(v)) return "+Inf";
        if (double.IsNegativeInfinity(v)) return "-Inf";
        var r = v.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOfAny(['E', 'e']);
        if (e < 0) return r;
        var exp = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        var mantissa = r[..e];
        var negative = mantissa.StartsWith('-');
        if (negative) mantissa = mantissa[1..];
        var dot = mantissa.IndexOf('.');
        var digits = dot < 0 ? mantissa : mantissa.Remove(dot, 1);
        var pointPos = (dot < 0 ? mantissa.Length : dot) + exp;
        string result;
        if (pointPos <= 0)
            result = "0." + new string('0', -pointPos) + digits;
        else if (pointPos >= digits.Length)
            result = digits + new string('0', pointPos - digits.Length);
        else
            result = digits[..pointPos] + "." + digits[pointPos..];
        return negative ? "-" + result : result;
    }

    /// <summary>Go <c>strconv.ParseBool</c>.</summary>
    public static bool ParseGoBool(string s) => s switch
    {
        "1" or "t" or "T" or "TRUE" or "true" or "True" => true,
        "0" or "f" or "F" or "FALSE" or "false" or "False" => false,
        _ => throw new SopsException("invalid bool value in encrypted data"),
    };
}
