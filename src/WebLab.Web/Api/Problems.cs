using Microsoft.AspNetCore.Diagnostics;
using WebLab.Lab.Access;
using WebLab.Lab.Jobs;
using WebLab.Lab.Jobs.Kinds;
using WebLab.Lab.Storage;

namespace WebLab.Web.Api;

/// <summary>
/// Every error as RFC 9457 problem details: bad input 400 (field errors when known), too large 413, 401/403/404/409 from
/// <see cref="LabCommands"/> and <see cref="LabReads"/>, a quota 429, the rest 500. Bad input is the caller's mistake, not the lab's: one info line, no stack
/// trace; only unexpected errors are logged as errors.
/// </summary>
internal sealed class Problems(ILogger<Problems> log) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception error, CancellationToken cancellationToken)
    {
        var result = error switch
        {
            SpecValidationException e => Results.ValidationProblem(e.Errors.ToDictionary(k => k.Key, k => k.Value), title: "The job spec is invalid."),
            UploadTooLargeException e => Results.Problem(e.Message, statusCode: StatusCodes.Status413PayloadTooLarge, title: "Upload too large"),
            BadHttpRequestException e when e.StatusCode == StatusCodes.Status413PayloadTooLarge =>
                Results.Problem("The request body is larger than the lab accepts.", statusCode: 413, title: "Upload too large"),
            NotFoundException e => NotFound(e.Message),
            ForbiddenException e => Forbidden(e.Message),
            UnauthorizedAccessException e => Results.Problem(e.Message, statusCode: StatusCodes.Status401Unauthorized, title: "Not signed in"),
            QuotaExceededException e => Results.Problem(e.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Quota reached"),
            RateLimitedException e => Results.Problem(e.Message, statusCode: StatusCodes.Status429TooManyRequests, title: "Slow down"),
            ConflictException e => Conflict(e.Message),
            BadInputException e => Results.Problem(e.Message, statusCode: StatusCodes.Status400BadRequest, title: "Bad input"),
            BadHttpRequestException e => Results.Problem(e.Message, statusCode: e.StatusCode, title: "Bad request"),
            _ => null,
        };
        if (result is null)
        {
            log.LogError(error, "{Method} {Path} failed", context.Request.Method, context.Request.Path);
            result = Results.Problem("The lab hit an unexpected error; it has been logged.", statusCode: 500, title: "Internal error");
        }
        else
        {
            log.LogInformation("{Method} {Path} refused: {Reason}", context.Request.Method, context.Request.Path, error.Message);
        }
        await result.ExecuteAsync(context);
        return true;
    }

    public static IResult NotFound(string what) => Results.Problem(what, statusCode: StatusCodes.Status404NotFound, title: "Not found");

    public static IResult Forbidden(string what) => Results.Problem(what, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static IResult Conflict(string what) => Results.Problem(what, statusCode: StatusCodes.Status409Conflict, title: "Conflict");
}
