namespace Berth.Storage.PostgreSql;

/// <summary>How to reach the PostgreSQL metadata database.</summary>
public sealed record PostgreSqlMetadataOptions
{
    /// <summary>An Npgsql connection string. It may carry a password: never log or echo it.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>
    /// Apply pending schema migrations when the store opens. When false (schema managed explicitly with
    /// <see cref="PostgreSqlSchema.MigrateAsync"/>, e.g. `berth db migrate`), opening fails on a schema
    /// that is older than this binary needs. A schema newer than this binary knows always fails.
    /// </summary>
    public bool MigrateOnStart { get; init; } = true;

    /// <summary>The registry's clock for the times recorded (pushes, links, tag moves); tests pass a fake one.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
