using System.Security.Cryptography;

namespace Herald.Storage;

/// <summary>Makes the generation names of <see cref="IHistoryStore.GetGenerationAsync"/>.</summary>
public static class StoreGeneration
{
    /// <summary>
    /// 64 random bits as 16 lowercase hex digits: two histories never share a name by chance, and the name says
    /// nothing about the store (no time, no host).
    /// </summary>
    public static string New() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
}
