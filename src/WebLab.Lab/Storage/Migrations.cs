using Dapper;
using Microsoft.Data.Sqlite;

namespace WebLab.Lab.Storage;

/// <summary>
/// Numbered SQL scripts embedded in the assembly (Migrations/NNNN_name.sql), applied in order inside one
/// transaction each; PRAGMA user_version records the last one applied.
/// </summary>
public static class Migrations
{
    private const string Prefix = "WebLab.Lab.Migrations.";

    /// <summary>(version, script) pairs shipped with this build, in order.</summary>
    public static IReadOnlyList<(int Version, string Sql)> All { get; } = Load();

    /// <summary>The schema version this build expects.</summary>
    public static int Latest => All.Count == 0 ? 0 : All[^1].Version;

    public static async Task ApplyAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        var current = await connection.ExecuteScalarAsync<long>(new CommandDefinition("PRAGMA user_version;", cancellationToken: cancellationToken));
        if (current > Latest)
            throw new InvalidOperationException($"The database is at schema version {current}, newer than this WebLab build ({Latest}).");
        // Foreign keys off while the scripts run (it cannot change inside a transaction): rebuilding a table (SQLite's
        // 12-step ALTER TABLE) drops the old one, which would otherwise cascade into every table that references it.
        // Each script's result is checked with foreign_key_check before it commits.
        await connection.ExecuteAsync(new CommandDefinition("PRAGMA foreign_keys = OFF;", cancellationToken: cancellationToken));
        try
        {
            foreach (var (version, sql) in All.Where(m => m.Version > current))
                await ApplyAsync(connection, version, sql, cancellationToken);
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("PRAGMA foreign_keys = ON;", cancellationToken: CancellationToken.None));
        }
    }

    private static async Task ApplyAsync(SqliteConnection connection, int version, string sql, CancellationToken cancellationToken)
    {
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(sql, transaction: transaction, cancellationToken: cancellationToken));
        var broken = (await connection.QueryAsync<string>(new CommandDefinition("SELECT \"table\" FROM pragma_foreign_key_check",
            transaction: transaction, cancellationToken: cancellationToken))).ToList();
        if (broken.Count > 0)
            throw new InvalidOperationException($"Migration {version} leaves broken references in {string.Join(", ", broken.Distinct())}; nothing was changed.");
        await connection.ExecuteAsync(new CommandDefinition($"PRAGMA user_version = {version};", transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
    }

    private static List<(int, string)> Load()
    {
        var assembly = typeof(Migrations).Assembly;
        var result = new List<(int, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal))
        {
            var file = name[Prefix.Length..];
            var version = int.Parse(file[..file.IndexOf('_')]);
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            result.Add((version, reader.ReadToEnd()));
        }
        for (int i = 0; i < result.Count; i++)
        {
            if (result[i].Item1 != i + 1)
                throw new InvalidOperationException($"Migrations must be numbered 1, 2, 3...; found {result[i].Item1} at position {i + 1}.");
        }
        return result;
    }
}
