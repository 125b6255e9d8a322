using System.Net;

namespace Herald.Http;

/// <summary>
/// Who a request comes from, for per-address limits: the socket's peer, unless that peer is a trusted proxy, in which
/// case ASP.NET Core's forwarded-headers middleware has already replaced it with the <c>X-Forwarded-For</c> client.
/// A spoofed header from an untrusted peer changes nothing.
/// </summary>
internal static class ClientAddress
{
    /// <summary>The client's address, IPv4-mapped IPv6 folded to IPv4 so one client counts once.</summary>
    public static IPAddress Of(Microsoft.AspNetCore.Http.HttpContext context)
    {
        // From the feature, not context.Connection: that wrapper would be made for this and kept by every stream.
        var address = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpConnectionFeature>()?.RemoteIpAddress ?? IPAddress.None;
        return address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
    }

    /// <summary>Parses <c>10.0.0.0/8</c>, <c>fd00::/8</c>, or a single address (a network of one).</summary>
    public static bool TryParseNetwork(string text, out IPNetwork network)
    {
        text = text.Trim();
        if (IPNetwork.TryParse(text, out network))
        {
            return true;
        }

        if (IPAddress.TryParse(text, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }

        return false;
    }
}
