//! Looking archived addresses up again: on `POST /api/v1/geo/re-resolve`, and by the sync when
//! the geo database file changed. A changed country is copied into the address's bans, which
//! the aggregates read.

use std::net::IpAddr;

use bangui_shared::models::geo::{GeoDetail, GeoReResolveResponse};
use rusqlite::{params, Connection};

use super::sync::{get_state, set_state};
use crate::geo::Loaded;

/// Addresses handled per transaction.
const CHUNK: i64 = 10_000;

/// Looks every archived address up in `geo`.
pub fn all(
    archive: &mut Connection,
    geo: &Loaded,
) -> Result<GeoReResolveResponse, rusqlite::Error> {
    let mut out = GeoReResolveResponse {
        resolved: 0,
        unresolved: 0,
        total: 0,
        changed: 0,
    };
    let mut after = 0i64;
    loop {
        let tx = archive.transaction()?;
        let rows: Vec<(i64, String, GeoDetail)> = {
            let mut stmt = tx.prepare_cached(
                "SELECT id, ip, country_code, continent_code, asn, org, city FROM history_ips
                 WHERE id > ?1 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt.query_map(params![after, CHUNK], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    GeoDetail {
                        country_code: r.get(2)?,
                        continent_code: r.get(3)?,
                        asn: r.get(4)?,
                        org: r.get(5)?,
                        city: r.get(6)?,
                        ..GeoDetail::default()
                    },
                ))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let Some((last, _, _)) = rows.last() else {
            break;
        };
        after = *last;
        for (id, ip, old) in &rows {
            let new = ip
                .parse::<IpAddr>()
                .map(|a| geo.lookup(a))
                .unwrap_or_default();
            out.total += 1;
            if new.country_code.is_some() {
                out.resolved += 1;
            } else {
                out.unresolved += 1;
            }
            let same = new.country_code == old.country_code
                && new.continent_code == old.continent_code
                && new.asn == old.asn
                && new.org == old.org
                && new.city == old.city;
            if same {
                continue;
            }
            out.changed += 1;
            tx.prepare_cached(
                "UPDATE history_ips SET country_code = ?2, continent_code = ?3, asn = ?4,
                 org = ?5, city = ?6 WHERE id = ?1",
            )?
            .execute(params![
                id,
                new.country_code,
                new.continent_code,
                new.asn,
                new.org,
                new.city
            ])?;
            if new.country_code != old.country_code {
                tx.prepare_cached("UPDATE history_bans SET country_code = ?2 WHERE ip_id = ?1")?
                    .execute(params![id, new.country_code])?;
            }
        }
        tx.commit()?;
    }
    if let Some(fp) = geo.fingerprint() {
        set_state(archive, "geo_fingerprint", &fp)?;
    }
    Ok(out)
}

/// Re-resolves everything when the loaded geo database is not the one the archive was
/// resolved with; returns how many addresses were looked up.
pub fn after_geo_change(archive: &mut Connection, geo: &Loaded) -> Result<u64, rusqlite::Error> {
    let Some(fp) = geo.fingerprint() else {
        return Ok(0);
    };
    if get_state(archive, "geo_fingerprint")?.as_deref() == Some(fp.as_str()) {
        return Ok(0);
    }
    let done = all(archive, geo)?;
    tracing::info!(
        total = done.total,
        changed = done.changed,
        "archived addresses resolved with a new geo database"
    );
    Ok(done.total)
}
