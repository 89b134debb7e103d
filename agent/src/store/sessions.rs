//! Session rows: one per live login, keyed by the SHA-256 of the session secret.

use rusqlite::{params, Connection};

use super::StoreError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub key: String,
    pub created_at: i64,
    pub expires_at: i64,
}

/// A new login ends every older session: one transaction removes them and adds the new one.
pub fn replace_all(
    conn: &mut Connection,
    row: &SessionRow,
    client_ip: Option<&str>,
) -> Result<(), StoreError> {
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM sessions", [])?;
    tx.execute(
        "INSERT INTO sessions (key, created_at, expires_at, client_ip) VALUES (?1, ?2, ?3, ?4)",
        params![row.key, row.created_at, row.expires_at, client_ip],
    )?;
    tx.commit()?;
    Ok(())
}

pub fn delete(conn: &Connection, key: &str) -> Result<bool, StoreError> {
    Ok(conn.execute("DELETE FROM sessions WHERE key = ?1", [key])? > 0)
}

/// Sessions that have not expired at `now` (Unix seconds).
pub fn live(conn: &Connection, now: i64) -> Result<Vec<SessionRow>, StoreError> {
    let mut stmt = conn
        .prepare_cached("SELECT key, created_at, expires_at FROM sessions WHERE expires_at > ?1")?;
    let rows = stmt.query_map([now], |r| {
        Ok(SessionRow {
            key: r.get(0)?,
            created_at: r.get(1)?,
            expires_at: r.get(2)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

pub fn purge_expired(conn: &Connection, now: i64) -> Result<usize, StoreError> {
    Ok(conn.execute("DELETE FROM sessions WHERE expires_at <= ?1", [now])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn row(key: &str, expires_at: i64) -> SessionRow {
        SessionRow {
            key: key.into(),
            created_at: 0,
            expires_at,
        }
    }

    #[test]
    fn login_replaces_older_sessions_and_expiry_purges() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                replace_all(c, &row("a", 100), Some("192.0.2.1"))?;
                replace_all(c, &row("b", 50), None)?;
                assert_eq!(live(c, 10)?, vec![row("b", 50)]);
                assert_eq!(purge_expired(c, 60)?, 1);
                assert!(live(c, 10)?.is_empty());
                assert!(!delete(c, "b")?);
                Ok(())
            })
            .unwrap();
    }
}
