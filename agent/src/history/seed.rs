//! fail2ban's database schema (version 4, as fail2ban 1.0 creates it) and a writer for it: the
//! tests and the benchmark seed real fail2ban database files with it. The agent itself only
//! reads fail2ban's file.

use std::path::{Path, PathBuf};

use rusqlite::{params, Connection};

/// `server/database.py`'s schema, `data` stored as a BLOB as fail2ban's adapter writes it.
pub const SCHEMA: &str = "
    CREATE TABLE fail2banDb(version INTEGER);
    INSERT INTO fail2banDb(version) VALUES (4);
    CREATE TABLE jails(name TEXT NOT NULL UNIQUE, enabled INTEGER NOT NULL DEFAULT 1);
    CREATE INDEX jails_name ON jails(name);
    CREATE TABLE logs(jail TEXT NOT NULL, path TEXT, firstlinemd5 TEXT, lastfilepos INTEGER DEFAULT 0,
      FOREIGN KEY(jail) REFERENCES jails(name) ON DELETE CASCADE, UNIQUE(jail, path),
      UNIQUE(jail, path, firstlinemd5));
    CREATE INDEX logs_path ON logs(path);
    CREATE INDEX logs_jail_path ON logs(jail, path);
    CREATE TABLE bans(jail TEXT NOT NULL, ip TEXT, timeofban INTEGER NOT NULL, bantime INTEGER NOT NULL,
      bancount INTEGER NOT NULL default 1, data JSON, FOREIGN KEY(jail) REFERENCES jails(name) );
    CREATE INDEX bans_jail_timeofban_ip ON bans(jail, timeofban);
    CREATE INDEX bans_jail_ip ON bans(jail, ip);
    CREATE INDEX bans_ip ON bans(ip);
    CREATE TABLE bips(ip TEXT NOT NULL, jail TEXT NOT NULL, timeofban INTEGER NOT NULL,
      bantime INTEGER NOT NULL, bancount INTEGER NOT NULL default 1, data JSON,
      PRIMARY KEY(ip, jail), FOREIGN KEY(jail) REFERENCES jails(name) );
    CREATE INDEX bips_timeofban ON bips(timeofban);
    CREATE INDEX bips_ip ON bips(ip);
";

/// One ban row to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    pub jail: String,
    pub ip: String,
    pub timeofban: i64,
    pub bantime: i64,
    pub bancount: i64,
    /// The `data` JSON text (stored as a BLOB); `None` writes SQL NULL.
    pub data: Option<String>,
}

/// A fail2ban database file opened for writing.
#[derive(Debug)]
pub struct Fail2banDb {
    path: PathBuf,
    conn: Connection,
}

impl Fail2banDb {
    /// Creates the file with fail2ban's schema (or opens an existing one).
    pub fn create(path: &Path) -> Self {
        Self::try_create(path)
            .unwrap_or_else(|e| panic!("cannot create fail2ban db {}: {e}", path.display()))
    }

    pub fn try_create(path: &Path) -> Result<Self, rusqlite::Error> {
        let fresh = !path.exists();
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        if fresh {
            conn.execute_batch(SCHEMA)?;
        }
        Ok(Self {
            path: path.to_owned(),
            conn,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// One ban (`bantime` 600, `bancount` 1).
    pub fn ban(&self, jail: &str, ip: &str, timeofban: i64, data: Option<&str>) {
        self.insert(&[Ban {
            jail: jail.into(),
            ip: ip.into(),
            timeofban,
            bantime: 600,
            bancount: 1,
            data: data.map(str::to_owned),
        }])
        .unwrap_or_else(|e| panic!("cannot write a ban: {e}"));
    }

    /// Writes rows in one transaction, registering their jails.
    pub fn insert(&self, bans: &[Ban]) -> Result<(), rusqlite::Error> {
        let tx = self.conn.unchecked_transaction()?;
        {
            let mut jail = tx.prepare_cached("INSERT OR IGNORE INTO jails (name) VALUES (?1)")?;
            let mut ban = tx.prepare_cached(
                "INSERT INTO bans (jail, ip, timeofban, bantime, bancount, data)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for b in bans {
                jail.execute([&b.jail])?;
                ban.execute(params![
                    b.jail,
                    b.ip,
                    b.timeofban,
                    b.bantime,
                    b.bancount,
                    b.data.as_ref().map(|d| d.as_bytes().to_vec()),
                ])?;
            }
        }
        tx.commit()
    }

    /// Runs SQL on the file (e.g. a purge: `DELETE FROM bans WHERE timeofban < …`).
    pub fn exec(&self, sql: &str) {
        self.conn
            .execute_batch(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// A second connection holding `BEGIN EXCLUSIVE` until dropped, as a busy fail2ban would.
    pub fn lock_exclusive(&self) -> Connection {
        let conn = Connection::open(&self.path).unwrap_or_else(|e| panic!("open: {e}"));
        conn.execute_batch("BEGIN EXCLUSIVE")
            .unwrap_or_else(|e| panic!("lock: {e}"));
        conn
    }
}

/// A temp dir with the agent's store (all migrations) and one archive connection (unit tests).
#[cfg(test)]
pub(crate) fn archive() -> (tempfile::TempDir, Connection) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bangui.db");
    crate::store::Store::open(&path).unwrap();
    let conn = super::open_archive(&path).unwrap();
    (dir, conn)
}
