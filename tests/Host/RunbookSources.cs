namespace RunbookHost.Tests.Host;

/// <summary>Small runbooks that exercise the engine itself (the product runbooks have their own tests).</summary>
internal static class RunbookSources
{
    public const string Answer = """
        // @runbook  answer
        // @version  1.0.0
        // @summary  Returns a value built from its parameter
        // @param    greeting  default=hello  allowed=hello|hi  The word to return
        // @param    token  secret  A secret that must never reach the evidence
        await Step("1. greet", new RunbookOperation(new[] { $"greet {Tenant.Value}" }, _ => Task.CompletedTask));
        await Checks("2. check", CheckOperation.Fixed(new RunbookHost.Evidence.CheckRecord("engine", "returns_value", "PASS", default, true)));
        return new { greeting = Param("greeting"), tenant = Tenant.Value };
        """;

    public const string FailsAfterFirstStep = """
        // @runbook  fails
        // @version  1.0.0
        // @summary  Creates a marker, then fails, so the marker must be rolled back
        var marker = System.IO.Path.Combine(Environment.GetEnvironmentVariable("MARKER_DIR")!, "created-" + Tenant.Value);
        await Step("1. create marker", new RunbookOperation(
            new[] { "touch marker" },
            _ => { System.IO.File.WriteAllText(marker, "x"); return Task.CompletedTask; },
            _ => { System.IO.File.Delete(marker); return Task.CompletedTask; }));
        await Step("2. fail", new RunbookOperation(new[] { "fail" }, _ => throw new InvalidOperationException("the second step broke")));
        return null;
        """;

    public const string LoadsShared = """
        // @runbook  loads
        // @version  1.0.0
        // @summary  Uses a shared step file
        #load "shared/steps.csx"
        return Twice(21);
        """;

    public const string SharedSteps = """
        // @shared   steps
        // @version  1.0.0
        // @summary  Shared steps
        int Twice(int value) => value * 2;
        """;

    public const string SharedStepsWithError = """
        // @shared   steps
        // @version  1.0.0
        // @summary  Shared steps
        int Twice(int value) => value * undefinedName;
        """;

    /// <summary>Stands for attacker code: the moment it runs, it leaves a file in MARKER_DIR.</summary>
    public const string WritesMarker = """
        // @runbook  marker
        // @version  1.0.0
        // @summary  Leaves a marker file the moment it runs
        System.IO.File.WriteAllText(System.IO.Path.Combine(Environment.GetEnvironmentVariable("MARKER_DIR")!, "pwned"), Tenant.Value);
        return "marker ran";
        """;

    /// <summary>Proves a secret parameter arrived without returning it: the SHA-256 of its value.</summary>
    public const string SecretDigest = """
        // @runbook  digest
        // @version  1.0.0
        // @summary  Returns the SHA-256 of its secret parameter
        // @param    token  required  secret  The secret
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Param("token"))));
        """;
}
