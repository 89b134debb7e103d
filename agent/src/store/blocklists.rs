//! Blocklist sources, the entries each source's last import listed (to lift bans of entries
//! that leave the list) and the import log. The schedule is a JSON value in `settings`.

use ipnet::IpNet;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{
    named_params, params, Connection, OptionalExtension, Row, Transaction, TransactionBehavior,
};

use bangui_shared::models::blocklists::{
    BlocklistSource, ImportLogEntry, ImportStatus, ListFormat,
};

use super::StoreError;
use crate::fail2ban::command::net_text;

/// The editable fields of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFields {
    pub name: String,
    pub url: String,
    pub enabled: bool,
    pub format: ListFormat,
    pub jail: String,
    pub max_entries: u32,
    pub unban_removed: bool,
}

/// The outcome of a write that must keep names and URLs unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saved {
    Ok(BlocklistSource),
    /// Another source already has this `name` or `url` (the field that clashes).
    Duplicate(&'static str),
    NotFound,
}

/// Counters of a finished import run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogCounts {
    pub fetched_bytes: u64,
    pub valid: u64,
    pub invalid: u64,
    pub ignored: u64,
    pub banned: u64,
    pub unbanned: u64,
}

fn time(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

const SOURCE_COLUMNS: &str =
    "id, name, url, enabled, format, jail, max_entries, unban_removed, created_at, updated_at";

fn source(row: &Row<'_>) -> rusqlite::Result<BlocklistSource> {
    let format: String = row.get(4)?;
    Ok(BlocklistSource {
        id: row.get(0)?,
        name: row.get(1)?,
        url: row.get(2)?,
        enabled: row.get(3)?,
        format: format.parse().unwrap_or_default(),
        jail: row.get(5)?,
        max_entries: row.get(6)?,
        unban_removed: row.get(7)?,
        created_at: time(row.get(8)?),
        updated_at: time(row.get(9)?),
    })
}

pub fn list_sources(conn: &Connection) -> Result<Vec<BlocklistSource>, StoreError> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {SOURCE_COLUMNS} FROM blocklist_sources ORDER BY id"
    ))?;
    let rows = stmt.query_map([], source)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn get_source(conn: &Connection, id: i64) -> Result<Option<BlocklistSource>, StoreError> {
    Ok(conn
        .query_row(
            &format!("SELECT {SOURCE_COLUMNS} FROM blocklist_sources WHERE id = ?1"),
            [id],
            source,
        )
        .optional()?)
}

/// Which unique field of `f` another source (not `except`) already uses.
fn clash(
    conn: &Connection,
    f: &SourceFields,
    except: i64,
) -> Result<Option<&'static str>, StoreError> {
    let taken = |column: &str, value: &str| -> Result<bool, StoreError> {
        Ok(conn
            .query_row(
                &format!("SELECT 1 FROM blocklist_sources WHERE {column} = ?1 AND id != ?2"),
                params![value, except],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    };
    if taken("name", &f.name)? {
        return Ok(Some("name"));
    }
    if taken("url", &f.url)? {
        return Ok(Some("url"));
    }
    Ok(None)
}

pub fn insert_source(
    conn: &mut Connection,
    f: &SourceFields,
    now: i64,
) -> Result<Saved, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    save(tx, f, None, now)
}

/// Replaces the fields of source `id` with `edit(current)`.
pub fn update_source(
    conn: &mut Connection,
    id: i64,
    now: i64,
    edit: impl FnOnce(&BlocklistSource) -> SourceFields,
) -> Result<Saved, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let Some(current) = get_source(&tx, id)? else {
        return Ok(Saved::NotFound);
    };
    save(tx, &edit(&current), Some(id), now)
}

/// Writes `f` as source `id`, or as a new source when `id` is `None`, and commits `tx` unless
/// the name or URL is taken. One parameter set serves both statements: a NULL `:id` makes
/// SQLite pick the new row's id.
fn save(
    tx: Transaction<'_>,
    f: &SourceFields,
    id: Option<i64>,
    now: i64,
) -> Result<Saved, StoreError> {
    if let Some(field) = clash(&tx, f, id.unwrap_or(-1))? {
        return Ok(Saved::Duplicate(field));
    }
    let sql = if id.is_some() {
        "UPDATE blocklist_sources SET name = :name, url = :url, enabled = :enabled,
           format = :format, jail = :jail, max_entries = :max_entries,
           unban_removed = :unban_removed, updated_at = :now
         WHERE id = :id"
    } else {
        "INSERT INTO blocklist_sources (id, name, url, enabled, format, jail, max_entries,
           unban_removed, created_at, updated_at)
         VALUES (:id, :name, :url, :enabled, :format, :jail, :max_entries, :unban_removed,
           :now, :now)"
    };
    tx.execute(
        sql,
        named_params! {
            ":id": id,
            ":name": f.name,
            ":url": f.url,
            ":enabled": f.enabled,
            ":format": f.format.to_string(),
            ":jail": f.jail,
            ":max_entries": f.max_entries,
            ":unban_removed": f.unban_removed,
            ":now": now,
        },
    )?;
    let saved = get_source(&tx, id.unwrap_or_else(|| tx.last_insert_rowid()))?;
    tx.commit()?;
    Ok(saved.map_or(Saved::NotFound, Saved::Ok))
}

/// Deletes a source and its remembered entries (its log rows stay, without the id).
pub fn delete_source(conn: &Connection, id: i64) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM blocklist_sources WHERE id = ?1", [id])? > 0)
}

/// The entries the source's last import listed, with the jail they were banned in.
pub fn entries(conn: &Connection, source_id: i64) -> Result<Vec<(String, String)>, StoreError> {
    let mut stmt =
        conn.prepare_cached("SELECT ip, jail FROM blocklist_entries WHERE source_id = ?1")?;
    let rows = stmt.query_map([source_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Entries other sources list for `jail` (their bans must stay when this source drops them).
pub fn entries_of_others(
    conn: &Connection,
    source_id: i64,
    jail: &str,
) -> Result<Vec<String>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT ip FROM blocklist_entries WHERE jail = ?1 AND source_id != ?2")?;
    let rows = stmt.query_map(params![jail, source_id], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Makes `nets` the source's remembered entries, in one transaction. Stored as fail2ban
/// writes them ([`net_text`]: a host as a plain address, a network as `addr/prefix`), so
/// rows written before networks were imported read the same.
pub fn replace_entries(
    conn: &mut Connection,
    source_id: i64,
    jail: &str,
    nets: &[IpNet],
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute(
        "DELETE FROM blocklist_entries WHERE source_id = ?1",
        [source_id],
    )?;
    {
        let mut stmt = tx.prepare_cached(
            "INSERT OR IGNORE INTO blocklist_entries (source_id, ip, jail) VALUES (?1, ?2, ?3)",
        )?;
        for net in nets {
            stmt.execute(params![source_id, net_text(net), jail])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// Opens a log entry for a run that starts now.
pub fn start_log(
    conn: &Connection,
    source_id: i64,
    source_name: &str,
    started_ms: i64,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO blocklist_import_log (source_id, source_name, started_ms, status, errors)
         VALUES (?1, ?2, ?3, 'running', '[]')",
        params![source_id, source_name, started_ms],
    )?;
    Ok(conn.last_insert_rowid())
}

pub fn finish_log(
    conn: &Connection,
    id: i64,
    status: ImportStatus,
    counts: &LogCounts,
    errors: &[String],
    duration_ms: u64,
) -> Result<(), StoreError> {
    let errors = serde_json::to_string(errors).unwrap_or_else(|_| "[]".into());
    conn.execute(
        "UPDATE blocklist_import_log SET status = ?2, fetched_bytes = ?3, valid = ?4,
           invalid = ?5, ignored = ?6, banned = ?7, unbanned = ?8, errors = ?9, duration_ms = ?10
         WHERE id = ?1",
        params![
            id,
            status.as_str(),
            counts.fetched_bytes as i64,
            counts.valid as i64,
            counts.invalid as i64,
            counts.ignored as i64,
            counts.banned as i64,
            counts.unbanned as i64,
            errors,
            duration_ms as i64
        ],
    )?;
    Ok(())
}

/// Marks runs left `running` by an agent that stopped mid-import as failed; returns the ids of
/// their sources (the next run completes them).
pub fn fail_interrupted(conn: &Connection) -> Result<Vec<i64>, StoreError> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare(
            "SELECT DISTINCT source_id FROM blocklist_import_log
             WHERE status = 'running' AND source_id IS NOT NULL",
        )?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        rows.collect::<Result<_, _>>()?
    };
    conn.execute(
        "UPDATE blocklist_import_log SET status = 'failed',
           errors = '[\"the agent stopped before the import finished; the next run completes it\"]'
         WHERE status = 'running'",
        [],
    )?;
    Ok(ids)
}

fn log_entry(row: &Row<'_>) -> rusqlite::Result<ImportLogEntry> {
    let status: String = row.get(5)?;
    let errors: String = row.get(12)?;
    let n = |i: usize| -> rusqlite::Result<u64> { Ok(row.get::<_, i64>(i)?.max(0) as u64) };
    let started_ms: i64 = row.get(3)?;
    let (banned, invalid, ignored) = (n(10)?, n(8)?, n(9)?);
    Ok(ImportLogEntry {
        id: row.get(0)?,
        source_id: row.get(1)?,
        source_name: row.get(2)?,
        timestamp: Utc
            .timestamp_millis_opt(started_ms)
            .single()
            .unwrap_or_default(),
        duration_ms: n(4)?,
        status: status.parse().unwrap_or(ImportStatus::Failed),
        fetched_bytes: n(6)?,
        valid: n(7)?,
        invalid,
        ignored,
        banned,
        unbanned: n(11)?,
        ips_imported: banned,
        ips_skipped: invalid + ignored,
        errors: serde_json::from_str(&errors).unwrap_or_default(),
    })
}

/// One page of the log, newest first, optionally of one source; and the total.
pub fn list_log(
    conn: &Connection,
    source_id: Option<i64>,
    offset: usize,
    limit: usize,
) -> Result<(Vec<ImportLogEntry>, u64), StoreError> {
    let filter = if source_id.is_some() {
        "WHERE source_id = ?1"
    } else {
        "WHERE ?1 IS NULL"
    };
    let total: i64 = conn.query_row(
        &format!("SELECT COUNT(*) FROM blocklist_import_log {filter}"),
        [source_id],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT id, source_id, source_name, started_ms, duration_ms, status, fetched_bytes,
                valid, invalid, ignored, banned, unbanned, errors
         FROM blocklist_import_log {filter} ORDER BY id DESC LIMIT ?2 OFFSET ?3"
    ))?;
    let rows = stmt.query_map(params![source_id, limit as i64, offset as i64], log_entry)?;
    Ok((rows.collect::<Result<_, _>>()?, total.max(0) as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn fields(name: &str, url: &str) -> SourceFields {
        SourceFields {
            name: name.into(),
            url: url.into(),
            enabled: true,
            format: ListFormat::Auto,
            jail: "blocklist-import".into(),
            max_entries: 10,
            unban_removed: true,
        }
    }

    #[test]
    fn sources_are_unique_by_name_and_url() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                let Saved::Ok(a) = insert_source(c, &fields("a", "http://x/a"), 100)? else {
                    panic!()
                };
                assert_eq!(a.created_at.timestamp(), 100);
                assert_eq!(
                    insert_source(c, &fields("a", "http://x/b"), 1)?,
                    Saved::Duplicate("name")
                );
                assert_eq!(
                    insert_source(c, &fields("b", "http://x/a"), 1)?,
                    Saved::Duplicate("url")
                );
                let Saved::Ok(b) = insert_source(c, &fields("b", "http://x/b"), 1)? else {
                    panic!()
                };
                assert_eq!(
                    update_source(c, b.id, 2, |_| fields("a", "http://x/b"))?,
                    Saved::Duplicate("name")
                );
                let Saved::Ok(b2) = update_source(c, b.id, 2, |s| SourceFields {
                    enabled: false,
                    ..fields(&s.name, &s.url)
                })?
                else {
                    panic!()
                };
                assert!(!b2.enabled);
                assert_eq!(
                    (b2.created_at.timestamp(), b2.updated_at.timestamp()),
                    (1, 2)
                );
                assert_eq!(
                    update_source(c, 99, 2, |_| fields("z", "z"))?,
                    Saved::NotFound
                );
                assert_eq!(list_sources(c)?.len(), 2);
                assert!(delete_source(c, a.id)?);
                assert!(!delete_source(c, a.id)?);
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn entries_log_and_interrupted_runs() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                let Saved::Ok(a) = insert_source(c, &fields("a", "http://x/a"), 1)? else {
                    panic!()
                };
                let nets: Vec<IpNet> = ["192.0.2.1/32", "2001:db8::1/128", "198.51.100.0/24"]
                    .iter()
                    .map(|n| n.parse().unwrap())
                    .collect();
                replace_entries(c, a.id, "blocklist-import", &nets)?;
                let mut stored: Vec<String> =
                    entries(c, a.id)?.into_iter().map(|(ip, _)| ip).collect();
                stored.sort();
                assert_eq!(stored, ["192.0.2.1", "198.51.100.0/24", "2001:db8::1"]);
                assert!(entries_of_others(c, a.id, "blocklist-import")?.is_empty());
                let done = start_log(c, a.id, "a", 1_000)?;
                finish_log(
                    c,
                    done,
                    ImportStatus::Completed,
                    &LogCounts {
                        valid: 2,
                        banned: 2,
                        ..Default::default()
                    },
                    &[],
                    5,
                )?;
                let _crashed = start_log(c, a.id, "a", 2_000)?;
                assert_eq!(fail_interrupted(c)?, vec![a.id]);
                let (page, total) = list_log(c, None, 0, 10)?;
                assert_eq!(total, 2);
                assert_eq!(page[0].status, ImportStatus::Failed);
                assert!(page[0].errors[0].contains("stopped"));
                assert_eq!(page[1].banned, 2);
                assert_eq!(page[1].ips_imported, 2);
                assert_eq!(list_log(c, Some(a.id + 1), 0, 10)?.1, 0);
                // Deleting the source drops its entries and keeps its log.
                delete_source(c, a.id)?;
                assert!(entries(c, a.id)?.is_empty());
                let (page, _) = list_log(c, None, 0, 10)?;
                assert_eq!(page[0].source_id, None);
                assert_eq!(page[0].source_name, "a");
                Ok(())
            })
            .unwrap();
    }
}
