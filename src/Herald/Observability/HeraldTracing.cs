using System.Diagnostics;

namespace Herald;

/// <summary>
/// The hub's spans, on the <c>Herald</c> activity source: <c>herald.publish</c> (a child of the request, so of the
/// publisher's <c>traceparent</c>), <c>herald.store.append</c>, <c>herald.dispatch</c> (linked to the publish it
/// delivers) and <c>herald.replay</c>. Export them with OpenTelemetry (<c>AddSource(HeraldTracing.SourceName)</c>);
/// <c>herald serve</c> does when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set. Spans carry counts, never topics or data.
/// </summary>
public static class HeraldTracing
{
    public const string SourceName = "Herald";

    internal static readonly ActivitySource Source = new(SourceName, typeof(HeraldTracing).Assembly.GetName().Version?.ToString());
}
