using Microsoft.AspNetCore.Http;

namespace Herald.Protocol;

/// <summary>A refusal: the HTTP status and a one-line reason a developer can act on.</summary>
internal sealed record HeraldError(int Status, string Reason)
{
    public static HeraldError BadRequest(string reason) => new(StatusCodes.Status400BadRequest, reason);
}
