namespace Herald.Protocol.UrlPatterns;

/// <summary>A pattern the URL Pattern standard refuses (its TypeError), or one this hub refuses to run; one line.</summary>
internal sealed class UrlPatternException(string message) : Exception(message);
