//! Where an address comes from: lookups in a local MaxMind DB file (the CC0-style
//! geo-whois-asn-country database by default; GeoLite2/GeoIP2 Country, City and ASN files work
//! too). Never a web service. The file is loaded into memory and reloaded when it changes on
//! disk; a missing or broken file leaves every address unknown and says why in `error`.

pub mod countries;
pub mod write;

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::UNIX_EPOCH;

use bangui_shared::models::geo::{GeoDatabaseInfo, GeoDetail};
use chrono::DateTime;
use serde::Deserialize;

use crate::config::AgentConfig;

/// The file name `deploy/*.sh` fetches from the npm package
/// `@ip-location-db/geo-whois-asn-country-mmdb`.
pub const DEFAULT_FILE: &str = "geo-whois-asn-country.mmdb";

/// The geo database, as loaded now.
#[derive(Debug)]
pub struct Geo {
    path: Option<PathBuf>,
    loaded: RwLock<Arc<Loaded>>,
}

/// One load of the file (or the reason there is none).
#[derive(Debug, Default)]
pub struct Loaded {
    reader: Option<maxminddb::Reader<Vec<u8>>>,
    /// Size, mtime and inode: a change means the file was replaced.
    stamp: Option<(u64, i64, u64)>,
    pub info: Option<GeoDatabaseInfo>,
    pub error: Option<String>,
}

/// The fields read from a record; each layout fills some of them.
#[derive(Debug, Default, Deserialize)]
struct Record {
    /// ip-location-db country databases.
    country_code: Option<String>,
    /// GeoLite2/GeoIP2.
    country: Option<Place>,
    registered_country: Option<Place>,
    continent: Option<Place>,
    city: Option<Place>,
    /// GeoLite2-ASN.
    autonomous_system_number: Option<u32>,
    autonomous_system_organization: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
struct Place {
    iso_code: Option<String>,
    code: Option<String>,
    names: Option<Names>,
}

#[derive(Debug, Default, Deserialize)]
struct Names {
    en: Option<String>,
}

impl Geo {
    /// Loads the configured file, or the first default location that exists (see
    /// [`candidates`]). Never fails: problems show in [`Loaded::error`].
    pub fn open(config: &AgentConfig) -> Self {
        let path = match &config.geo.database {
            Some(p) => Some(p.clone()),
            None => candidates(&config.state.dir)
                .into_iter()
                .find(|p| p.is_file()),
        };
        let geo = Self {
            path,
            loaded: RwLock::new(Arc::new(Loaded::default())),
        };
        geo.refresh();
        geo
    }

    /// A database with no file (every address unknown).
    pub fn none() -> Self {
        Self {
            path: None,
            loaded: RwLock::new(Arc::new(Loaded {
                error: Some("no geo database configured".into()),
                ..Loaded::default()
            })),
        }
    }

    /// The current load.
    pub fn current(&self) -> Arc<Loaded> {
        match self.loaded.read() {
            Ok(l) => l.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Reloads the file when it changed on disk (or appeared); `true` when the lookups may
    /// now answer differently.
    pub fn refresh(&self) -> bool {
        let current = self.current();
        let Some(path) = &self.path else {
            if current.error.is_none() {
                self.set(Loaded {
                    error: Some(format!(
                        "no geo database: set [geo] database or install {DEFAULT_FILE} (deploy/run.sh fetches it)"
                    )),
                    ..Loaded::default()
                });
            }
            return false;
        };
        let stamp = file_stamp(path);
        if stamp.is_some() && stamp == current.stamp {
            return false;
        }
        let loaded = match stamp {
            None => Loaded {
                error: Some(format!("geo database {} not found", path.display())),
                ..Loaded::default()
            },
            Some(_) => match maxminddb::Reader::open_readfile(path) {
                Ok(reader) => {
                    let m = reader.metadata();
                    let info = GeoDatabaseInfo {
                        path: path.display().to_string(),
                        name: m.database_type.clone(),
                        build_date: i64::try_from(m.build_epoch)
                            .ok()
                            .and_then(|s| DateTime::from_timestamp(s, 0)),
                        ip_version: m.ip_version,
                    };
                    tracing::info!(path = %path.display(), name = %info.name, "geo database loaded");
                    Loaded {
                        reader: Some(reader),
                        stamp,
                        info: Some(info),
                        error: None,
                    }
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "geo database unusable");
                    Loaded {
                        stamp,
                        error: Some(format!("geo database {}: {e}", path.display())),
                        ..Loaded::default()
                    }
                }
            },
        };
        let changed = loaded.reader.is_some() || current.reader.is_some();
        self.set(loaded);
        changed
    }

    fn set(&self, loaded: Loaded) {
        let loaded = Arc::new(loaded);
        match self.loaded.write() {
            Ok(mut l) => *l = loaded,
            Err(poisoned) => *poisoned.into_inner() = loaded,
        }
    }
}

impl Loaded {
    /// What the database knows about `ip` (all `None` without a database).
    pub fn lookup(&self, ip: IpAddr) -> GeoDetail {
        let record = self
            .reader
            .as_ref()
            .and_then(|r| r.lookup(ip).ok())
            .and_then(|r| r.decode::<Record>().ok().flatten())
            .unwrap_or_default();
        detail(record)
    }

    /// Identifies the loaded file's contents, so the archive notices a new database.
    pub fn fingerprint(&self) -> Option<String> {
        let info = self.info.as_ref()?;
        let (len, mtime, _) = self.stamp?;
        Some(format!(
            "{}|{}|{len}|{mtime}",
            info.name,
            info.build_date.map(|d| d.timestamp()).unwrap_or(0)
        ))
    }
}

fn detail(r: Record) -> GeoDetail {
    let code = r
        .country_code
        .or_else(|| r.country.as_ref().and_then(|c| c.iso_code.clone()))
        .or_else(|| {
            r.registered_country
                .as_ref()
                .and_then(|c| c.iso_code.clone())
        })
        .map(|c| c.to_ascii_uppercase())
        .filter(|c| c.len() == 2);
    let known = code.as_deref().and_then(countries::country);
    let from_db_name = r
        .country
        .as_ref()
        .and_then(|c| c.names.as_ref())
        .and_then(|n| n.en.clone());
    let continent_code = r
        .continent
        .as_ref()
        .and_then(|c| c.code.clone())
        .or_else(|| known.map(|(_, c)| c.to_owned()));
    GeoDetail {
        country_name: known.map(|(n, _)| n.to_owned()).or(from_db_name),
        country_code: code,
        continent_name: continent_code
            .as_deref()
            .and_then(countries::continent_name)
            .map(str::to_owned),
        continent_code,
        asn: r.autonomous_system_number.map(|n| format!("AS{n}")),
        org: r.autonomous_system_organization,
        city: r.city.and_then(|c| c.names).and_then(|n| n.en),
    }
}

/// Where the agent looks for [`DEFAULT_FILE`] when `[geo] database` is not set: the state
/// directory, `/usr/share/bangui`, and `../geo/` beside the binary (`target/geo/` for a build
/// in the work tree, where `deploy/run.sh` and `deploy/test.sh` put it).
pub fn candidates(state_dir: &Path) -> Vec<PathBuf> {
    let mut out = vec![
        state_dir.join(DEFAULT_FILE),
        PathBuf::from("/usr/share/bangui").join(DEFAULT_FILE),
    ];
    if let Some(dir) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(Path::to_owned))
    {
        out.push(dir.join("geo").join(DEFAULT_FILE));
    }
    out
}

fn file_stamp(path: &Path) -> Option<(u64, i64, u64)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    let mtime = m
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64)
        .unwrap_or(0);
    Some((m.len(), mtime, m.ino()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use write::{Value, Writer};

    fn config_with(path: &Path) -> AgentConfig {
        let mut c = AgentConfig::default();
        c.geo.database = Some(path.to_owned());
        c
    }

    #[test]
    fn country_only_and_geolite_layouts_both_resolve() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.mmdb");
        let mut w = Writer::new("test", 1_700_000_000);
        w.insert("192.0.2.0/24".parse().unwrap(), &Writer::country_code("de"));
        let city = Value::Map(vec![
            (
                "country".into(),
                Value::Map(vec![("iso_code".into(), Value::Str("FR".into()))]),
            ),
            (
                "continent".into(),
                Value::Map(vec![("code".into(), Value::Str("EU".into()))]),
            ),
            (
                "city".into(),
                Value::Map(vec![(
                    "names".into(),
                    Value::Map(vec![("en".into(), Value::Str("Paris".into()))]),
                )]),
            ),
            ("autonomous_system_number".into(), Value::U32(3215)),
            (
                "autonomous_system_organization".into(),
                Value::Str("Orange".into()),
            ),
        ]);
        w.insert("2001:db8::/32".parse().unwrap(), &city);
        std::fs::write(&path, w.to_bytes()).unwrap();

        let geo = Geo::open(&config_with(&path));
        let loaded = geo.current();
        assert!(loaded.error.is_none(), "{:?}", loaded.error);
        let de = loaded.lookup("192.0.2.7".parse().unwrap());
        assert_eq!(de.country_code.as_deref(), Some("DE"));
        assert_eq!(de.country_name.as_deref(), Some("Germany"));
        assert_eq!(de.continent_name.as_deref(), Some("Europe"));
        let fr = loaded.lookup("2001:db8::1".parse().unwrap());
        assert_eq!(fr.city.as_deref(), Some("Paris"));
        assert_eq!(fr.asn.as_deref(), Some("AS3215"));
        assert_eq!(fr.org.as_deref(), Some("Orange"));
        assert_eq!(
            loaded.lookup("203.0.113.1".parse().unwrap()),
            GeoDetail::default()
        );

        // Same file: nothing to do. A replaced file is picked up.
        assert!(!geo.refresh());
        let mut w = Writer::new("test", 1_800_000_000);
        w.insert("192.0.2.0/24".parse().unwrap(), &Writer::country_code("AT"));
        std::fs::write(dir.path().join("new.mmdb"), w.to_bytes()).unwrap();
        std::fs::rename(dir.path().join("new.mmdb"), &path).unwrap();
        assert!(geo.refresh());
        let at = geo.current().lookup("192.0.2.7".parse().unwrap());
        assert_eq!(at.country_code.as_deref(), Some("AT"));
    }

    #[test]
    fn missing_or_garbage_files_leave_addresses_unknown() {
        let dir = tempfile::tempdir().unwrap();
        let missing = Geo::open(&config_with(&dir.path().join("none.mmdb")));
        assert!(missing
            .current()
            .error
            .clone()
            .unwrap()
            .contains("not found"));
        let path = dir.path().join("bad.mmdb");
        std::fs::write(&path, b"not a database").unwrap();
        let bad = Geo::open(&config_with(&path));
        assert!(bad.current().error.is_some());
        assert_eq!(
            bad.current().lookup("192.0.2.1".parse().unwrap()),
            GeoDetail::default()
        );
    }
}
