using Microsoft.AspNetCore.Components;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;

namespace WebLab.Web.Components;

/// <summary>
/// A page that reloads itself from the database when the lab says something relevant happened. The subscription
/// ends with the page (circuit closed, navigation away).
/// </summary>
public abstract class LivePage : ComponentBase, IDisposable
{
    private readonly CancellationTokenSource _stop = new();

    [Inject] protected LabEvents Events { get; set; } = null!;

    [Inject] private TimeProvider Time { get; set; } = null!;

    /// <summary>What the visitor may read (other people's private things are left out).</summary>
    [Inject] protected LabReads Reads { get; set; } = null!;

    /// <summary>The visitor; the page re-renders when they change their name (ownership decides what it shows).</summary>
    [Inject] protected CurrentUser Current { get; set; } = null!;

    private bool _watchingUser;

    public override Task SetParametersAsync(ParameterView parameters)
    {
        if (!_watchingUser)
        {
            _watchingUser = true;
            Current.Changed += OnUserChanged;
        }
        return base.SetParametersAsync(parameters);
    }

    private void OnUserChanged() => _ = InvokeAsync(StateHasChanged);

    /// <summary>
    /// Calls <paramref name="reload"/> and re-renders for every message <paramref name="relevant"/> picks; progress
    /// events reload at most once per <paramref name="progressEvery"/> (default: 1 s).
    /// </summary>
    protected void Watch(Func<LabMessage, bool> relevant, Func<Task> reload, TimeSpan? progressEvery = null) =>
        _ = PumpAsync(relevant, reload, progressEvery ?? TimeSpan.FromSeconds(1));

    private async Task PumpAsync(Func<LabMessage, bool> relevant, Func<Task> reload, TimeSpan progressEvery)
    {
        long? lastProgress = null;
        try
        {
            await foreach (var message in Events.SubscribeAsync(_stop.Token))
            {
                if (!relevant(message))
                    continue;
                if (message is JobEventMessage)
                {
                    if (lastProgress is { } last && Time.GetElapsedTime(last) < progressEvery)
                        continue;
                    lastProgress = Time.GetTimestamp();
                }
                await InvokeAsync(async () =>
                {
                    await reload();
                    StateHasChanged();
                });
            }
        }
        catch (OperationCanceledException)
        {
            // the page is gone
        }
    }

    public void Dispose()
    {
        if (_watchingUser)
            Current.Changed -= OnUserChanged;
        _stop.Cancel();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }
}
