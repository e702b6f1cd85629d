using WebLab.Lab.Access;
using WebLab.Web.Access;

namespace WebLab.Web.Api;

/// <summary>Who is asking: the signed-in person (Bearer token or session cookie) as the lab's commands see them.</summary>
internal static class Users
{
    public static Caller Of(HttpContext context) =>
        LabAuthentication.CallerOf(context.User) ?? throw new UnauthorizedAccessException("Sign in first: send an API token (Authorization: Bearer wl_...).");
}
