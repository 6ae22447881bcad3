namespace RunbookHost.Runbooks;

/// <summary>Checks `--param key=value` pairs against a runbook's declarations, before compiling or touching anything.</summary>
public static class RunbookArguments
{
    public static IReadOnlyDictionary<string, string> Resolve(RunbookMetadata runbook, IEnumerable<string> rawParams)
    {
        var given = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var raw in rawParams)
        {
            var separator = raw.IndexOf('=');
            if (separator <= 0)
                throw new RunbookArgumentException("--param expects key=value");
            var key = raw[..separator];
            var declared = runbook.Parameters.FirstOrDefault(p => p.Name == key)
                ?? throw new RunbookArgumentException(RunbookMetadata.NamePattern().IsMatch(key)
                    ? $"runbook {runbook.Name} has no parameter '{key}' (declared: {Declared(runbook)})"
                    : $"runbook {runbook.Name} has no such parameter (declared: {Declared(runbook)})");
            if (!given.TryAdd(key, raw[(separator + 1)..]))
                throw new RunbookArgumentException($"--param {key} given twice");
        }
        var resolved = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var parameter in runbook.Parameters)
        {
            if (given.TryGetValue(parameter.Name, out var value))
            {
                var problem = parameter.Check(value);
                if (problem is not null)
                    throw new RunbookArgumentException(problem);
                resolved[parameter.Name] = value;
            }
            else if (parameter.Default is not null)
                resolved[parameter.Name] = parameter.Default;
            else if (parameter.Required)
                throw new RunbookArgumentException($"runbook {runbook.Name} requires --param {parameter.Name}=<value>");
        }
        return resolved;
    }

    /// <summary>
    /// <c>--param-file</c> content as <c>key=value</c> entries for <see cref="Resolve"/>: one per line, blank lines and
    /// lines starting with <c>#</c> skipped, line ends \n or \r\n. Errors name the line, never its content (it may be a secret).
    /// </summary>
    public static IReadOnlyList<string> ParseParamFile(byte[] content, string source)
    {
        var entries = new List<string>();
        var lines = System.Text.Encoding.UTF8.GetString(content).Split('\n');
        for (var index = 0; index < lines.Length; index++)
        {
            var line = lines[index].EndsWith('\r') ? lines[index][..^1] : lines[index];
            if (line.Length == 0 || line.StartsWith('#'))
                continue;
            if (line.IndexOf('=') <= 0)
                throw new RunbookArgumentException($"{source} line {index + 1}: expected key=value");
            entries.Add(line);
        }
        return entries;
    }

    /// <summary>The parameters as they may appear in logs and evidence: secret ones masked.</summary>
    public static IReadOnlyDictionary<string, string> ForEvidence(RunbookMetadata runbook, IReadOnlyDictionary<string, string> resolved) =>
        resolved.ToDictionary(
            pair => pair.Key,
            pair => runbook.Parameters.First(p => p.Name == pair.Key).IsSecret ? "***" : pair.Value,
            StringComparer.Ordinal);

    private static string Declared(RunbookMetadata runbook) =>
        runbook.Parameters.Count == 0 ? "none" : string.Join(", ", runbook.Parameters.Select(p => p.Name));
}

public sealed class RunbookArgumentException(string message) : Exception(message);
