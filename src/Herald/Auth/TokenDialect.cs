namespace Herald.Auth;

/// <summary>Which protocol a validated token speaks; each has its own keys and grant claim, never mixed.</summary>
internal enum TokenDialect
{
    /// <summary>Mercure 0.x: the hub's keys, grants in the <c>mercure</c> claim.</summary>
    Legacy,

    /// <summary>Mercure 1.0: an <c>at+jwt</c> access token from a configured issuer, grants in <c>authorization_details</c>.</summary>
    V1,
}
