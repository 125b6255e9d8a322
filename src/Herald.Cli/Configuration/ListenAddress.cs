using System.Globalization;
using System.Net;

namespace Herald.Cli.Configuration;

/// <summary>Where Kestrel listens: <c>host:port</c> or <c>[v6]:port</c>; host is an IP address, <c>localhost</c> or <c>*</c>.</summary>
internal sealed record ListenAddress(IPAddress? Address, int Port, bool IsLocalhost)
{
    /// <summary>Loopback only: a hub started by hand should not be reachable from the network until asked to.</summary>
    public const string Default = "127.0.0.1:5080";

    public static ListenAddress Parse(string text)
    {
        var value = text.Trim();
        if (value.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            value = value["http://".Length..].TrimEnd('/');
        }

        string host;
        string port;
        if (value.StartsWith('['))
        {
            var close = value.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= value.Length || value[close + 1] != ':')
            {
                throw Invalid(text);
            }

            host = value[1..close];
            port = value[(close + 2)..];
        }
        else
        {
            var colon = value.LastIndexOf(':');
            if (colon < 0 || value.IndexOf(':', StringComparison.Ordinal) != colon)
            {
                throw Invalid(text);
            }

            host = value[..colon];
            port = value[(colon + 1)..];
        }

        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber) || portNumber > IPEndPoint.MaxPort)
        {
            throw Invalid(text);
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new ListenAddress(null, portNumber, IsLocalhost: true);
        }

        if (host is "*" or "+" or "")
        {
            return new ListenAddress(IPAddress.IPv6Any, portNumber, IsLocalhost: false);
        }

        return IPAddress.TryParse(host, out var address)
            ? new ListenAddress(address, portNumber, IsLocalhost: false)
            : throw Invalid(text);
    }

    private static UsageException Invalid(string text) =>
        new($"invalid listen address \"{text}\": expected host:port or [ipv6]:port, host an IP address, localhost or *");
}
