using System.Net.Sockets;
using Berth.Storage.Metadata;
using Npgsql;

namespace Berth.Storage.PostgreSql;

/// <summary>Tells "the database cannot be reached" apart from "the database refused this statement".</summary>
internal static class PostgreSqlFailures
{
    public static bool IsUnavailable(Exception exception) => exception switch
    {
        // PostgreSQL answered: only the states that mean "not serving" count (SQLSTATE appendix A):
        // class 08 connection exceptions, admin/crash shutdown, starting up, too many connections.
        PostgresException postgres => postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
            || postgres.SqlState is PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown
                or PostgresErrorCodes.CannotConnectNow or PostgresErrorCodes.TooManyConnections,
        // Npgsql's own failures: socket errors, timeouts, a broken connection, an exhausted pool.
        NpgsqlException => true,
        SocketException or TimeoutException => true,
        _ => false,
    };

    /// <summary>
    /// The exception the registry answers 503 to. Its message never includes the connection string or
    /// the server's address (secrets and topology stay out of responses and logs); the inner exception has the detail.
    /// </summary>
    public static MetadataStoreUnavailableException Unavailable(Exception exception) =>
        new($"the PostgreSQL metadata database is unavailable ({Describe(exception)})", exception);

    private static string Describe(Exception exception) => exception switch
    {
        PostgresException postgres => $"SQLSTATE {postgres.SqlState}",
        { InnerException: SocketException socket } => socket.SocketErrorCode.ToString(),
        { InnerException: TimeoutException } or TimeoutException => "timeout",
        { InnerException: IOException } => "connection lost",
        _ => exception.GetType().Name,
    };
}
