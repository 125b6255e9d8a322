namespace Herald.Http;

/// <summary>A newcomer refused by a limit: which one (the <c>limit</c> tag of the refusal metric) and the one-line reason.</summary>
internal sealed record LimitRefusal(string Limit, string Reason)
{
    public const string Connections = "connections";
    public const string ConnectionsPerIp = "connections_per_ip";
    public const string TemplatesPerIp = "templates_per_ip";
    public const string Templates = "templates";
    public const string ConnectionsPerSubject = "connections_per_subject";
    public const string ShuttingDown = "shutting_down";
}
