namespace RunbookHost.Network.Hetzner;

/// <summary>
/// Waits for actions the way hcloud-go's action waiter does: poll GET /actions/{id} with a backoff (the configured first
/// interval, doubled up to 10 s) until success or error; an error becomes <see cref="HetznerActionFailedException"/>
/// with the action's command, code and message; a run past Hetzner__ActionTimeoutSeconds fails the step.
/// </summary>
public sealed class HetznerActions(HetznerClient client, HetznerSettings settings, TimeProvider clock)
{
    public async Task WaitAsync(IEnumerable<HAction?> actions, CancellationToken ct)
    {
        foreach (var action in actions)
        {
            if (action is not null)
                await WaitAsync(action, ct).ConfigureAwait(false);
        }
    }

    public async Task WaitAsync(HAction action, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow().AddSeconds(settings.ActionTimeoutSeconds);
        var current = action;
        var interval = TimeSpan.FromMilliseconds(settings.PollIntervalMilliseconds);
        while (current.Status == "running")
        {
            if (clock.GetUtcNow() >= deadline)
                throw new HetznerActionFailedException(current.Command, "timeout", $"still running after {settings.ActionTimeoutSeconds} s (action {current.Id})");
            await Task.Delay(interval, clock, ct).ConfigureAwait(false);
            interval = TimeSpan.FromMilliseconds(Math.Min(10_000, interval.TotalMilliseconds * 2));
            current = (await client.GetAsync<HActionResponse>($"actions/{current.Id}", ct).ConfigureAwait(false)).Action;
        }
        if (current.Status != "success")
            throw new HetznerActionFailedException(current.Command, current.Error?.Code ?? current.Status, current.Error?.Message ?? $"action {current.Id} ended {current.Status}");
    }
}

/// <summary>An action ended in error (or ran too long): the step fails and earlier steps are rolled back.</summary>
public sealed class HetznerActionFailedException(string command, string code, string message)
    : Exception($"Hetzner action {command} failed: {code}: {message}")
{
    public string Command { get; } = command;
    public string Code { get; } = code;
}
