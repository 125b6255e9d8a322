namespace Herald.Protocol;

/// <summary>What kind of refusal an error is; the HTTP edge maps each kind to a status, once (<c>Http/ErrorStatus</c>).</summary>
internal enum ErrorKind
{
    /// <summary>The request is malformed or names something the hub cannot serve.</summary>
    Invalid,

    /// <summary>No valid credential was presented.</summary>
    Unauthenticated,

    /// <summary>The credential is valid but does not allow this.</summary>
    Forbidden,

    /// <summary>The resource asked for does not exist (or the feature serving it is off).</summary>
    NotFound,

    /// <summary>The body is over the hub's size limit.</summary>
    TooLarge,

    /// <summary>The body is not in a format the hub reads.</summary>
    UnsupportedFormat,

    /// <summary>An update with this id was already published with other content.</summary>
    Conflict,

    /// <summary>The hub cannot serve this now (shutting down, over a limit, store unreachable); retry later.</summary>
    Unavailable,
}

/// <summary>
/// A refusal: its kind and a one-line reason a developer can act on. <paramref name="RetryAfterSeconds"/> says when an
/// <see cref="ErrorKind.Unavailable"/> refusal is worth retrying (null: the edge's default).
/// </summary>
internal sealed record HeraldError(ErrorKind Kind, string Reason, string? RetryAfterSeconds = null)
{
    /// <summary>5 s: how soon a client refused because the store is unreachable or the hub stops should try again.</summary>
    public const string DefaultRetryAfterSeconds = "5";

    /// <summary>The RFC 6750 error code of the <c>WWW-Authenticate</c> challenge, when the status alone does not say it.</summary>
    public BearerError Bearer { get; init; }

    public static HeraldError Invalid(string reason) => new(ErrorKind.Invalid, reason);

    public static HeraldError Unauthenticated(string reason) => new(ErrorKind.Unauthenticated, reason);

    public static HeraldError Forbidden(string reason) => new(ErrorKind.Forbidden, reason);

    public static HeraldError NotFound(string reason) => new(ErrorKind.NotFound, reason);

    public static HeraldError Unavailable(string reason, string? retryAfterSeconds = null) =>
        new(ErrorKind.Unavailable, reason, retryAfterSeconds ?? DefaultRetryAfterSeconds);
}
