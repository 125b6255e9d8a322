using System.Net;
using System.Text;
using Herald.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace Herald.Tests.Auth;

/// <summary>
/// HMAC secrets read from a file (<c>@path</c>): the length rule measures the secret in the file, never the
/// <c>@path</c> text, and a refusal names the file. Short relative paths, as typed on a command line, are the case
/// that went wrong: the files live in the working directory under short names.
/// </summary>
public sealed class KeyFileTests : IDisposable
{
    private const string Topic = "https://example.com/books/1";

    private readonly List<string> _files = [];

    [Fact]
    public async Task A_40_byte_secret_in_a_file_named_by_a_short_path_verifies_tokens()
    {
        var secret = new string('s', 40);
        var path = ShortFile(secret);

        await using var hub = await TestHub.StartAsync(o => o.JwtKey = "@" + path);
        using var response = await hub.PostAsync([new("topic", Topic), new("data", "x")], Tokens.Create(secret, publish: ["*"]));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("JwtKey")]
    [InlineData("PublisherKey")]
    [InlineData("SubscriberKey")]
    [InlineData("PublisherKeys")]
    public async Task A_20_byte_secret_in_a_file_is_refused_naming_the_file_and_its_size(string setting)
    {
        var path = ShortFile(new string('s', 20));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o =>
        {
            switch (setting)
            {
                case "JwtKey": o.JwtKey = "@" + path; break;
                case "PublisherKey": o.PublisherKey = "@" + path; break;
                case "SubscriberKey": o.SubscriberKey = "@" + path; break;
                default: o.PublisherKeys = [new HeraldKey { Key = "@" + path }]; break;
            }
        }));

        Assert.Contains(setting, error.Message);
        Assert.Contains(Path.GetFullPath(path), error.Message);
        Assert.Contains("20 bytes", error.Message);
        Assert.Contains("at least 32 bytes", error.Message);
        Assert.DoesNotContain(new string('s', 20), error.Message);
    }

    [Fact]
    public async Task A_missing_key_file_is_refused_naming_it()
    {
        var path = "hk-missing-" + Guid.NewGuid().ToString("N")[..6];

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => TestHub.StartAsync(o => o.JwtKey = "@" + path));

        Assert.Contains(Path.GetFullPath(path), error.Message);
    }

    public void Dispose()
    {
        foreach (var file in _files)
        {
            File.Delete(file);
        }
    }

    /// <summary>A file in the working directory whose <c>@path</c> is shorter than 32 characters.</summary>
    private string ShortFile(string content)
    {
        var name = "hk-" + Guid.NewGuid().ToString("N")[..6];
        File.WriteAllBytes(name, Encoding.UTF8.GetBytes(content));
        _files.Add(name);
        Assert.True(("@" + name).Length < 32);
        return name;
    }
}
