using Grpc.Core;
using Qdrant.Client.Grpc;

namespace RunbookHost.Tests.Stores.Qdrant.StandIn;

/// <summary>In-memory collections and points behind the stand-in's hand-bound gRPC methods.</summary>
public sealed class QdrantStandInService
{
    private sealed class Collection(VectorParams vectors)
    {
        public VectorParams Vectors { get; } = vectors;
        public Dictionary<PointId, PointStruct> Points { get; } = [];
    }

    private readonly Lock _lock = new();
    private readonly Dictionary<string, Collection> _collections = new(StringComparer.Ordinal);
    private readonly StandInAuth _auth;

    internal QdrantStandInService(string apiKey, TimeProvider time) =>
        _auth = new StandInAuth(apiKey, time, ValueExists);

    internal HealthCheckReply HealthCheck(HealthCheckRequest request, ServerCallContext context) =>
        new() { Title = "qdrant stand-in", Version = "1.20.0-standin" };

    internal CollectionExistsResponse CollectionExists(CollectionExistsRequest request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireCollection(request.CollectionName, write: false);
        lock (_lock)
            return new CollectionExistsResponse { Result = new global::Qdrant.Client.Grpc.CollectionExists { Exists = _collections.ContainsKey(request.CollectionName) } };
    }

    internal GetCollectionInfoResponse Get(GetCollectionInfoRequest request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireCollection(request.CollectionName, write: false);
        lock (_lock)
        {
            var c = Find(request.CollectionName);
            return new GetCollectionInfoResponse
            {
                Result = new CollectionInfo
                {
                    Status = CollectionStatus.Green,
                    PointsCount = (ulong)c.Points.Count,
                    Config = new CollectionConfig { Params = new CollectionParams { VectorsConfig = new VectorsConfig { Params = c.Vectors.Clone() } } },
                },
            };
        }
    }

    internal ListCollectionsResponse List(ListCollectionsRequest request, ServerCallContext context)
    {
        var access = _auth.Authenticate(context);
        var response = new ListCollectionsResponse();
        lock (_lock)
            response.Collections.AddRange(_collections.Keys.Where(access.CanSee).Order(StringComparer.Ordinal).Select(n => new CollectionDescription { Name = n }));
        return response;
    }

    internal CollectionOperationResponse Create(CreateCollection request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireManage();
        if (request.VectorsConfig?.ConfigCase != VectorsConfig.ConfigOneofCase.Params || request.VectorsConfig.Params.Size == 0)
            throw new RpcException(new Status(StatusCode.InvalidArgument, "stand-in: only a single unnamed dense vector config is supported"));
        lock (_lock)
        {
            if (_collections.ContainsKey(request.CollectionName))
                throw new RpcException(new Status(StatusCode.AlreadyExists, $"Wrong input: Collection `{request.CollectionName}` already exists!"));
            _collections[request.CollectionName] = new Collection(request.VectorsConfig.Params.Clone());
        }
        return new CollectionOperationResponse { Result = true };
    }

    internal CollectionOperationResponse Delete(DeleteCollection request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireManage();
        lock (_lock)
            return new CollectionOperationResponse { Result = _collections.Remove(request.CollectionName) };
    }

    internal PointsOperationResponse Upsert(UpsertPoints request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireCollection(request.CollectionName, write: true);
        lock (_lock)
        {
            var c = Find(request.CollectionName);
            foreach (var p in request.Points)
            {
                var v = Dense(p.Vectors?.Vector);
                if (v.Length != (int)c.Vectors.Size)
                    throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {c.Vectors.Size}, got {v.Length}"));
            }
            foreach (var p in request.Points)
                c.Points[p.Id] = p.Clone();
        }
        return Completed();
    }

    internal PointsOperationResponse DeletePoints(DeletePoints request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireCollection(request.CollectionName, write: true);
        lock (_lock)
        {
            var c = Find(request.CollectionName);
            var selector = request.Points;
            var doomed = selector.PointsSelectorOneOfCase switch
            {
                PointsSelector.PointsSelectorOneOfOneofCase.Points => selector.Points.Ids.ToList(),
                PointsSelector.PointsSelectorOneOfOneofCase.Filter => c.Points.Values.Where(p => Matches(p, selector.Filter)).Select(p => p.Id).ToList(),
                _ => throw new RpcException(new Status(StatusCode.InvalidArgument, "stand-in: empty points selector")),
            };
            foreach (var id in doomed)
                c.Points.Remove(id);
        }
        return Completed();
    }

    internal QueryResponse Query(QueryPoints request, ServerCallContext context)
    {
        _auth.Authenticate(context).RequireCollection(request.CollectionName, write: false);
        if (request.Query?.Nearest?.Dense is not { } dense)
            throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: only nearest-dense-vector queries are supported"));
        var q = dense.Data.ToArray();
        var response = new QueryResponse();
        lock (_lock)
        {
            var c = Find(request.CollectionName);
            if (q.Length != (int)c.Vectors.Size)
                throw new RpcException(new Status(StatusCode.InvalidArgument, $"Wrong input: Vector dimension error: expected dim: {c.Vectors.Size}, got {q.Length}"));
            var limit = request.HasLimit ? (int)request.Limit : 10;
            response.Result.AddRange(c.Points.Values
                .Where(p => request.Filter is null || Matches(p, request.Filter))
                .Select(p => new ScoredPoint { Id = p.Id, Score = Score(c.Vectors.Distance, q, Dense(p.Vectors.Vector)), Version = 0 })
                .OrderByDescending(p => p.Score)
                .Take(limit));
        }
        return response;
    }

    /// <summary>null = collection absent; otherwise whether a point matches every key/value (keyword match).</summary>
    private bool? ValueExists(string collection, IReadOnlyList<(string Key, string Value)> matches)
    {
        lock (_lock)
        {
            if (!_collections.TryGetValue(collection, out var c))
                return null;
            return c.Points.Values.Any(p => matches.All(m => p.Payload.TryGetValue(m.Key, out var v) && v.KindCase == Value.KindOneofCase.StringValue && v.StringValue == m.Value));
        }
    }

    private Collection Find(string name) =>
        _collections.TryGetValue(name, out var c)
            ? c
            : throw new RpcException(new Status(StatusCode.NotFound, $"Not found: Collection `{name}` doesn't exist!"));

    private static PointsOperationResponse Completed() =>
        new() { Result = new UpdateResult { Status = UpdateStatus.Completed } };

    // Older clients send the deprecated `Vector.data`; newer ones `Vector.dense`.
#pragma warning disable CS0612
    private static float[] Dense(Vector? v) =>
        v is null ? [] : v.Dense is { } d ? d.Data.ToArray() : v.Data.ToArray();
#pragma warning restore CS0612

    /// <summary>Supports `must` with keyword matches only; anything else is refused rather than guessed.</summary>
    private static bool Matches(PointStruct p, Filter filter)
    {
        if (filter.Should.Count > 0 || filter.MustNot.Count > 0)
            throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: only `must` filters are supported"));
        foreach (var condition in filter.Must)
        {
            if (condition.Field is not { Match.MatchValueCase: Match.MatchValueOneofCase.Keyword } f)
                throw new RpcException(new Status(StatusCode.Unimplemented, "stand-in: only keyword match conditions are supported"));
            if (!p.Payload.TryGetValue(f.Key, out var v) || v.KindCase != Value.KindOneofCase.StringValue || v.StringValue != f.Match.Keyword)
                return false;
        }
        return true;
    }

    private static float Score(Distance distance, float[] a, float[] b)
    {
        float dot = 0, na = 0, nb = 0, l2 = 0, l1 = 0;
        for (var i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
            l2 += (a[i] - b[i]) * (a[i] - b[i]);
            l1 += MathF.Abs(a[i] - b[i]);
        }
        return distance switch
        {
            Distance.Cosine => na == 0 || nb == 0 ? 0 : dot / MathF.Sqrt(na * nb),
            Distance.Euclid => -MathF.Sqrt(l2),
            Distance.Manhattan => -l1,
            _ => dot,
        };
    }
}
