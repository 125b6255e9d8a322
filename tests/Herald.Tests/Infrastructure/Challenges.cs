using System.Net;

namespace Herald.Tests.Infrastructure;

/// <summary>Asserts RFC 6750 refusals: the status, a one-line reason, and the Bearer challenge with its error code.</summary>
public static class Challenges
{
    /// <summary>The reason; <paramref name="error"/> null asserts a challenge without an error code (no token sent).</summary>
    public static async Task<string> AssertBearerAsync(this HttpResponseMessage response, HttpStatusCode status, string? error, string? token = null)
    {
        var reason = await response.AssertRefusedAsync(status);
        var challenge = string.Join(", ", response.Headers.GetValues("WWW-Authenticate"));
        Assert.StartsWith("Bearer ", challenge, StringComparison.Ordinal);
        if (error is null)
        {
            Assert.DoesNotContain("error=", challenge, StringComparison.Ordinal);
        }
        else
        {
            Assert.Contains($"error=\"{error}\"", challenge, StringComparison.Ordinal);
            Assert.Contains("error_description=\"", challenge, StringComparison.Ordinal);
        }

        if (status == HttpStatusCode.Unauthorized)
        {
            Assert.Contains("resource_metadata=\"http", challenge, StringComparison.Ordinal);
        }
        else
        {
            Assert.DoesNotContain("resource_metadata", challenge, StringComparison.Ordinal);
        }

        // RFC 6750 §3: the description is printable ASCII without '"' or '\'; one header line.
        Assert.All(challenge, c => Assert.True(c is >= ' ' and <= '~', $"challenge has {(int)c:x}: {challenge}"));
        if (token is not null)
        {
            foreach (var part in token.Split('.').Where(p => p.Length > 8))
            {
                Assert.DoesNotContain(part, challenge, StringComparison.Ordinal);
                Assert.DoesNotContain(part, reason, StringComparison.Ordinal);
            }
        }

        return reason;
    }
}
