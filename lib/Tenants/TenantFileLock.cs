using RunbookHost.IO;

namespace RunbookHost.Tenants;

/// <summary>
/// Serializes runs for one tenant on one machine: an exclusive lock (flock) on
/// <c>&lt;secrets&gt;/locks/&lt;tenant&gt;.lock</c>, released when disposed or when the process dies.
/// Across machines the registry's PostgreSQL advisory lock does the same job.
/// </summary>
public sealed class TenantFileLock : IDisposable
{
    private readonly FileStream stream;

    private TenantFileLock(FileStream stream) => this.stream = stream;

    public static TenantFileLock Acquire(string secretsRoot, TenantId tenant, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        var folder = Path.Combine(secretsRoot, "locks");
        AtomicFile.CreatePrivateFolder(secretsRoot);
        AtomicFile.CreatePrivateFolder(folder);
        var path = Path.Combine(folder, tenant.Value + ".lock");
        var waitStarted = TimeProvider.System.GetTimestamp(); // monotonic: a wall-clock jump cannot shorten or stretch the wait
        while (true)
        {
            try
            {
                // FileShare.None takes an exclusive flock on Unix; the kernel drops it if the process dies.
                return new TenantFileLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (TimeProvider.System.GetElapsedTime(waitStarted) < timeout)
            {
                cancellationToken.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(100));
                cancellationToken.ThrowIfCancellationRequested();
            }
            catch (IOException)
            {
                throw new TenantBusyException($"another run holds tenant {tenant}; try again when it finishes");
            }
        }
    }

    public void Dispose() => stream.Dispose();
}

public sealed class TenantBusyException(string message) : Exception(message);
