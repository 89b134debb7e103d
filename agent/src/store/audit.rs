//! The append-only audit log of write requests (the table refuses UPDATE and DELETE).

use rusqlite::{params, Connection};

use super::StoreError;

/// One audited request. Never holds a password, a token or a session secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: String,
    pub client_ip: Option<String>,
    /// `session:<first 12 hex of the session key>`, `anonymous`, or a certificate identity.
    pub actor: String,
    pub method: String,
    pub route: String,
    pub target: Option<String>,
    pub status: u16,
    pub code: Option<String>,
    pub correlation_id: String,
}

pub fn append(conn: &Connection, e: &AuditEntry) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO audit_log (at, client_ip, actor, method, route, target, status, code, correlation_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        e.at,
        e.client_ip,
        e.actor,
        e.method,
        e.route,
        e.target,
        e.status,
        e.code,
        e.correlation_id
    ])?;
    Ok(())
}

/// The newest `limit` entries, newest first.
pub fn recent(conn: &Connection, limit: u32) -> Result<Vec<AuditEntry>, StoreError> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, client_ip, actor, method, route, target, status, code, correlation_id
         FROM audit_log ORDER BY id DESC LIMIT ?1",
    )?;
    let rows = stmt.query_map([limit], |r| {
        Ok(AuditEntry {
            at: r.get(0)?,
            client_ip: r.get(1)?,
            actor: r.get(2)?,
            method: r.get(3)?,
            route: r.get(4)?,
            target: r.get(5)?,
            status: r.get(6)?,
            code: r.get(7)?,
            correlation_id: r.get::<_, Option<String>>(8)?.unwrap_or_default(),
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Store;

    #[test]
    fn entries_cannot_be_changed_or_removed() {
        let store = Store::open_in_memory().unwrap();
        store
            .run_blocking(|c| {
                let e = AuditEntry {
                    at: "2026-11-29T00:00:00Z".into(),
                    client_ip: Some("127.0.0.1".into()),
                    actor: "anonymous".into(),
                    method: "POST".into(),
                    route: "/api/v1/bans".into(),
                    target: Some("ip=192.0.2.1 jail=sshd".into()),
                    status: 201,
                    code: None,
                    correlation_id: "x".into(),
                };
                append(c, &e)?;
                assert_eq!(recent(c, 10)?, vec![e]);
                assert!(c.execute("UPDATE audit_log SET status = 1", []).is_err());
                assert!(c.execute("DELETE FROM audit_log", []).is_err());
                Ok(())
            })
            .unwrap();
    }
}
