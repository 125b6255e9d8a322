namespace Herald.Deltas;

/// <summary>The patch formats a subscriber applies, from its <c>herald-delta</c> query parameter.</summary>
[Flags]
internal enum DeltaFormats
{
    None = 0,
    JsonPatch = 1,
    MergePatch = 2,
}

internal static class DeltaFormatsParser
{
    /// <summary>
    /// The formats named in the parameter's values (comma-separated); names it does not know are ignored, so a newer
    /// client that also names a future format still gets those this hub sends. None: whole updates, as without it.
    /// </summary>
    public static DeltaFormats Parse(Microsoft.Extensions.Primitives.StringValues values)
    {
        var formats = DeltaFormats.None;
        foreach (var value in values)
        {
            foreach (var name in (value ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                formats |= name switch
                {
                    JsonDelta.JsonPatch => DeltaFormats.JsonPatch,
                    JsonDelta.MergePatch => DeltaFormats.MergePatch,
                    _ => DeltaFormats.None,
                };
            }
        }

        return formats;
    }
}
