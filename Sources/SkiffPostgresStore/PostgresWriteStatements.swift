import NIOCore
import PostgresNIO

/// The write path's two statements, prepared once per connection: PostgreSQL parses them once instead of for every
/// batch (PostgresNIO prepares a statement on a connection the first time it runs there). The store's connections
/// plan every execution with its parameters (`plan_cache_mode = force_custom_plan`, `PostgresStore`): a generic plan
/// made while the log was small (a sequential scan) would otherwise stay while the log grows — measured: two servers
/// slowed from 1 450 to 870 creates/s over 18 000 creates, every write scanning the whole log.
enum PostgresWriteStatements {
    /// The head and the latest row of each key, in one snapshot (one row per key found; one row of NULLs after the
    /// head when none is). Each key is its own backward walk of the `(key, revision)` index, stopping at its newest
    /// row: the cost does not grow with a key's history.
    struct Latest: PostgresPreparedStatement {
        static let sql = """
            SELECT r.value, k.key, k.revision, k.create_revision, k.deleted, k.value FROM skiff_revision AS r
            LEFT JOIN LATERAL (SELECT l.key, l.revision, l.create_revision, l.deleted, l.value
                FROM unnest($1::text[]) AS wanted(key)
                CROSS JOIN LATERAL (SELECT * FROM skiff_log WHERE skiff_log.key = wanted.key
                    ORDER BY skiff_log.revision DESC LIMIT 1) AS l) AS k ON true
            WHERE r.id = 1
            """
        typealias Row = (Int64, String?, Int64?, Int64?, Bool?, ByteBuffer?)

        var keys: [String]

        func makeBindings() throws -> PostgresBindings {
            var bindings = PostgresBindings(capacity: 1)
            bindings.append(keys)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
    }

    /// Appends a plan's rows, moves the counter from the plan's base to its head and notifies every listening
    /// server, in one statement: the data-modifying CTEs run once, before the final SELECT reads the counter's
    /// result. The counter's update is a compare-and-swap: no row, and nothing written, when the counter is no
    /// longer at the base. The notification is delivered when, and only if, the transaction commits.
    struct Append: PostgresPreparedStatement {
        static let sql = """
            WITH counter AS (UPDATE skiff_revision SET value = $1 WHERE id = 1 AND value = $2 RETURNING value),
            rows AS (
                INSERT INTO skiff_log (revision, key, create_revision, prev_revision, deleted, value)
                SELECT u.revision, u.key, u.create_revision, u.prev_revision, u.deleted, u.value
                FROM unnest($3::bigint[], $4::text[], $5::bigint[], $6::bigint[], $7::boolean[], $8::bytea[])
                    AS u(revision, key, create_revision, prev_revision, deleted, value), counter)
            SELECT pg_notify('\(PostgresStore.channel)', $1::text) FROM counter
            """
        /// One row per successful compare-and-swap.
        typealias Row = Void

        var plan: PostgresWritePlan

        func makeBindings() throws -> PostgresBindings {
            let columns = plan.columns
            var bindings = PostgresBindings(capacity: 8)
            bindings.append(plan.head)
            bindings.append(plan.base)
            bindings.append(columns.revisions)
            bindings.append(columns.keys)
            bindings.append(columns.createRevisions)
            bindings.append(columns.prevRevisions)
            bindings.append(columns.deleted)
            bindings.append(columns.values)
            return bindings
        }

        func decodeRow(_ row: PostgresRow) throws {}
    }
}
