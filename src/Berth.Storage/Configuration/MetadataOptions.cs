using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Berth.Storage.Configuration;

/// <summary>Which database holds tags, manifests and blob links (the <c>metadata</c> section).</summary>
public sealed record MetadataOptions : IValidatableObject
{
    /// <summary>SQLite in the data folder (the default: nothing to set up), or a PostgreSQL server several replicas share.</summary>
    public MetadataStoreKind Kind { get; init; } = MetadataStoreKind.Sqlite;

    /// <summary>For <see cref="MetadataStoreKind.PostgreSql"/>: an Npgsql connection string. Holds a password, so it is never printed.</summary>
    [PasswordPropertyText(true)]
    public string? ConnectionString { get; init; }

    /// <summary>
    /// For PostgreSQL: apply pending schema migrations at start (under an advisory lock, so replicas may start
    /// together). Off, the schema is upgraded only by <c>berth db migrate</c> and a start on an older schema fails.
    /// </summary>
    public bool MigrateOnStart { get; init; } = true;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (Kind == MetadataStoreKind.PostgreSql && string.IsNullOrWhiteSpace(ConnectionString))
        {
            yield return new ValidationResult("metadata kind postgresql needs a connection string", [nameof(ConnectionString)]);
        }
        if (Kind == MetadataStoreKind.Sqlite && ConnectionString is not null)
        {
            yield return new ValidationResult("metadata kind sqlite keeps its database in the data folder and takes no connection string",
                [nameof(ConnectionString)]);
        }
    }

    // Records print every property; a connection string carries a password.
    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append($"Kind = {Kind}, ConnectionString = {(ConnectionString is null ? "null" : "***")}, MigrateOnStart = {MigrateOnStart}");
        return true;
    }
}

public enum MetadataStoreKind
{
    Sqlite,
    PostgreSql,
}
