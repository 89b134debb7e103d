//! Copies new rows of fail2ban's `bans` table into the archive (blocking; run off the async
//! runtime).
//!
//! The cursor is fail2ban's rowid of the last copied row plus that row's (time, jail, ip) and
//! the database file's identity. fail2ban's table has no AUTOINCREMENT, so rowids come back
//! after deletions (unban deletes rows) and restart in a replaced file: when the cursor row is
//! gone or different, or the file is another one, the whole table is read again and the
//! archive's unique (ip, jail, time) key drops what it already has. Each batch is committed
//! with its cursor, so a failure mid-way loses nothing and copies nothing twice.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{params, Connection, OpenFlags, OptionalExtension, Transaction};

use super::data;
use super::resolve;
use crate::geo::Loaded;

/// Rows read from fail2ban per statement: short reads keep fail2ban's writer from waiting.
const BATCH: i64 = 5000;
/// Archived rows deleted per statement when the retention purges.
const PURGE_BATCH: i64 = 20_000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("fail2ban's database is not known: {0}")]
    NoDatabase(String),
    #[error("cannot open fail2ban's database {path}: {source}")]
    Open {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("cannot read fail2ban's database {path}: {source}")]
    Read {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("archive error: {0}")]
    Archive(#[from] rusqlite::Error),
    #[error("sync task failed: {0}")]
    Task(String),
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// fail2ban rows read.
    pub read: u64,
    /// Bans added to the archive.
    pub added: u64,
    /// The whole table was read again (new file, or the cursor row vanished).
    pub rescanned: bool,
    /// Archived bans dropped by the retention.
    pub purged: u64,
    /// Addresses looked up again because the geo database changed.
    pub re_resolved: u64,
}

/// One row of fail2ban's `bans`.
struct SourceRow {
    rowid: i64,
    jail: String,
    ip: Option<String>,
    timeofban: i64,
    bantime: i64,
    bancount: i64,
    data: data::BanData,
}

impl SourceRow {
    fn key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.timeofban,
            self.jail,
            self.ip.as_deref().unwrap_or_default()
        )
    }
}

/// Settings of one run.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub busy_timeout: Duration,
    /// Bans older than this (Unix seconds) are neither copied nor kept.
    pub keep_since: i64,
}

/// Syncs `source` (fail2ban's database, opened read-only) into `archive`.
pub fn run(
    archive: &mut Connection,
    source: &Path,
    opts: &SyncOptions,
    geo: &Loaded,
) -> Result<SyncReport, SyncError> {
    let read_err = |source_err| SyncError::Read {
        path: source.to_owned(),
        source: source_err,
    };
    let f2b = open_source(source, opts.busy_timeout)?;
    let identity = file_identity(source);
    let mut report = SyncReport::default();

    let mut cursor = load_cursor(archive)?;
    let same_file = cursor.source.as_deref() == Some(identity.as_str());
    let cursor_intact = same_file
        && cursor.rowid > 0
        && f2b
            .query_row(
                "SELECT timeofban, jail, ip FROM bans WHERE rowid = ?1",
                [cursor.rowid],
                |r| {
                    Ok(format!(
                        "{}|{}|{}",
                        r.get::<_, i64>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Option<String>>(2)?.unwrap_or_default()
                    ))
                },
            )
            .optional()
            .map_err(read_err)?
            .is_some_and(|key| Some(key) == cursor.key);
    if !cursor_intact && cursor.rowid > 0 {
        report.rescanned = true;
        tracing::info!(path = %source.display(), "fail2ban database changed under the cursor: reading it again");
    }
    if !cursor_intact {
        cursor.rowid = 0;
    }
    cursor.source = Some(identity);

    loop {
        let rows = read_batch(&f2b, cursor.rowid).map_err(read_err)?;
        let Some(last) = rows.last() else { break };
        cursor.rowid = last.rowid;
        cursor.key = Some(last.key());
        let n = rows.len() as i64;
        report.read += n as u64;
        let tx = archive.transaction()?;
        report.added += insert_rows(&tx, &rows, opts.keep_since, geo)?;
        save_cursor(&tx, &cursor)?;
        tx.commit()?;
        if n < BATCH {
            break;
        }
    }
    // A first run over an empty table still records which file the cursor belongs to.
    if report.read == 0 {
        let tx = archive.transaction()?;
        save_cursor(&tx, &cursor)?;
        tx.commit()?;
    }
    report.purged = purge(archive, opts.keep_since)?;
    report.re_resolved = resolve::after_geo_change(archive, geo)?;
    Ok(report)
}

fn open_source(path: &Path, busy: Duration) -> Result<Connection, SyncError> {
    if !path.is_file() {
        return Err(SyncError::Open {
            path: path.to_owned(),
            source: rusqlite::Error::InvalidPath(path.to_owned()),
        });
    }
    let open_err = |source| SyncError::Open {
        path: path.to_owned(),
        source,
    };
    // Read-only, and never create or change anything in fail2ban's file.
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(open_err)?;
    conn.busy_timeout(busy).map_err(open_err)?;
    Ok(conn)
}

/// `path|device|inode`: a replaced file (new inode) restarts the cursor.
fn file_identity(path: &Path) -> String {
    use std::os::unix::fs::MetadataExt;
    match std::fs::metadata(path) {
        Ok(m) => format!("{}|{}|{}", path.display(), m.dev(), m.ino()),
        Err(_) => path.display().to_string(),
    }
}

fn read_batch(f2b: &Connection, after: i64) -> Result<Vec<SourceRow>, rusqlite::Error> {
    let mut stmt = f2b.prepare_cached(
        "SELECT rowid, jail, ip, timeofban, bantime, bancount, data FROM bans
         WHERE rowid > ?1 ORDER BY rowid LIMIT ?2",
    )?;
    let rows = stmt.query_map(params![after, BATCH], |r| {
        Ok(SourceRow {
            rowid: r.get(0)?,
            jail: r.get(1)?,
            ip: r.get(2)?,
            timeofban: r.get(3)?,
            bantime: r.get::<_, Option<i64>>(4)?.unwrap_or(-2),
            bancount: r.get::<_, Option<i64>>(5)?.unwrap_or(1),
            data: data::parse(r.get_ref(6)?),
        })
    })?;
    rows.collect()
}

/// The address as the archive keys it: the canonical text of a valid IP, else as written.
fn canonical_ip(raw: &str) -> String {
    raw.trim()
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical().to_string())
        .unwrap_or_else(|_| raw.trim().to_ascii_lowercase())
}

fn insert_rows(
    tx: &Transaction<'_>,
    rows: &[SourceRow],
    keep_since: i64,
    geo: &Loaded,
) -> Result<u64, rusqlite::Error> {
    let mut added = 0;
    for row in rows {
        let Some(ip) = row.ip.as_deref().filter(|ip| !ip.trim().is_empty()) else {
            continue;
        };
        if row.timeofban < keep_since {
            continue;
        }
        let jail_id = jail_id(tx, &row.jail)?;
        let (ip_id, country) = ip_id(tx, &canonical_ip(ip), geo)?;
        added += tx
            .prepare_cached(
                "INSERT OR IGNORE INTO history_bans
                 (timeofban, jail_id, ip_id, country_code, bantime, bancount, failures, matches, service)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            )?
            .execute(params![
                row.timeofban,
                jail_id,
                ip_id,
                country,
                row.bantime,
                row.bancount.max(1),
                row.data.failures as i64,
                row.data.matches,
                row.data.service,
            ])? as u64;
    }
    Ok(added)
}

fn jail_id(tx: &Transaction<'_>, name: &str) -> Result<i64, rusqlite::Error> {
    let found = tx
        .prepare_cached("SELECT id FROM history_jails WHERE name = ?1")?
        .query_row([name], |r| r.get(0))
        .optional()?;
    if let Some(id) = found {
        return Ok(id);
    }
    tx.prepare_cached("INSERT INTO history_jails (name) VALUES (?1)")?
        .execute([name])?;
    Ok(tx.last_insert_rowid())
}

/// The address's row, created (and resolved once) on first sight.
fn ip_id(
    tx: &Transaction<'_>,
    ip: &str,
    geo: &Loaded,
) -> Result<(i64, Option<String>), rusqlite::Error> {
    let found = tx
        .prepare_cached("SELECT id, country_code FROM history_ips WHERE ip = ?1")?
        .query_row([ip], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some(found) = found {
        return Ok(found);
    }
    let g = ip
        .parse::<IpAddr>()
        .map(|addr| geo.lookup(addr))
        .unwrap_or_default();
    tx.prepare_cached(
        "INSERT INTO history_ips (ip, country_code, continent_code, asn, org, city)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        ip,
        g.country_code,
        g.continent_code,
        g.asn,
        g.org,
        g.city
    ])?;
    Ok((tx.last_insert_rowid(), g.country_code))
}

/// Drops archived bans older than `keep_since`, in short statements so readers and the
/// agent's other writes are never held up long; then the addresses no ban refers to.
fn purge(archive: &mut Connection, keep_since: i64) -> Result<u64, rusqlite::Error> {
    let mut purged = 0;
    loop {
        let n = archive.execute(
            "DELETE FROM history_bans WHERE id IN
             (SELECT id FROM history_bans WHERE timeofban < ?1 LIMIT ?2)",
            params![keep_since, PURGE_BATCH],
        )?;
        purged += n as u64;
        if (n as i64) < PURGE_BATCH {
            break;
        }
    }
    if purged > 0 {
        archive.execute(
            "DELETE FROM history_ips WHERE NOT EXISTS
             (SELECT 1 FROM history_bans WHERE ip_id = history_ips.id)",
            [],
        )?;
    }
    Ok(purged)
}

// === the cursor, in history_state ===

#[derive(Debug, Default)]
struct Cursor {
    source: Option<String>,
    rowid: i64,
    key: Option<String>,
}

pub(super) fn get_state(conn: &Connection, key: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.prepare_cached("SELECT value FROM history_state WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()
}

pub(super) fn set_state(conn: &Connection, key: &str, value: &str) -> Result<(), rusqlite::Error> {
    conn.prepare_cached("INSERT OR REPLACE INTO history_state (key, value) VALUES (?1, ?2)")?
        .execute([key, value])?;
    Ok(())
}

fn load_cursor(conn: &Connection) -> Result<Cursor, rusqlite::Error> {
    Ok(Cursor {
        source: get_state(conn, "cursor_source")?,
        rowid: get_state(conn, "cursor_rowid")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
        key: get_state(conn, "cursor_key")?,
    })
}

fn save_cursor(conn: &Connection, c: &Cursor) -> Result<(), rusqlite::Error> {
    set_state(
        conn,
        "cursor_source",
        c.source.as_deref().unwrap_or_default(),
    )?;
    set_state(conn, "cursor_rowid", &c.rowid.to_string())?;
    set_state(conn, "cursor_key", c.key.as_deref().unwrap_or_default())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::seed::{archive, Fail2banDb};

    fn opts() -> SyncOptions {
        SyncOptions {
            busy_timeout: Duration::from_millis(50),
            keep_since: 0,
        }
    }

    fn count(c: &Connection) -> i64 {
        c.query_row("SELECT COUNT(*) FROM history_bans", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn copies_new_rows_once_and_survives_deletes_and_replacement() {
        let (dir, mut arch) = archive();
        let f2b = Fail2banDb::create(&dir.path().join("f2b.sqlite3"));
        f2b.ban("sshd", "192.0.2.1", 1000, Some(r#"{"failures": 3}"#));
        f2b.ban("sshd", "2001:DB8::1", 1001, None);
        f2b.ban("f2btest", "192.0.2.2", 1002, Some("null"));
        let geo = Loaded::default();

        let r = run(&mut arch, f2b.path(), &opts(), &geo).unwrap();
        assert_eq!((r.read, r.added, r.rescanned), (3, 3, false));
        let r = run(&mut arch, f2b.path(), &opts(), &geo).unwrap();
        assert_eq!(
            (r.read, r.added),
            (0, 0),
            "the cursor skips what was copied"
        );
        let ip: String = arch
            .query_row(
                "SELECT ip FROM history_ips WHERE ip LIKE '2001%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(ip, "2001:db8::1");

        // Unban deletes the newest row; the next ban reuses its rowid.
        f2b.exec("DELETE FROM bans WHERE ip = '192.0.2.2'");
        f2b.ban("f2btest", "192.0.2.3", 1003, None);
        let r = run(&mut arch, f2b.path(), &opts(), &geo).unwrap();
        assert!(r.rescanned);
        assert_eq!(r.added, 1);
        assert_eq!(count(&arch), 4, "the unbanned row stays archived");

        // fail2ban purges everything and a new file replaces the old one.
        std::fs::remove_file(f2b.path()).unwrap();
        let fresh = Fail2banDb::create(f2b.path());
        fresh.ban("sshd", "192.0.2.9", 2000, None);
        let r = run(&mut arch, fresh.path(), &opts(), &geo).unwrap();
        assert_eq!((r.read, r.added), (1, 1));
        assert_eq!(count(&arch), 5);
    }

    #[test]
    fn missing_locked_or_corrupt_sources_fail_without_touching_the_archive() {
        let (dir, mut arch) = archive();
        let path = dir.path().join("f2b.sqlite3");
        let geo = Loaded::default();
        assert!(matches!(
            run(&mut arch, &path, &opts(), &geo),
            Err(SyncError::Open { .. })
        ));

        let f2b = Fail2banDb::create(&path);
        f2b.ban("sshd", "192.0.2.1", 1000, None);
        let lock = f2b.lock_exclusive();
        assert!(matches!(
            run(&mut arch, &path, &opts(), &geo),
            Err(SyncError::Read { .. })
        ));
        drop(lock);
        assert_eq!(run(&mut arch, &path, &opts(), &geo).unwrap().added, 1);

        std::fs::write(&path, b"this is not a database at all, just text").unwrap();
        assert!(run(&mut arch, &path, &opts(), &geo).is_err());
        assert_eq!(count(&arch), 1);
    }

    #[test]
    fn retention_drops_old_bans_and_their_addresses() {
        let (dir, mut arch) = archive();
        let f2b = Fail2banDb::create(&dir.path().join("f2b.sqlite3"));
        f2b.ban("sshd", "192.0.2.1", 100, None);
        f2b.ban("sshd", "192.0.2.2", 5000, None);
        let geo = Loaded::default();
        run(&mut arch, f2b.path(), &opts(), &geo).unwrap();
        let keep = SyncOptions {
            keep_since: 1000,
            ..opts()
        };
        let r = run(&mut arch, f2b.path(), &keep, &geo).unwrap();
        assert_eq!(r.purged, 1);
        let ips: i64 = arch
            .query_row("SELECT COUNT(*) FROM history_ips", [], |r| r.get(0))
            .unwrap();
        assert_eq!((count(&arch), ips), (1, 1));
    }
}
