namespace RunbookHost.Report;

/// <summary>Interns the strings the page repeats (step names, check names, results) so each is embedded once.</summary>
internal sealed class StringTable
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal) { [""] = 0 };

    public List<string> Strings { get; } = [""];

    public int this[string? value]
    {
        get
        {
            if (string.IsNullOrEmpty(value))
                return 0;
            if (!_index.TryGetValue(value, out var i))
            {
                i = Strings.Count;
                _index[value] = i;
                Strings.Add(value);
            }
            return i;
        }
    }
}
