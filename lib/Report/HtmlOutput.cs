using System.Text.Encodings.Web;

namespace RunbookHost.Report;

/// <summary>Markup is written only as literals from this code; every other string goes through <see cref="Text"/>.</summary>
internal sealed class HtmlOutput(TextWriter writer)
{
    public TextWriter Writer { get; } = writer;

    /// <summary>A literal piece of markup written by the report itself (never evidence content).</summary>
    public HtmlOutput Raw(string markup)
    {
        Writer.Write(markup);
        return this;
    }

    /// <summary>Text from anywhere, HTML-encoded (&lt; &gt; &amp; quotes and every non-ASCII character), safe in content and quoted attributes.</summary>
    public HtmlOutput Text(string? text)
    {
        if (!string.IsNullOrEmpty(text))
            HtmlEncoder.Default.Encode(Writer, text);
        return this;
    }

    public HtmlOutput Element(string tag, string? cssClass, string? text) =>
        Raw(cssClass is null ? $"<{tag}>" : $"<{tag} class=\"{cssClass}\">").Text(text).Raw($"</{tag}>");

    public HtmlOutput List(IEnumerable<string> items, int max, string more)
    {
        Raw("<ul>");
        var count = 0;
        foreach (var item in items)
        {
            if (count++ < max)
                Element("li", null, item);
        }
        if (count > max)
            Element("li", "muted", string.Format(System.Globalization.CultureInfo.InvariantCulture, more, count - max));
        return Raw("</ul>");
    }
}
