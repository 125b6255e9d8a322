using System.Text.Json.Serialization;
using Herald.Cli.Bench;
using Herald.Cli.Commands;
using Herald.Cli.Probe;

namespace Herald.Cli;

/// <summary>
/// The CLI's JSON, generated at build time: the native (AOT) <c>herald</c> has no reflection-based serializer. Each
/// caller keeps its own options (naming, indentation, escaping) and takes its type's metadata from this resolver.
/// </summary>
[JsonSerializable(typeof(BenchResult))]
[JsonSerializable(typeof(ProbeReport))]
[JsonSerializable(typeof(SubscribedUpdate))]
internal sealed partial class CliJson : JsonSerializerContext;
