using System.Net;
using Google.Protobuf;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Grpc_ = global::Qdrant.Client.Grpc;

namespace RunbookHost.Tests.Stores.Qdrant.StandIn;

/// <summary>
/// In-process Qdrant gRPC stand-in: Kestrel on 127.0.0.1:0, HTTP/2 without TLS, serving the
/// `qdrant.Collections`, `qdrant.Points` and `qdrant.Qdrant` calls the library makes, with Qdrant-style
/// api-key / JWT RBAC. See README.md for what it does not emulate.
/// </summary>
public sealed class QdrantStandIn : IAsyncDisposable
{
    private readonly WebApplication _app;

    private QdrantStandIn(WebApplication app, string endpoint, string apiKey)
    {
        _app = app;
        Endpoint = endpoint;
        ApiKey = apiKey;
    }

    public string Endpoint { get; }
    public string ApiKey { get; }

    public static async Task<QdrantStandIn> StartAsync(string apiKey, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(new QdrantStandInService(apiKey, time ?? TimeProvider.System));
        builder.Services.AddSingleton<IServiceMethodProvider<QdrantStandInService>, StandInMethodProvider>();
        var app = builder.Build();
        app.MapGrpcService<QdrantStandInService>();
        await app.StartAsync().ConfigureAwait(false);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new QdrantStandIn(app, address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal), apiKey);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class StandInMethodProvider : IServiceMethodProvider<QdrantStandInService>
    {
        public void OnServiceMethodDiscovery(ServiceMethodProviderContext<QdrantStandInService> context)
        {
            Add(context, "qdrant.Qdrant", "HealthCheck", Grpc_.HealthCheckRequest.Parser, (s, r, c) => s.HealthCheck(r, c));
            Add(context, "qdrant.Collections", "CollectionExists", Grpc_.CollectionExistsRequest.Parser, (s, r, c) => s.CollectionExists(r, c));
            Add(context, "qdrant.Collections", "Get", Grpc_.GetCollectionInfoRequest.Parser, (s, r, c) => s.Get(r, c));
            Add(context, "qdrant.Collections", "List", Grpc_.ListCollectionsRequest.Parser, (s, r, c) => s.List(r, c));
            Add(context, "qdrant.Collections", "Create", Grpc_.CreateCollection.Parser, (s, r, c) => s.Create(r, c));
            Add(context, "qdrant.Collections", "Delete", Grpc_.DeleteCollection.Parser, (s, r, c) => s.Delete(r, c));
            Add(context, "qdrant.Points", "Upsert", Grpc_.UpsertPoints.Parser, (s, r, c) => s.Upsert(r, c));
            Add(context, "qdrant.Points", "Delete", Grpc_.DeletePoints.Parser, (s, r, c) => s.DeletePoints(r, c));
            Add(context, "qdrant.Points", "Query", Grpc_.QueryPoints.Parser, (s, r, c) => s.Query(r, c));
        }

        private static void Add<TReq, TRes>(ServiceMethodProviderContext<QdrantStandInService> context, string service, string name,
            MessageParser<TReq> parser, Func<QdrantStandInService, TReq, ServerCallContext, TRes> handler)
            where TReq : class, IMessage<TReq>
            where TRes : class, IMessage<TRes>
        {
            var method = new Method<TReq, TRes>(MethodType.Unary, service, name,
                Marshallers.Create<TReq>(m => m.ToByteArray(), parser.ParseFrom),
                Marshallers.Create<TRes>(m => m.ToByteArray(), _ => throw new NotSupportedException("the stand-in never parses responses")));
            context.AddUnaryMethod(method, [], (s, r, c) => Task.FromResult(handler(s, r, c)));
        }
    }
}
