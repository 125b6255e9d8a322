using Herald.Cli.Configuration;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Herald.Cli.Hosting;

/// <summary>What a listener serves. A request is answered only by what its listener is for.</summary>
internal enum ListenerPurpose
{
    /// <summary>The hub: subscribe, publish, poll, stats, the probes and the root page.</summary>
    Hub,

    /// <summary>The Prometheus scrape endpoint, <c>/metrics</c>, and nothing else.</summary>
    Metrics,
}

/// <summary>
/// One address Kestrel listens on, with its protocols, its purpose and whether it speaks TLS. <c>herald serve</c> has a
/// list of them, so a metrics listener, a TLS listener with HTTP/1.1 and HTTP/2, or a cleartext HTTP/2 (h2c) listener
/// behind a proxy is one more entry, never a special case in the host.
/// </summary>
internal sealed record Listener(ListenAddress Address, HttpProtocols Protocols, ListenerPurpose Purpose, bool Tls = false)
{
    /// <summary>The connection item that carries a connection's purpose to the request pipeline.</summary>
    public const string PurposeItem = "herald.listener.purpose";
}
