using Docker.DotNet;
using Docker.DotNet.Models;
using Version = System.Version;

namespace RunbookHost.Network.Docker;

/// <summary>
/// One Docker Engine API client per process, connected on first use with the API version negotiated the way the
/// docker CLI does it: ask the unversioned /version, then speak the engine's own version (Debian 12's 20.10 speaks 1.41),
/// never one it does not know. Engines older than 1.41 are refused: the provider relies on what 1.41 returns.
/// </summary>
public sealed class DockerEngine(string endpoint) : IDisposable
{
    public static readonly Version MinimumApi = new(1, 41);

    private readonly SemaphoreSlim gate = new(1, 1);
    private DockerClient? client;

    public string Endpoint { get; } = endpoint;

    /// <summary>True when the engine listens on a local unix socket: its bridges are this host's interfaces.</summary>
    public bool IsLocal => Endpoint.StartsWith("unix://", StringComparison.Ordinal);

    /// <summary>The negotiated API version (null before the first call).</summary>
    public Version? ApiVersion { get; private set; }

    public async Task<DockerClient> ClientAsync(CancellationToken ct)
    {
        if (client is not null)
            return client;
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (client is not null)
                return client;
            VersionResponse version;
            using (var probe = new DockerClientBuilder().WithEndpoint(new Uri(Endpoint)).Build())
            {
                try
                {
                    version = await probe.System.GetVersionAsync(ct).ConfigureAwait(false);
                }
                catch (Exception error) when (error is HttpRequestException or System.Net.Sockets.SocketException or IOException or TimeoutException or DockerApiException)
                {
                    throw new DockerEngineUnavailableException($"the Docker engine at {Endpoint} does not answer ({error.Message}); start dockerd (scripts/local-services.sh does)");
                }
            }
            if (!Version.TryParse(version.APIVersion, out var api) || api < MinimumApi)
                throw new DockerEngineUnavailableException($"the Docker engine at {Endpoint} speaks API {version.APIVersion}; runbook-host needs {MinimumApi} or newer (Docker 20.10+)");
            ApiVersion = api;
            client = new DockerClientBuilder().WithEndpoint(new Uri(Endpoint)).WithApiVersion(api).Build();
            return client;
        }
        finally
        {
            gate.Release();
        }
    }

    public void Dispose()
    {
        client?.Dispose();
        gate.Dispose();
    }

    /// <summary>A label filter for list calls: <c>label=key=value</c>.</summary>
    public static IDictionary<string, IDictionary<string, bool>> LabelFilter(string selector) =>
        new Dictionary<string, IDictionary<string, bool>> { ["label"] = new Dictionary<string, bool> { [selector] = true } };
}

/// <summary>The engine cannot be reached or is too old: checks become incomplete, steps fail with this one line.</summary>
public sealed class DockerEngineUnavailableException(string message) : Exception(message);
