namespace Herald.Storage;

/// <summary>
/// A <see cref="HeraldOptions.Store"/> prefix (e.g. <c>redis://</c>) that a store package registered, so the options
/// validator accepts it without the core library knowing that package.
/// </summary>
public sealed record HistoryStoreScheme(string Prefix, string Form);
