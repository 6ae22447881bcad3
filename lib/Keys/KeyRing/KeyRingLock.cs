using RunbookHost.IO;
using RunbookHost.Tenants;

namespace RunbookHost.Keys.KeyRing;

/// <summary>
/// Held by every key-ring write for its whole duration: an exclusive flock on
/// <c>&lt;secrets&gt;/locks/&lt;tenant&gt;.keys.lock</c> (the kernel drops it if the process dies).
/// It is separate from the host's per-run <see cref="TenantFileLock"/>, which the same process already
/// holds; together they keep two rotations of one tenant from interleaving, whoever starts them.
/// </summary>
internal sealed class KeyRingLock : IDisposable
{
    private readonly ExclusiveLockFile file;

    private KeyRingLock(ExclusiveLockFile file) => this.file = file;

    public static KeyRingLock Acquire(TenantKeyFiles files, TimeSpan timeout)
    {
        var folder = Path.Combine(files.SecretsRoot, "locks");
        AtomicFile.CreatePrivateFolder(files.SecretsRoot);
        AtomicFile.CreatePrivateFolder(folder);
        var path = Path.Combine(folder, files.Tenant.Value + ".keys.lock");
        var file = ExclusiveLockFile.Acquire(path, "key ring lock file", timeout, TimeSpan.FromMilliseconds(50), TimeProvider.System)
            ?? throw new KeyRingException($"another process is changing the keys of tenant {files.Tenant}; try again when it finishes");
        return new KeyRingLock(file);
    }

    public void Dispose() => file.Dispose();
}
