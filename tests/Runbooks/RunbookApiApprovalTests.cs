using System.Reflection;
using PublicApiGenerator;
using RunbookHost.Runbooks;

namespace RunbookHost.Tests.Runbooks;

/// <summary>
/// The public surface runbooks see — the globals of both scopes and every library type reachable from them — pinned in
/// RunbookApi.approved.txt (Serilog's approval style). Runbooks are what auditors read and they are versioned against this
/// surface, so any change to it must arrive as a reviewed diff of that file: on a mismatch the test writes
/// RunbookApi.received.txt beside it; review it, then copy it over the approved file.
/// </summary>
public sealed class RunbookApiApprovalTests
{
    [Fact]
    public void TheRunbookApiIsTheApprovedOne()
    {
        var approvedPath = Path.Combine(StorageEnvironment.RepositoryRoot(), "tests", "Runbooks", "RunbookApi.approved.txt");
        var receivedPath = Path.ChangeExtension(approvedPath, null).Replace(".approved", ".received", StringComparison.Ordinal) + ".txt";
        var received = Normalize(ReachableTypes().ToArray().GeneratePublicApi(new ApiGeneratorOptions { IncludeAssemblyAttributes = false }));
        var approved = File.Exists(approvedPath) ? Normalize(File.ReadAllText(approvedPath)) : "";
        if (received != approved)
        {
            File.WriteAllText(receivedPath, received);
            Assert.Fail($"the runbook API changed: review {receivedPath} and copy it over {approvedPath} if the change is intended");
        }
        File.Delete(receivedPath);
    }

    [Fact]
    public void TheGlobalsStaySmall()
    {
        // Cake's script host exposes about 20 members; ours must stay in that range for each scope.
        static int Members(Type type) => type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static)
            .Count(m => m.DeclaringType != typeof(object) && m is not ConstructorInfo && !(m is MethodInfo { IsSpecialName: true }));
        Assert.InRange(Members(typeof(TenantRunbook)), 1, 24);
        Assert.InRange(Members(typeof(FleetRunbook)), 1, 24);
    }

    /// <summary>The globals, then every lib/ type a public member of an included type takes or returns, transitively.</summary>
    private static IReadOnlyList<Type> ReachableTypes()
    {
        var lib = typeof(Runbook).Assembly;
        var found = new List<Type>();
        var queue = new Queue<Type>([typeof(Runbook), typeof(TenantRunbook), typeof(FleetRunbook)]);
        while (queue.Count > 0)
        {
            var type = queue.Dequeue();
            if (type.Assembly != lib || !type.IsPublic && !type.IsNestedPublic || found.Contains(type))
                continue;
            found.Add(type);
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                foreach (var used in Used(member))
                    queue.Enqueue(used);
            }
            foreach (var inherited in type.GetInterfaces().Prepend(type.BaseType).OfType<Type>().SelectMany(Unwrap))
                queue.Enqueue(inherited);
        }
        return found.OrderBy(t => t.FullName, StringComparer.Ordinal).ToList();
    }

    private static IEnumerable<Type> Used(MemberInfo member) => (member switch
    {
        PropertyInfo p => [p.PropertyType],
        FieldInfo f => [f.FieldType],
        MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
        ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
        _ => Array.Empty<Type>(),
    }).SelectMany(Unwrap);

    private static IEnumerable<Type> Unwrap(Type type)
    {
        if (type.IsByRef || type.IsArray || type.IsPointer)
            return Unwrap(type.GetElementType()!);
        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Unwrap).Append(type.GetGenericTypeDefinition()) : [type];
    }

    private static string Normalize(string text) => text.ReplaceLineEndings("\n").Trim() + "\n";
}
