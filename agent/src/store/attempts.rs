//! Login attempts per client address, kept in the database so a restart does not reset the
//! brute-force limits.

use rusqlite::{params, Connection};

use super::StoreError;

/// Records an attempt and returns its id (for [`mark_ok`]).
pub fn record(conn: &Connection, client: &str, at_ms: i64, ok: bool) -> Result<i64, StoreError> {
    conn.prepare_cached("INSERT INTO login_attempts (client, at_ms, ok) VALUES (?1, ?2, ?3)")?
        .execute(params![client, at_ms, ok])?;
    Ok(conn.last_insert_rowid())
}

/// Marks a recorded attempt as successful.
pub fn mark_ok(conn: &Connection, id: i64) -> Result<(), StoreError> {
    conn.execute("UPDATE login_attempts SET ok = 1 WHERE rowid = ?1", [id])?;
    Ok(())
}

/// Times (ms) of the client's attempts since `since_ms`, oldest first.
pub fn since(conn: &Connection, client: &str, since_ms: i64) -> Result<Vec<i64>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at_ms FROM login_attempts WHERE client = ?1 AND at_ms >= ?2 ORDER BY at_ms",
    )?;
    let rows = stmt.query_map(params![client, since_ms], |r| r.get(0))?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Failures since the client's last success (looking back to `since_ms`).
pub fn consecutive_failures(
    conn: &Connection,
    client: &str,
    since_ms: i64,
) -> Result<u32, StoreError> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT COUNT(*) FROM login_attempts
             WHERE client = ?1 AND ok = 0 AND at_ms >= ?2
               AND at_ms > COALESCE(
                   (SELECT MAX(at_ms) FROM login_attempts WHERE client = ?1 AND ok = 1), 0)",
        )?
        .query_row(params![client, since_ms], |r| r.get(0))?;
    Ok(n.max(0) as u32)
}

pub fn purge_before(conn: &Connection, before_ms: i64) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM login_attempts WHERE at_ms < ?1", [before_ms])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn failures_count_from_the_last_success() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                record(c, "a", 1, false)?;
                let id = record(c, "a", 2, false)?;
                mark_ok(c, id)?;
                record(c, "a", 3, false)?;
                record(c, "a", 4, false)?;
                record(c, "b", 5, false)?;
                assert_eq!(consecutive_failures(c, "a", 0)?, 2);
                assert_eq!(consecutive_failures(c, "b", 0)?, 1);
                assert_eq!(since(c, "a", 2)?, vec![2, 3, 4]);
                assert_eq!(purge_before(c, 3)?, 2);
                Ok(())
            })
            .unwrap();
    }
}
