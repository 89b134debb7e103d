//! App settings kept as JSON values in the `settings` key/value table (map colour thresholds
//! and the like), plus the store's own health check.

use rusqlite::{Connection, OptionalExtension};
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::StoreError;

/// Key of the world map's colour thresholds.
pub const MAP_COLOR_THRESHOLDS: &str = "map_color_thresholds";

/// The value saved under `key`, `None` when never set. A value that no longer parses is
/// reported as an error rather than silently replaced.
pub fn get_json<T: DeserializeOwned>(
    conn: &Connection,
    key: &str,
) -> Result<Option<T>, StoreError> {
    let text: Option<String> = conn
        .query_row("SELECT value FROM settings WHERE key = ?1", [key], |r| {
            r.get(0)
        })
        .optional()?;
    text.map(|t| {
        serde_json::from_str(&t)
            .map_err(|e| StoreError::Task(format!("setting {key} is not valid: {e}")))
    })
    .transpose()
}

/// Saves `value` under `key`, replacing what was there.
pub fn set_json<T: Serialize>(conn: &Connection, key: &str, value: &T) -> Result<(), StoreError> {
    let text = serde_json::to_string(value)
        .map_err(|e| StoreError::Task(format!("cannot encode setting {key}: {e}")))?;
    conn.execute(
        "INSERT OR REPLACE INTO settings (key, value) VALUES (?1, ?2)",
        [key, &text],
    )?;
    Ok(())
}

/// The result of SQLite's `PRAGMA quick_check` (`"ok"` when healthy) and the schema version.
pub fn health(conn: &Connection) -> Result<(String, i64), StoreError> {
    let mut stmt = conn.prepare("PRAGMA quick_check")?;
    let problems: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))?
        .collect::<Result<_, _>>()?;
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    Ok((problems.join("; "), version))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn json_values_round_trip_and_replace() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                assert_eq!(get_json::<Vec<u32>>(c, "k")?, None);
                set_json(c, "k", &vec![1u32, 2])?;
                set_json(c, "k", &vec![3u32])?;
                assert_eq!(get_json::<Vec<u32>>(c, "k")?, Some(vec![3]));
                c.execute("UPDATE settings SET value = 'nope' WHERE key = 'k'", [])?;
                assert!(get_json::<Vec<u32>>(c, "k").is_err());
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn a_fresh_store_is_healthy() {
        let store = Store::open_in_memory().unwrap();
        let (check, version) = store.run_blocking(|c| health(c)).unwrap();
        assert_eq!(check, "ok");
        assert!(version >= 1);
    }
}
