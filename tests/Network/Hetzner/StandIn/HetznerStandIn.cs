using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace RunbookHost.Tests.Network.Hetzner.StandIn;

/// <summary>
/// In-process Hetzner Cloud API stand-in (tests only): Kestrel on 127.0.0.1:0 speaking the part of the public API the
/// hetzner provider uses, as strictly as the reference describes it. Bearer token, rate limit with RateLimit-* headers and
/// 429, paging, label selectors, uniqueness, rule validation, actions that run for a number of polls, and fault
/// injection (a refused request, a failed action, a server that ignores ACPI shutdown). See README.md.
/// </summary>
public sealed partial class HetznerStandIn : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly StandInState state = new();
    private readonly object gate = new();
    private readonly List<(string Method, string Prefix, HttpStatusCode Status, string Code)> refusals = [];
    private readonly Dictionary<string, (string Code, string Message)> actionFailures = new(StringComparer.Ordinal);
    private int remaining;
    private DateTimeOffset windowEnd;

    private HetznerStandIn(WebApplication app, string token)
    {
        this.app = app;
        Token = token;
    }

    public string Token { get; }
    public string Endpoint { get; private set; } = "";
    /// <summary>Requests allowed per window (RateLimit-Limit); 0 = no limit. Setting it starts a new window.</summary>
    public int RateLimit
    {
        get => rateLimit;
        set
        {
            lock (gate)
            {
                rateLimit = value;
                windowEnd = DateTimeOffset.MinValue;
            }
        }
    }

    private int rateLimit;
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromSeconds(1);
    /// <summary>GET /actions/{id} calls an action stays "running" for.</summary>
    public int ActionPolls { get; set; } = 1;
    public int MaxPerPage { get; set; } = 50;
    /// <summary>Servers stay running after an ACPI shutdown (a hung guest): only poweroff stops them.</summary>
    public bool IgnoreAcpi { get; set; }
    public int TooManyRequests;
    public readonly List<string> Requests = [];

    public static async Task<HetznerStandIn> StartAsync(string token = "test-token-not-secret")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var standIn = new HetznerStandIn(app, token);
        app.Run(standIn.HandleAsync);
        await app.StartAsync();
        standIn.Endpoint = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/v1";
        return standIn;
    }

    /// <summary>The next request whose method and path start so is answered with this error (once).</summary>
    public void Refuse(string method, string pathPrefix, HttpStatusCode status, string code)
    {
        lock (gate)
            refusals.Add((method, pathPrefix, status, code));
    }

    /// <summary>The next action of this command ends in error.</summary>
    public void FailAction(string command, string code, string message)
    {
        lock (gate)
            actionFailures[command] = (code, message);
    }

    /// <summary>Every resource (network, firewall, volume, server) whose labels match <paramref name="selector"/>.</summary>
    public IReadOnlyList<string> Resources(string selector)
    {
        lock (gate)
            return state.All.Where(r => StandInState.Matches(r.Resource, selector)).Select(r => $"{r.Kind} {r.Resource["name"]}").ToList();
    }

    /// <summary>Direct access for tests that tamper (apply a foreign firewall, change rules) the way another operator could.</summary>
    public T With<T>(Func<StandInStateView, T> change)
    {
        lock (gate)
            return change(new StandInStateView(state));
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync();
        await app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var method = ctx.Request.Method;
        var path = ctx.Request.Path.Value ?? "";
        JsonNode? body = null;
        if (ctx.Request.ContentLength > 0 || ctx.Request.Headers.TransferEncoding.Count > 0)
        {
            try { body = await JsonNode.ParseAsync(ctx.Request.Body); }
            catch (JsonException) { await Write(ctx, Error(HttpStatusCode.BadRequest, "json_error", "invalid JSON")); return; }
        }
        (HttpStatusCode Status, JsonObject Body) result;
        lock (gate)
        {
            Requests.Add($"{method} {path}{ctx.Request.QueryString}");
            result = Admit(ctx, method, path) ?? Route(method, path, ctx.Request.Query, body);
        }
        await Write(ctx, result);
    }

    private (HttpStatusCode, JsonObject)? Admit(HttpContext ctx, string method, string path)
    {
        var now = DateTimeOffset.UtcNow;
        if (now >= windowEnd)
        {
            windowEnd = now + RateWindow;
            remaining = RateLimit;
        }
        if (RateLimit > 0)
        {
            ctx.Response.Headers["RateLimit-Limit"] = RateLimit.ToString(CultureInfo.InvariantCulture);
            ctx.Response.Headers["RateLimit-Reset"] = ((long)Math.Ceiling(windowEnd.ToUnixTimeMilliseconds() / 1000.0)).ToString(CultureInfo.InvariantCulture);
            if (remaining <= 0)
            {
                ctx.Response.Headers["RateLimit-Remaining"] = "0";
                TooManyRequests++;
                return Error(HttpStatusCode.TooManyRequests, "rate_limit_exceeded", "limit of requests per hour reached");
            }
            remaining--;
            ctx.Response.Headers["RateLimit-Remaining"] = remaining.ToString(CultureInfo.InvariantCulture);
        }
        if (ctx.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
            return Error(HttpStatusCode.Unauthorized, "unauthorized", "unable to authenticate");
        var refusal = refusals.FindIndex(r => r.Method == method && path.StartsWith("/v1/" + r.Prefix, StringComparison.Ordinal));
        if (refusal < 0)
            return null;
        var (_, _, status, code) = refusals[refusal];
        refusals.RemoveAt(refusal);
        return Error(status, code, "refused by the test");
    }

    private static async Task Write(HttpContext ctx, (HttpStatusCode Status, JsonObject Body) result)
    {
        ctx.Response.StatusCode = (int)result.Status;
        if (result.Status == HttpStatusCode.NoContent)
            return;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.WriteAsync(result.Body.ToJsonString());
    }

    internal static (HttpStatusCode, JsonObject) Error(HttpStatusCode status, string code, string message) =>
        (status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message, ["details"] = new JsonObject() } });
}

/// <summary>What a test may change behind the provider's back.</summary>
public sealed class StandInStateView
{
    private readonly StandInState state;

    internal StandInStateView(StandInState state) => this.state = state;

    public JsonObject ServerNamed(string name) => state.Servers.Values.Single(s => s["name"]!.GetValue<string>() == name);
    public JsonObject FirewallNamed(string name) => state.Firewalls.Values.Single(s => s["name"]!.GetValue<string>() == name);

    /// <summary>Creates a firewall outside runbook-host (no labels) with these rules and applies it to the server.</summary>
    public void ApplyForeignFirewall(string serverName, JsonArray rules)
    {
        var server = ServerNamed(serverName);
        var id = ++state.NextId;
        state.Firewalls[id] = new JsonObject { ["id"] = id, ["name"] = $"foreign-{id}", ["labels"] = new JsonObject(), ["rules"] = rules, ["applied_to"] = new JsonArray(Applied(server)) };
        server["public_net"]!["firewalls"]!.AsArray().Add(new JsonObject { ["id"] = id, ["status"] = "applied" });
    }

    internal static JsonObject Applied(JsonObject server) => new() { ["type"] = "server", ["server"] = new JsonObject { ["id"] = server["id"]!.GetValue<long>() } };
}
