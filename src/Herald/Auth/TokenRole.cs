namespace Herald.Auth;

/// <summary>Which keys verify a token: publishing and subscribing may be signed by different issuers.</summary>
internal enum TokenRole
{
    Publisher,
    Subscriber,
}
