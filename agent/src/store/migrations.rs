//! Versioned schema migrations, applied in order at start-up (`PRAGMA user_version`).

use rusqlite::Connection;

use super::StoreError;

/// Each entry moves the schema from version `index` to `index + 1`. Never edit a shipped entry;
/// append a new one.
const MIGRATIONS: &[&str] = &[
    // 1: setup state, sessions, login attempts, audit log.
    "CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    CREATE TABLE sessions (
        key        TEXT PRIMARY KEY,   -- SHA-256 of the session secret, never the secret
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        client_ip  TEXT
    );
    CREATE INDEX sessions_expires ON sessions(expires_at);
    CREATE TABLE login_attempts (
        client TEXT NOT NULL,
        at_ms  INTEGER NOT NULL,
        ok     INTEGER NOT NULL
    );
    CREATE INDEX login_attempts_client ON login_attempts(client, at_ms);
    CREATE TABLE audit_log (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        at             TEXT NOT NULL,
        client_ip      TEXT,
        actor          TEXT NOT NULL,
        method         TEXT NOT NULL,
        route          TEXT NOT NULL,
        target         TEXT,
        status         INTEGER NOT NULL,
        code           TEXT,
        correlation_id TEXT
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",
    // 2: the ban archive synced from fail2ban's database, with each address's geo answer.
    // Every aggregate is an index-only scan: country and jail are copied into history_bans.
    "CREATE TABLE history_jails (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
    );
    CREATE TABLE history_ips (
        id             INTEGER PRIMARY KEY,
        ip             TEXT NOT NULL UNIQUE,
        country_code   TEXT,            -- NULL: the geo database does not know it
        continent_code TEXT,
        asn            TEXT,
        org            TEXT,
        city           TEXT
    );
    CREATE TABLE history_bans (
        id           INTEGER PRIMARY KEY,
        timeofban    INTEGER NOT NULL,
        jail_id      INTEGER NOT NULL,
        ip_id        INTEGER NOT NULL,
        country_code TEXT,              -- copy of history_ips.country_code
        bantime      INTEGER NOT NULL,
        bancount     INTEGER NOT NULL,
        failures     INTEGER NOT NULL,
        matches      TEXT,              -- JSON array of lines; NULL when none were stored
        service      TEXT
    );
    CREATE UNIQUE INDEX history_bans_event ON history_bans(ip_id, jail_id, timeofban);
    CREATE INDEX history_bans_time ON history_bans(timeofban, jail_id, country_code, ip_id);
    CREATE INDEX history_bans_jail ON history_bans(jail_id, timeofban);
    CREATE INDEX history_bans_country ON history_bans(country_code, timeofban, jail_id);
    CREATE TABLE history_state (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );",
    // 3: blocklist sources, the entries each source's last import listed (to lift the bans of
    // entries that leave the list) and the import log. The schedule lives in `settings`.
    "CREATE TABLE blocklist_sources (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        name          TEXT NOT NULL UNIQUE,
        url           TEXT NOT NULL UNIQUE,
        enabled       INTEGER NOT NULL,
        format        TEXT NOT NULL,
        jail          TEXT NOT NULL,
        max_entries   INTEGER NOT NULL,
        unban_removed INTEGER NOT NULL,
        created_at    INTEGER NOT NULL,
        updated_at    INTEGER NOT NULL
    );
    CREATE TABLE blocklist_entries (
        source_id INTEGER NOT NULL REFERENCES blocklist_sources(id) ON DELETE CASCADE,
        ip        TEXT NOT NULL,
        jail      TEXT NOT NULL,
        PRIMARY KEY (source_id, ip)
    ) WITHOUT ROWID;
    CREATE INDEX blocklist_entries_jail ON blocklist_entries(jail, source_id);
    CREATE TABLE blocklist_import_log (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        source_id     INTEGER REFERENCES blocklist_sources(id) ON DELETE SET NULL,
        source_name   TEXT NOT NULL,
        started_ms    INTEGER NOT NULL,
        duration_ms   INTEGER NOT NULL DEFAULT 0,
        status        TEXT NOT NULL,        -- running | completed | failed
        fetched_bytes INTEGER NOT NULL DEFAULT 0,
        valid         INTEGER NOT NULL DEFAULT 0,
        invalid       INTEGER NOT NULL DEFAULT 0,
        ignored       INTEGER NOT NULL DEFAULT 0,
        banned        INTEGER NOT NULL DEFAULT 0,
        unbanned      INTEGER NOT NULL DEFAULT 0,
        errors        TEXT NOT NULL         -- JSON array of messages
    );
    CREATE INDEX blocklist_import_log_source ON blocklist_import_log(source_id, id);",
];

pub fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let current: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if current > supported {
        return Err(StoreError::TooNew {
            found: current,
            supported,
        });
    }
    for (version, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", version as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = version + 1, "database migrated");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let v: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(v, MIGRATIONS.len() as i64);
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        assert!(matches!(migrate(&mut conn), Err(StoreError::TooNew { .. })));
    }
}
