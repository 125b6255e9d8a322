using Herald.Cli.Commands;

namespace Herald.Cli.Hosting;

/// <summary>What <c>herald serve --dev</c> prints once listening: commands a newcomer can paste to see an update arrive.</summary>
internal static class DevBanner
{
    private const string Topic = "https://example.com/books/1";

    /// <param name="devKey">The random key <c>--dev</c> drew; printed when it is the one in use, since nobody else knows it.</param>
    public static void Write(TextWriter output, Uri baseAddress, HeraldOptions options, string devKey)
    {
        var hub = new Uri(baseAddress, HeraldOptions.DefaultPath).ToString();
        var key = !string.IsNullOrEmpty(options.PublisherKey) ? options.PublisherKey
            : options.PublisherKeys.Count == 0 ? options.JwtKey : null;
        output.WriteLine();
        output.WriteLine("Development mode: anonymous subscribers, CORS for http://localhost:*, history in memory. Not for production.");
        output.WriteLine();
        if (options.JwtKey == devKey)
        {
            output.WriteLine("# the key is random, new on every start; for herald token, publish and bench:");
            output.WriteLine($"KEY='{devKey}'");
            output.WriteLine("herald token --key \"$KEY\" --publish '*'");
            output.WriteLine($"herald bench --hub {hub} --jwt-key \"$KEY\"");
            output.WriteLine();
        }

        if (options.Ui && key is not null)
        {
            // A short-lived token for the console: the dev key is random, so it dies with the process anyway.
            var console = Commands.TokenCommand.Create(key, "HS256", ["*"], ["*"], null, TimeSpan.FromHours(1), null, DateTime.UtcNow);
            // In the fragment, which browsers never send: the page reads it, then removes it from the address bar.
            output.WriteLine("# dashboard and debug console, signed in with a 1-hour token (or paste the token into its prompt):");
            output.WriteLine($"{hub}/ui#token={console}");
            output.WriteLine();
        }

        output.WriteLine("# subscribe (terminal 1)");
        output.WriteLine($"curl -N '{hub}?topic={Uri.EscapeDataString(Topic)}'");
        output.WriteLine();
        if (key is null || key.StartsWith('@'))
        {
            output.WriteLine("# publish (terminal 2): mint a publisher token for your key with 'herald token --key … --publish \"*\"'");
        }
        else
        {
            var token = TokenCommand.Create(key, "HS256", ["*"], [], null, null, null, DateTime.UtcNow);
            output.WriteLine("# publish (terminal 2)");
            output.WriteLine($"curl -H 'Authorization: Bearer {token}' -d 'topic={Topic}' -d 'data=hello' {hub}");
        }

        output.WriteLine();
        output.WriteLine("# in a page served from localhost (browser console)");
        output.WriteLine($"const es = new EventSource('{hub}?topic=' + encodeURIComponent('{Topic}'));");
        output.WriteLine("es.onmessage = e => console.log(e.lastEventId, e.data);");
        output.WriteLine();
    }
}
