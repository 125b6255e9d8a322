namespace Herald.Protocol;

/// <summary>
/// The RFC 6750 §3 error code a refusal's <c>WWW-Authenticate: Bearer</c> challenge carries. Unset, the edge derives it
/// from the status: 401 <c>invalid_token</c>, 403 <c>insufficient_scope</c>, other statuses no challenge.
/// </summary>
internal enum BearerError
{
    /// <summary>Derived from the status.</summary>
    Default,

    /// <summary>No token was presented (or no Bearer one): a challenge without an error code (RFC 6750 §3.1).</summary>
    NoToken,

    /// <summary>400: the request is malformed, e.g. a 1.0 access token sent in the URL.</summary>
    InvalidRequest,
}
