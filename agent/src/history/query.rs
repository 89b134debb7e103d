//! Reads of the archive. Every count is one SQL aggregate over an index (`history_bans_time`
//! holds time, jail, country and address, so counts never touch the table); a page of items
//! is one joined query. The dashboard and the history build their filters the same way.

use bangui_shared::models::dashboard::{CountryCount, JailCount};
use bangui_shared::models::geo::GeoDetail;
use bangui_shared::models::history::{
    BanItem, IpTimelineEvent, Origin, OriginFilter, BLOCKLIST_JAIL,
};
use bangui_shared::pagination::PageRequest;
use bangui_shared::timerange::{Bucket, Window};
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension, Row};

use super::data;
use crate::geo::countries;

/// A prefix matching at most this many addresses is looked up address by address.
const FEW_ADDRESSES: i64 = 5000;

/// Which archived bans a query covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub window: Window,
    pub jail: Option<String>,
    pub origin: OriginFilter,
    /// Lower-case start of the address.
    pub ip_prefix: Option<String>,
}

impl Filter {
    /// `WHERE` terms over `history_bans b`, with their parameters.
    fn sql(&self) -> (String, Vec<Value>) {
        self.sql_terms(true)
    }

    /// The index to drive a query by: `leading` without an address filter (the time index
    /// for lists and counts; for a `GROUP BY`, an index starting with the group column and
    /// covering the other filters, so groups stream out with no temporary tree). A prefix
    /// matching few addresses is driven by each address's bans; one matching many, by time
    /// (the only other index holding `ip_id`).
    fn index(
        &self,
        conn: &Connection,
        leading: &'static str,
    ) -> Result<&'static str, rusqlite::Error> {
        let Some(prefix) = &self.ip_prefix else {
            return Ok(leading);
        };
        let n: i64 = conn
            .prepare_cached(
                "SELECT COUNT(*) FROM
                 (SELECT 1 FROM history_ips WHERE ip >= ?1 AND ip < ?2 LIMIT ?3)",
            )?
            .query_row(
                rusqlite::params![prefix, format!("{prefix}\u{7f}"), FEW_ADDRESSES + 1],
                |r| r.get(0),
            )?;
        Ok(if n <= FEW_ADDRESSES {
            "history_bans_event"
        } else {
            "history_bans_time"
        })
    }

    fn sql_terms(&self, with_window: bool) -> (String, Vec<Value>) {
        let mut terms = vec!["1".to_owned()];
        let mut args = Vec::new();
        if with_window && self.window != Window::ALL_TIME {
            terms.push("b.timeofban BETWEEN ? AND ?".into());
            args.push(Value::Integer(self.window.since));
            args.push(Value::Integer(self.window.until));
        }
        let jail_id = "(SELECT id FROM history_jails WHERE name = ?)";
        if let Some(jail) = &self.jail {
            terms.push(format!("b.jail_id = {jail_id}"));
            args.push(Value::Text(jail.clone()));
        }
        match self.origin {
            OriginFilter::All => {}
            OriginFilter::Blocklist => terms.push(format!("b.jail_id = {jail_id}")),
            OriginFilter::Selfblock => terms.push(format!("b.jail_id IS NOT {jail_id}")),
        }
        if self.origin != OriginFilter::All {
            args.push(Value::Text(BLOCKLIST_JAIL.into()));
        }
        if let Some(prefix) = &self.ip_prefix {
            // Every address starting with the prefix sorts below prefix + DEL (addresses are
            // ASCII below 0x7f): an index range on history_ips.ip.
            terms.push("b.ip_id IN (SELECT id FROM history_ips WHERE ip >= ? AND ip < ?)".into());
            args.push(Value::Text(prefix.clone()));
            args.push(Value::Text(format!("{prefix}\u{7f}")));
        }
        (terms.join(" AND "), args)
    }
}

fn when(t: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(t, 0).unwrap_or_default()
}

/// Fills the names the database does not store.
pub fn geo_detail(
    country_code: Option<String>,
    continent_code: Option<String>,
    asn: Option<String>,
    org: Option<String>,
    city: Option<String>,
) -> GeoDetail {
    let known = country_code.as_deref().and_then(countries::country);
    let continent_code = continent_code.or_else(|| known.map(|(_, c)| c.to_owned()));
    GeoDetail {
        country_name: known.map(|(n, _)| n.to_owned()),
        continent_name: continent_code
            .as_deref()
            .and_then(countries::continent_name)
            .map(str::to_owned),
        country_code,
        continent_code,
        asn,
        org,
        city,
    }
}

/// How many bans match.
pub fn count(conn: &Connection, f: &Filter) -> Result<u64, rusqlite::Error> {
    let (cond, args) = f.sql();
    let index = f.index(conn, "history_bans_time")?;
    conn.prepare_cached(&format!(
        "SELECT COUNT(*) FROM history_bans b INDEXED BY {index} WHERE {cond}"
    ))?
    .query_row(params_from_iter(args), |r| r.get::<_, i64>(0))
    .map(|n| n.max(0) as u64)
}

/// One page of matching bans, newest first, and the total.
pub fn page(
    conn: &Connection,
    f: &Filter,
    page: PageRequest,
) -> Result<(Vec<BanItem>, u64), rusqlite::Error> {
    let total = count(conn, f)?;
    let (cond, mut args) = f.sql();
    args.push(Value::Integer(i64::from(page.page_size)));
    args.push(Value::Integer(
        i64::try_from(page.offset()).unwrap_or(i64::MAX),
    ));
    // The ORDER BY is exactly history_bans_time reversed, so a page costs no sort (unless a
    // few addresses drive the query; their bans are then sorted).
    let index = f.index(conn, "history_bans_time")?;
    let sql = format!(
        "SELECT b.timeofban, j.name, i.ip, b.bantime, b.bancount, b.failures, b.matches,
                b.service, i.country_code, i.asn, i.org
         FROM history_bans b INDEXED BY {index}
         JOIN history_jails j ON j.id = b.jail_id
         JOIN history_ips i ON i.id = b.ip_id
         WHERE {cond}
         ORDER BY b.timeofban DESC, b.jail_id DESC, b.country_code DESC, b.ip_id DESC
         LIMIT ? OFFSET ?"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let items = stmt
        .query_map(params_from_iter(args), ban_item)?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((items, total))
}

fn ban_item(r: &Row<'_>) -> Result<BanItem, rusqlite::Error> {
    let jail: String = r.get(1)?;
    let country_code: Option<String> = r.get(8)?;
    Ok(BanItem {
        ip: r.get(2)?,
        banned_at: when(r.get(0)?),
        ban_seconds: r.get(3)?,
        ban_count: r.get::<_, i64>(4)?.max(1) as u64,
        failures: r.get::<_, i64>(5)?.max(0) as u64,
        matches: data::lines(r.get::<_, Option<String>>(6)?.as_deref()),
        service: r.get(7)?,
        origin: Origin::of_jail(&jail),
        country_name: country_code
            .as_deref()
            .and_then(countries::country)
            .map(|(n, _)| n.to_owned()),
        country_code,
        asn: r.get(9)?,
        org: r.get(10)?,
        jail,
    })
}

/// Bans per country (`None` = unknown), most first.
pub fn by_country(conn: &Connection, f: &Filter) -> Result<Vec<CountryCount>, rusqlite::Error> {
    let (cond, args) = f.sql();
    let sql = format!(
        "SELECT b.country_code, COUNT(*) AS n FROM history_bans b INDEXED BY {}
         WHERE {cond} GROUP BY b.country_code ORDER BY n DESC, b.country_code",
        f.index(conn, "history_bans_country")?
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| {
        let code: Option<String> = r.get(0)?;
        Ok(CountryCount {
            country_name: code
                .as_deref()
                .and_then(countries::country)
                .map(|(n, _)| n.to_owned()),
            country_code: code,
            count: r.get::<_, i64>(1)?.max(0) as u64,
        })
    })?;
    rows.collect()
}

/// Bans per jail, most first.
pub fn by_jail(conn: &Connection, f: &Filter) -> Result<Vec<JailCount>, rusqlite::Error> {
    let (cond, args) = f.sql();
    let sql = format!(
        "SELECT j.name, c.n FROM
           (SELECT b.jail_id, COUNT(*) AS n FROM history_bans b INDEXED BY {}
            WHERE {cond} GROUP BY b.jail_id) c
         JOIN history_jails j ON j.id = c.jail_id
         ORDER BY c.n DESC, j.name",
        f.index(conn, "history_bans_jail")?
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(params_from_iter(args), |r| {
        Ok(JailCount {
            jail: r.get(0)?,
            count: r.get::<_, i64>(1)?.max(0) as u64,
        })
    })?;
    rows.collect()
}

/// Bans per bucket, in bucket order: one statement of one index range count per bucket.
pub fn trend(
    conn: &Connection,
    f: &Filter,
    buckets: &[Bucket],
) -> Result<Vec<u64>, rusqlite::Error> {
    if buckets.is_empty() {
        return Ok(Vec::new());
    }
    // The bucket bounds already hold the window; a second range on timeofban would make
    // SQLite scan the whole window for every bucket.
    let (cond, args) = f.sql_terms(false);
    let index = f.index(conn, "history_bans_time")?;
    // The bounds are integers computed here, not input, so they are written into the SQL.
    let columns: Vec<String> = buckets
        .iter()
        .map(|b| {
            let (lo, hi) = b.clamped(f.window);
            format!(
                "(SELECT COUNT(*) FROM history_bans b INDEXED BY {index}
                  WHERE b.timeofban >= {lo} AND b.timeofban < {hi} AND {cond})"
            )
        })
        .collect();
    let all_args: Vec<Value> = (0..buckets.len()).flat_map(|_| args.clone()).collect();
    let mut stmt = conn.prepare(&format!("SELECT {}", columns.join(", ")))?;
    stmt.query_row(params_from_iter(all_args), |r| {
        (0..buckets.len())
            .map(|i| Ok(r.get::<_, i64>(i)?.max(0) as u64))
            .collect()
    })
}

/// An archived address's row: id and geo answer.
pub fn address(conn: &Connection, ip: &str) -> Result<Option<(i64, GeoDetail)>, rusqlite::Error> {
    conn.prepare_cached(
        "SELECT id, country_code, continent_code, asn, org, city FROM history_ips WHERE ip = ?1",
    )?
    .query_row([ip], |r| {
        Ok((
            r.get(0)?,
            geo_detail(r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?),
        ))
    })
    .optional()
}

/// Totals of one address: bans, failures, first and last ban time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressTotals {
    pub bans: u64,
    pub failures: u64,
    pub first: i64,
    pub last: i64,
}

pub fn address_totals(conn: &Connection, ip_id: i64) -> Result<AddressTotals, rusqlite::Error> {
    conn.prepare_cached(
        "SELECT COUNT(*), COALESCE(SUM(failures), 0), COALESCE(MIN(timeofban), 0),
                COALESCE(MAX(timeofban), 0)
         FROM history_bans WHERE ip_id = ?1",
    )?
    .query_row([ip_id], |r| {
        Ok(AddressTotals {
            bans: r.get::<_, i64>(0)?.max(0) as u64,
            failures: r.get::<_, i64>(1)?.max(0) as u64,
            first: r.get(2)?,
            last: r.get(3)?,
        })
    })
}

/// The newest `limit` bans of one address, and the jails that ever banned it.
pub fn timeline(
    conn: &Connection,
    ip_id: i64,
    limit: u32,
) -> Result<(Vec<IpTimelineEvent>, Vec<String>), rusqlite::Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT b.timeofban, j.name, b.bantime, b.bancount, b.failures, b.matches, b.service
         FROM history_bans b JOIN history_jails j ON j.id = b.jail_id
         WHERE b.ip_id = ?1 ORDER BY b.timeofban DESC, j.name LIMIT ?2",
    )?;
    let events = stmt
        .query_map(rusqlite::params![ip_id, limit], |r| {
            let jail: String = r.get(1)?;
            let at: i64 = r.get(0)?;
            let secs: i64 = r.get(2)?;
            Ok(IpTimelineEvent {
                banned_at: when(at),
                ban_seconds: secs,
                expires_at: (secs >= 0).then(|| when(at.saturating_add(secs))),
                ban_count: r.get::<_, i64>(3)?.max(1) as u64,
                failures: r.get::<_, i64>(4)?.max(0) as u64,
                matches: data::lines(r.get::<_, Option<String>>(5)?.as_deref()),
                service: r.get(6)?,
                origin: Origin::of_jail(&jail),
                jail,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut stmt = conn.prepare_cached(
        "SELECT j.name FROM history_jails j
         WHERE j.id IN (SELECT jail_id FROM history_bans WHERE ip_id = ?1) ORDER BY j.name",
    )?;
    let jails = stmt
        .query_map([ip_id], |r| r.get(0))?
        .collect::<Result<Vec<_>, _>>()?;
    Ok((events, jails))
}

/// (addresses with a country, addresses in all).
pub fn geo_counts(conn: &Connection) -> Result<(u64, u64), rusqlite::Error> {
    conn.prepare_cached("SELECT COUNT(country_code), COUNT(*) FROM history_ips")?
        .query_row([], |r| {
            Ok((
                r.get::<_, i64>(0)?.max(0) as u64,
                r.get::<_, i64>(1)?.max(0) as u64,
            ))
        })
}
