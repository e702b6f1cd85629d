using WebLab.Lab.Jobs;

namespace WebLab.Web.Components;

/// <summary>For buttons whose refusal the page already shows (a job that finished meanwhile, a name changed in another tab).</summary>
internal static class Refusals
{
    public static async Task IgnoreAsync(Func<Task> command)
    {
        try
        {
            await command();
        }
        catch (RefusedException)
        {
            // The live state on the page says what happened; nothing to add.
        }
    }
}
