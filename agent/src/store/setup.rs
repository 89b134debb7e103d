//! The setup record: written once, atomically, by `POST /api/v1/setup`.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use super::StoreError;

/// What setup saved. The password is kept only as its argon2id hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupRecord {
    pub password_hash: String,
    pub timezone: String,
    pub session_minutes: i64,
    pub fail2ban_socket: Option<String>,
    pub database_path: Option<String>,
    pub completed_at: String,
}

fn get(conn: &Connection, key: &str) -> Result<Option<String>, StoreError> {
    Ok(conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get::<_, String>(0)
        })
        .optional()?)
}

/// The saved setup, or `None` while setup has not completed.
pub fn load(conn: &Connection) -> Result<Option<SetupRecord>, StoreError> {
    let Some(completed_at) = get(conn, "setup_completed_at")? else {
        return Ok(None);
    };
    let required = |key: &str| -> Result<String, StoreError> {
        get(conn, key)?.ok_or_else(|| StoreError::Task(format!("setup record lacks {key}")))
    };
    Ok(Some(SetupRecord {
        password_hash: required("password_hash")?,
        timezone: required("timezone")?,
        session_minutes: required("session_minutes")?
            .parse()
            .map_err(|_| StoreError::Task("setup record has a bad session_minutes".into()))?,
        fail2ban_socket: get(conn, "fail2ban_socket")?,
        database_path: get(conn, "database_path")?,
        completed_at,
    }))
}

/// Saves the record in one transaction; `false` when setup had already completed (nothing is
/// written then).
pub fn complete(conn: &mut Connection, record: &SetupRecord) -> Result<bool, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    if get(&tx, "setup_completed_at")?.is_some() {
        return Ok(false);
    }
    let session_minutes = record.session_minutes.to_string();
    let values: [(&str, Option<&str>); 6] = [
        ("password_hash", Some(&record.password_hash)),
        ("timezone", Some(&record.timezone)),
        ("session_minutes", Some(&session_minutes)),
        ("fail2ban_socket", record.fail2ban_socket.as_deref()),
        ("database_path", record.database_path.as_deref()),
        ("setup_completed_at", Some(&record.completed_at)),
    ];
    for (key, value) in values {
        if let Some(value) = value {
            tx.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
                [key, value],
            )?;
        }
    }
    tx.commit()?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    fn record() -> SetupRecord {
        SetupRecord {
            password_hash: "$argon2id$...".into(),
            timezone: "Europe/Berlin".into(),
            session_minutes: 480,
            fail2ban_socket: None,
            database_path: Some("/var/lib/fail2ban/fail2ban.sqlite3".into()),
            completed_at: "2026-11-29T00:00:00Z".into(),
        }
    }

    #[test]
    fn setup_is_saved_once() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                assert_eq!(load(c)?, None);
                assert!(complete(c, &record())?);
                assert_eq!(load(c)?, Some(record()));
                let mut other = record();
                other.timezone = "UTC".into();
                assert!(!complete(c, &other)?);
                assert_eq!(load(c)?.unwrap().timezone, "Europe/Berlin");
                Ok(())
            })
            .unwrap();
    }
}
