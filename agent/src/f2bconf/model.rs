//! What the API shows of jails, filters and actions, read with fail2ban's semantics: the
//! effective value of each setting and the file and line that set it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bangui_shared::models::config_files::{
    ActionConfig, ActionSummary, BantimeIncrementConfig, ConfigFileEntry, ConfigOrigin,
    ConfigReference, ConfigSetting, FilterConfig, FilterSummary, JailConfigDetail,
    JailConfigSummary, ValueSource,
};
use indexmap::IndexMap;

use super::files::{ConfigFiles, Kind, Version};
use super::merged::{Merged, Vars};
use super::options::{extract_options, split_with_options, splitwords};
use super::pyrepr::PyVal;
use super::stream::{Reader, StreamError};

/// Jail keys reported in a jail's detail even when only DEFAULT sets them.
const JAIL_KEYS: &[&str] = &[
    "enabled",
    "filter",
    "action",
    "logpath",
    "backend",
    "maxretry",
    "maxmatches",
    "findtime",
    "bantime",
    "bantime.increment",
    "bantime.factor",
    "bantime.formula",
    "bantime.multipliers",
    "bantime.maxtime",
    "bantime.rndtime",
    "bantime.overalljails",
    "ignoreip",
    "ignoreself",
    "ignorecommand",
    "port",
    "protocol",
    "usedns",
    "logencoding",
    "logtimezone",
    "datepattern",
    "journalmatch",
    "maxlines",
    "banaction",
    "banaction_allports",
    "chain",
];

fn rel(dir: &Path, p: &Path) -> String {
    p.strip_prefix(dir)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| p.display().to_string())
}

fn origin_of(files: &[String], agent_file: &str) -> ConfigOrigin {
    if files.iter().any(|f| f.ends_with(".conf")) {
        ConfigOrigin::Shipped
    } else if !files.is_empty() && files.iter().all(|f| f == agent_file) {
        ConfigOrigin::Agent
    } else {
        ConfigOrigin::Local
    }
}

fn defined_in(cfg: &Merged, dir: &Path, section: &str) -> Vec<String> {
    cfg.section_files
        .get(section)
        .map(|idx| {
            idx.iter()
                .filter_map(|i| cfg.files.get(*i))
                .map(|p| rel(dir, p))
                .collect()
        })
        .unwrap_or_default()
}

/// One setting of `section` with its source.
pub fn setting(cfg: &Merged, dir: &Path, section: &str, key: &str) -> Option<ConfigSetting> {
    let own = cfg.sections.get(section).and_then(|s| s.get(key));
    let (raw, from) = match own {
        Some(s) => (s, section),
        None => (cfg.defaults.get(key)?, "DEFAULT"),
    };
    Some(ConfigSetting {
        key: key.to_owned(),
        value: cfg.get(section, key, &Vars::new()).ok(),
        raw: raw.value.clone(),
        source: raw.origin.and_then(|o| {
            cfg.files.get(o.file).map(|p| ValueSource {
                file: rel(dir, p),
                line: o.line as u64,
                section: from.to_owned(),
            })
        }),
    })
}

fn reference(text: &str) -> Option<ConfigReference> {
    let (name, params) = extract_options(text.trim()).ok()?;
    Some(ConfigReference {
        name: name.trim().to_owned(),
        params: params.into_iter().collect::<BTreeMap<_, _>>(),
    })
}

/// Filter and action names a jail refers to (plain interpolation; no filter/action reading).
fn jail_refs(cfg: &Merged, jail: &str) -> (Option<String>, Vec<String>) {
    let none = Vars::new();
    let filter = cfg
        .get(jail, "filter", &none)
        .ok()
        .filter(|f| !f.trim().is_empty())
        .and_then(|f| reference(&f))
        .map(|r| r.name);
    let actions = cfg
        .get(jail, "action", &none)
        .map(|a| {
            split_with_options(&a)
                .iter()
                .filter_map(|s| reference(s))
                .map(|r| r.name)
                .collect()
        })
        .unwrap_or_default();
    (filter, actions)
}

fn is_enabled(cfg: &Merged, jail: &str) -> bool {
    cfg.get(jail, "enabled", &Vars::new())
        .map(|v| super::options::as_bool(&v))
        .unwrap_or(false)
}

/// `GET /config/jails`: every jail section, enabled or not.
pub fn jail_list(
    reader: &mut Reader,
    files: &ConfigFiles,
    running: &[String],
) -> Result<Vec<JailConfigSummary>, StreamError> {
    let dir = reader.tree().dir().to_path_buf();
    let names = reader.jail_names()?;
    let cfg = reader.jail_config()?;
    let none = Vars::new();
    Ok(names
        .iter()
        .map(|name| {
            let agent_file = format!("jail.d/{name}.local");
            let defined = defined_in(cfg, &dir, name);
            JailConfigSummary {
                name: name.clone(),
                enabled: is_enabled(cfg, name),
                running: running.contains(name),
                filter: jail_refs(cfg, name).0,
                backend: cfg.get(name, "backend", &none).ok(),
                origin: origin_of(&defined, &agent_file),
                has_agent_file: files.dir().join(&agent_file).is_file(),
                defined_in: defined,
            }
        })
        .collect())
}

fn py_str(v: Option<&PyVal>) -> Option<String> {
    v.and_then(PyVal::to_py_str)
}

/// `GET /config/jails/{name}`; `None` when there is no such section.
pub fn jail_detail(
    reader: &mut Reader,
    files: &ConfigFiles,
    name: &str,
    running: &[String],
) -> Result<Option<JailConfigDetail>, StreamError> {
    if !reader.jail_names()?.iter().any(|n| n == name) {
        return Ok(None);
    }
    let dir = reader.tree().dir().to_path_buf();
    let read = reader.read_jail(name, true);
    let cfg = reader.jail_config()?.clone();
    let (opts, filter, actions, config_error) = match read {
        Ok(j) => (j.options, j.filter, j.actions, j.config_error),
        Err(e) => (IndexMap::new(), None, Vec::new(), Some(e.to_string())),
    };
    let plain = |key: &str| cfg.get(name, key, &Vars::new()).ok();
    let text = |key: &str| py_str(opts.get(key)).or_else(|| plain(key));
    let boolean = |key: &str| match opts.get(key) {
        Some(PyVal::Bool(b)) => Some(*b),
        _ => plain(key).map(|v| super::options::as_bool(&v)),
    };
    let mut keys: Vec<String> = cfg
        .sections
        .get(name)
        .map(|s| {
            s.keys()
                .filter(|k| !k.starts_with("known/"))
                .cloned()
                .collect()
        })
        .unwrap_or_default();
    for k in JAIL_KEYS {
        if !keys.iter().any(|x| x == k) && cfg.raw(name, k).is_some() {
            keys.push((*k).to_owned());
        }
    }
    let settings = keys
        .iter()
        .filter_map(|k| setting(&cfg, &dir, name, k))
        .collect();
    let agent_file = format!("jail.d/{name}.local");
    let defined = defined_in(&cfg, &dir, name);
    let to_ref = |r: &super::stream::Reference| ConfigReference {
        name: r.name.clone(),
        params: r.params.clone().into_iter().collect(),
    };
    let filter = filter.as_ref().map(to_ref).or_else(|| {
        plain("filter")
            .and_then(|f| reference(&f))
            .filter(|r| !r.name.is_empty())
    });
    let actions = if actions.is_empty() {
        plain("action")
            .map(|a| {
                split_with_options(&a)
                    .iter()
                    .filter_map(|s| reference(s))
                    .collect()
            })
            .unwrap_or_default()
    } else {
        actions.iter().map(to_ref).collect()
    };
    Ok(Some(JailConfigDetail {
        name: name.to_owned(),
        enabled: is_enabled(&cfg, name),
        running: running.iter().any(|r| r == name),
        origin: origin_of(&defined, &agent_file),
        filter,
        actions,
        log_paths: text("logpath")
            .map(|v| {
                v.split('\n')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default(),
        backend: text("backend"),
        max_retry: match opts.get("maxretry") {
            Some(PyVal::Int(i)) => Some(*i),
            _ => plain("maxretry").and_then(|v| super::options::py_int(&v)),
        },
        find_time: text("findtime"),
        ban_time: text("bantime"),
        bantime_increment: BantimeIncrementConfig {
            increment: boolean("bantime.increment"),
            factor: text("bantime.factor"),
            formula: text("bantime.formula"),
            multipliers: text("bantime.multipliers"),
            max_time: text("bantime.maxtime"),
            rnd_time: text("bantime.rndtime"),
            overall_jails: boolean("bantime.overalljails"),
        },
        ignore_ip: text("ignoreip").map(|v| splitwords(&v)).unwrap_or_default(),
        port: plain("port"),
        protocol: plain("protocol"),
        settings,
        has_agent_file: files.dir().join(&agent_file).is_file(),
        can_rollback: files
            .version(Kind::Jail, name, Version::Previous)
            .ok()
            .flatten()
            .is_some(),
        agent_file,
        defined_in: defined,
        config_error,
    }))
}

/// `GET /config/jails/{name}/files`.
pub fn jail_files(
    reader: &mut Reader,
    files: &ConfigFiles,
    name: &str,
) -> Result<Option<Vec<ConfigFileEntry>>, StreamError> {
    if !reader.jail_names()?.iter().any(|n| n == name) {
        return Ok(None);
    }
    let dir = reader.tree().dir().to_path_buf();
    let cfg = reader.jail_config()?;
    let agent_file = format!("jail.d/{name}.local");
    let defining = cfg.section_files.get(name).cloned().unwrap_or_default();
    let mut out = Vec::new();
    for (i, path) in cfg.files.iter().enumerate() {
        let mut keys: Vec<String> = cfg
            .sections
            .get(name)
            .map(|s| {
                s.iter()
                    .filter(|(_, v)| v.origin.is_some_and(|o| o.file == i))
                    .map(|(k, _)| k.clone())
                    .collect()
            })
            .unwrap_or_default();
        let defaults: Vec<String> = cfg
            .defaults
            .iter()
            .filter(|(k, v)| v.origin.is_some_and(|o| o.file == i) && !keys.contains(k))
            .map(|(k, _)| k.clone())
            .collect();
        keys.extend(defaults);
        let path = rel(&dir, path);
        let origin = origin_of(std::slice::from_ref(&path), &agent_file);
        out.push(ConfigFileEntry {
            writable: path == agent_file,
            defines_jail: defining.contains(&i),
            origin,
            keys,
            path,
        });
    }
    let _ = files;
    Ok(Some(out))
}

/// Names of the filters or actions in `filter.d`/`action.d` (`*.conf` and `*.local`).
pub fn names_in(dir: &Path, kind: Kind) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir.join(kind.dir())) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().map(|t| t.is_file()).unwrap_or(false))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .filter_map(|n| {
            n.strip_suffix(".conf")
                .or_else(|| n.strip_suffix(".local"))
                .map(str::to_owned)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Which jails use each filter and each action, and which of those run.
pub struct Usage {
    pub filters: BTreeMap<String, Vec<String>>,
    pub actions: BTreeMap<String, Vec<String>>,
}

pub fn usage(reader: &mut Reader) -> Result<Usage, StreamError> {
    let names = reader.jail_names()?;
    let cfg = reader.jail_config()?;
    let mut u = Usage {
        filters: BTreeMap::new(),
        actions: BTreeMap::new(),
    };
    for jail in names {
        let (filter, actions) = jail_refs(cfg, &jail);
        if let Some(f) = filter {
            u.filters.entry(f).or_default().push(jail.clone());
        }
        for a in actions {
            u.actions.entry(a).or_default().push(jail.clone());
        }
    }
    Ok(u)
}

fn kind_origin(dir: &Path, kind: Kind, name: &str) -> (bool, bool, ConfigOrigin) {
    let base = dir.join(kind.dir());
    let shipped = base.join(format!("{name}.conf")).is_file();
    let local = base.join(format!("{name}.local")).is_file();
    let origin = if shipped {
        ConfigOrigin::Shipped
    } else {
        ConfigOrigin::Agent
    };
    (shipped, local, origin)
}

pub fn filter_list(
    reader: &mut Reader,
    running: &[String],
) -> Result<Vec<FilterSummary>, StreamError> {
    let dir = reader.tree().dir().to_path_buf();
    let usage = usage(reader)?;
    Ok(names_in(&dir, Kind::Filter)
        .into_iter()
        .map(|name| {
            let (shipped, has_local, origin) = kind_origin(&dir, Kind::Filter, &name);
            let used_by = usage.filters.get(&name).cloned().unwrap_or_default();
            FilterSummary {
                active: used_by.iter().any(|j| running.contains(j)),
                name,
                origin,
                shipped,
                has_local,
                used_by,
            }
        })
        .collect())
}

pub fn action_list(
    reader: &mut Reader,
    running: &[String],
) -> Result<Vec<ActionSummary>, StreamError> {
    let dir = reader.tree().dir().to_path_buf();
    let usage = usage(reader)?;
    Ok(names_in(&dir, Kind::Action)
        .into_iter()
        .map(|name| {
            let (shipped, has_local, origin) = kind_origin(&dir, Kind::Action, &name);
            let used_by = usage.actions.get(&name).cloned().unwrap_or_default();
            ActionSummary {
                active: used_by.iter().any(|j| running.contains(j)),
                name,
                origin,
                shipped,
                has_local,
                used_by,
            }
        })
        .collect())
}

struct Common {
    cfg: std::rc::Rc<Merged>,
    files: Vec<String>,
    before: Vec<String>,
    after: Vec<String>,
    shipped: bool,
    has_local: bool,
    origin: ConfigOrigin,
    used_by: Vec<String>,
    active: bool,
}

fn common(
    reader: &mut Reader,
    kind: Kind,
    name: &str,
    running: &[String],
) -> Result<Option<Common>, StreamError> {
    let dir = reader.tree().dir().to_path_buf();
    let Some(cfg) = reader.tree().read(&format!("{}/{name}", kind.dir()))? else {
        return Ok(None);
    };
    let (shipped, has_local, origin) = kind_origin(&dir, kind, name);
    let usage = usage(reader)?;
    let used_by = match kind {
        Kind::Filter => usage.filters.get(name),
        _ => usage.actions.get(name),
    }
    .cloned()
    .unwrap_or_default();
    let incl = |opt: &str| -> Vec<String> {
        cfg.get("INCLUDES", opt, &Vars::new())
            .map(|v| {
                v.split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Some(Common {
        files: cfg.files.iter().map(|p: &PathBuf| rel(&dir, p)).collect(),
        before: incl("before"),
        after: incl("after"),
        shipped,
        has_local,
        origin,
        active: used_by.iter().any(|j| running.contains(j)),
        used_by,
        cfg,
    }))
}

fn section_settings(cfg: &Merged, dir: &Path, section: &str) -> Vec<ConfigSetting> {
    cfg.own_options(section)
        .iter()
        .filter_map(|k| setting(cfg, dir, section, k))
        .collect()
}

pub fn filter_detail(
    reader: &mut Reader,
    name: &str,
    running: &[String],
) -> Result<Option<FilterConfig>, StreamError> {
    let dir = reader.tree().dir().to_path_buf();
    let Some(c) = common(reader, Kind::Filter, name, running)? else {
        return Ok(None);
    };
    let get = |k: &str| {
        c.cfg
            .get("Definition", k, &Vars::new())
            .ok()
            .or_else(|| c.cfg.raw("Definition", k).map(|s| s.value.clone()))
    };
    let lines = |k: &str| -> Vec<String> {
        get(k)
            .map(|v| {
                v.split('\n')
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Some(FilterConfig {
        name: name.to_owned(),
        origin: c.origin,
        shipped: c.shipped,
        has_local: c.has_local,
        files: c.files.clone(),
        includes_before: c.before.clone(),
        includes_after: c.after.clone(),
        failregex: lines("failregex"),
        ignoreregex: lines("ignoreregex"),
        prefregex: get("prefregex").filter(|s| !s.is_empty()),
        datepattern: get("datepattern").filter(|s| !s.is_empty()),
        maxlines: get("maxlines").filter(|s| !s.is_empty()),
        journalmatch: get("journalmatch").filter(|s| !s.is_empty()),
        definition: section_settings(&c.cfg, &dir, "Definition"),
        init: section_settings(&c.cfg, &dir, "Init"),
        used_by: c.used_by,
        active: c.active,
    }))
}

pub fn action_detail(
    reader: &mut Reader,
    name: &str,
    running: &[String],
) -> Result<Option<ActionConfig>, StreamError> {
    let dir = reader.tree().dir().to_path_buf();
    let Some(c) = common(reader, Kind::Action, name, running)? else {
        return Ok(None);
    };
    Ok(Some(ActionConfig {
        name: name.to_owned(),
        origin: c.origin,
        shipped: c.shipped,
        has_local: c.has_local,
        files: c.files.clone(),
        includes_before: c.before.clone(),
        includes_after: c.after.clone(),
        commands: section_settings(&c.cfg, &dir, "Definition"),
        parameters: section_settings(&c.cfg, &dir, "Init"),
        used_by: c.used_by,
        active: c.active,
    }))
}
