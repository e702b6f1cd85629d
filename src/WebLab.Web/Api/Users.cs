namespace WebLab.Web.Api;

/// <summary>
/// Who is asking. The lab is a shared space for a group that trusts itself (a research group, a classroom, a
/// hackathon); people name themselves with the X-WebLab-User header (the pages set it from a cookie). It orders
/// the queue fairly and says whose job is whose; it is not authentication.
/// </summary>
internal static class Users
{
    public const string Header = "X-WebLab-User";
    public const string Anonymous = "anonymous";

    public static string Of(HttpContext context)
    {
        var name = context.Request.Headers[Header].ToString().Trim();
        if (name.Length == 0)
            name = context.Request.Cookies["weblab-user"]?.Trim() ?? "";
        if (name.Length is 0 or > 64 || !name.All(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or ' '))
            return Anonymous;
        return name;
    }
}
