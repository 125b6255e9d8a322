namespace Herald;

/// <summary>
/// Which Mercure dialects the hub speaks (<see cref="HeraldOptions.Protocol"/>). Decided per request, never globally:
/// a subscribe request with <c>match</c> parameters is 1.0, one with <c>topic</c> parameters is 0.x, and on
/// <see cref="Both"/> each is served by its own rules on the same index and dispatcher.
/// </summary>
public enum HeraldProtocol
{
    /// <summary>Mercure 0.x only (<c>topic</c> selectors, the <c>mercure</c> claim): what deployed publishers speak.</summary>
    Legacy,

    /// <summary>0.x and 1.0 side by side, per request: the migration setting.</summary>
    Both,

    /// <summary>Mercure 1.0 (draft-08) only: 0.x subscribe requests are refused with a 400.</summary>
    V1,
}
