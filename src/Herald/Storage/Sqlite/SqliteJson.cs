using System.Text.Json.Serialization;

namespace Herald.Storage.Sqlite;

/// <summary>The topics column's JSON, generated at build time: no reflection, so the native (AOT) build reads it too.</summary>
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class SqliteJson : JsonSerializerContext;
