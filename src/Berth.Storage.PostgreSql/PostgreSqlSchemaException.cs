namespace Berth.Storage.PostgreSql;

/// <summary>
/// The database's schema cannot be used by this binary: it was migrated by a newer Berth (downgrade
/// refused, since this binary would not know the newer tables' rules), or it is older and migrations
/// were not applied.
/// </summary>
public sealed class PostgreSqlSchemaException(string message) : Exception(message);
