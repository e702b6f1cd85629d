
namespace WebLab.Web.Api;

/// <summary>
/// Who is asking. The lab is a shared space for a group that trusts itself (a research group, a classroom, a
/// hackathon); people name themselves with the X-WebLab-User header (the pages set it from a cookie). It orders
/// the queue fairly and says whose job is whose; it is not authentication.
/// </summary>
internal static class Users
{
    public const string Header = "X-WebLab-User";
    public const string Cookie = "weblab-user";
    public const string Anonymous = "anonymous";

    public static string Of(HttpContext context)
    {
        var name = context.Request.Headers[Header].ToString();
        return Normalize(name.Trim().Length == 0 ? context.Request.Cookies[Cookie] : name);
    }

    /// <summary>A name as given (trimmed) when it is one the lab accepts: 1-64 letters, digits, spaces and <c>. _ - @</c>; otherwise anonymous.</summary>
    public static string Normalize(string? raw)
    {
        var name = raw?.Trim() ?? "";
        return IsValid(name) ? name : Anonymous;
    }

    public static bool IsValid(string name) =>
        name.Length is > 0 and <= 64 && name.All(c => char.IsLetterOrDigit(c) || c is '.' or '_' or '-' or '@' or ' ');
}
