using RunbookHost.IO;

namespace RunbookHost.Tenants;

/// <summary>
/// Serializes runs for one tenant on one machine: an exclusive lock (flock) on
/// <c>&lt;secrets&gt;/locks/&lt;tenant&gt;.lock</c>, released when disposed or when the process dies.
/// Across machines the registry's PostgreSQL advisory lock does the same job. A symbolic link planted at
/// the lock's path is refused (<see cref="UntrustedFileException"/>).
/// </summary>
public sealed class TenantFileLock : IDisposable
{
    private static readonly TimeSpan Retry = TimeSpan.FromMilliseconds(100);
    private readonly ExclusiveLockFile file;

    private TenantFileLock(ExclusiveLockFile file) => this.file = file;

    public static TenantFileLock Acquire(string secretsRoot, TenantId tenant, TimeSpan timeout, CancellationToken cancellationToken = default, TimeProvider? clock = null)
    {
        var folder = Path.Combine(secretsRoot, "locks");
        AtomicFile.CreatePrivateFolder(secretsRoot);
        AtomicFile.CreatePrivateFolder(folder);
        var path = Path.Combine(folder, tenant.Value + ".lock");
        var file = ExclusiveLockFile.Acquire(path, "tenant lock file", timeout, Retry, clock ?? TimeProvider.System, cancellationToken)
            ?? throw new TenantBusyException($"another run holds tenant {tenant}; try again when it finishes");
        return new TenantFileLock(file);
    }

    public void Dispose() => file.Dispose();
}

public sealed class TenantBusyException(string message) : Exception(message);
