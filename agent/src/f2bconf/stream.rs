//! The config stream: what `fail2ban-client -c DIR -d` prints and what `start`/`reload` send,
//! built the way fail2ban's `Fail2banReader`, `JailsReader`, `JailReader`, `FilterReader` and
//! `ActionReader` build it (option order, defaults, type conversions, `known/` merging of filter
//! options into the jail, `[Init]` parameters, `<tag>` substitution).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::rc::Rc;

use indexmap::IndexMap;

use super::merged::{GetError, Merged, Vars};
use super::options::{
    as_bool, extract_options, json_dumps, py_int, shlex_split, split_with_options,
    substitute_recursive_tags, OptionSyntaxError, TagRecursionError,
};
use super::pyrepr::PyVal;
use super::tree::{glob, FileError, Tree};

/// The fail2ban version whose reader this mirrors (`%(fail2ban_version)s`).
pub const FAIL2BAN_VERSION: &str = "1.0.2";

/// Why the whole configuration cannot be read (fail2ban-client fails the same way).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    #[error(transparent)]
    File(#[from] FileError),
    #[error("{context}: {source}")]
    Get {
        context: String,
        #[source]
        source: GetError,
    },
    #[error("{context}: {source}")]
    Tags {
        context: String,
        #[source]
        source: TagRecursionError,
    },
    #[error("{0}")]
    Syntax(String),
    #[error("no jail '{0}' in the configuration")]
    NoJail(String),
}

impl From<TagRecursionError> for StreamError {
    fn from(e: TagRecursionError) -> Self {
        Self::Tags {
            context: String::new(),
            source: e,
        }
    }
}

/// A typed option value as fail2ban's readers keep it.
pub type TypedOptions = IndexMap<String, PyVal>;

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Str,
    Int,
    Bool,
}

/// `JailReader._configOpts` (with `FilterReader._configOpts` appended), in order, with defaults.
const JAIL_OPTS: &[(&str, Kind, Fallback)] = &[
    ("enabled", Kind::Bool, Fallback::Bool(false)),
    ("backend", Kind::Str, Fallback::Str("auto")),
    ("maxretry", Kind::Int, Fallback::None),
    ("maxmatches", Kind::Int, Fallback::None),
    ("findtime", Kind::Str, Fallback::None),
    ("bantime", Kind::Str, Fallback::None),
    ("bantime.increment", Kind::Bool, Fallback::None),
    ("bantime.factor", Kind::Str, Fallback::None),
    ("bantime.formula", Kind::Str, Fallback::None),
    ("bantime.multipliers", Kind::Str, Fallback::None),
    ("bantime.maxtime", Kind::Str, Fallback::None),
    ("bantime.rndtime", Kind::Str, Fallback::None),
    ("bantime.overalljails", Kind::Bool, Fallback::None),
    ("ignorecommand", Kind::Str, Fallback::None),
    ("ignoreself", Kind::Bool, Fallback::None),
    ("ignoreip", Kind::Str, Fallback::None),
    ("ignorecache", Kind::Str, Fallback::None),
    ("filter", Kind::Str, Fallback::Str("")),
    ("logtimezone", Kind::Str, Fallback::None),
    ("logencoding", Kind::Str, Fallback::None),
    ("logpath", Kind::Str, Fallback::None),
    ("action", Kind::Str, Fallback::Str("")),
    ("usedns", Kind::Str, Fallback::None),
    ("prefregex", Kind::Str, Fallback::None),
    ("ignoreregex", Kind::Str, Fallback::None),
    ("failregex", Kind::Str, Fallback::None),
    ("maxlines", Kind::Int, Fallback::None),
    ("datepattern", Kind::Str, Fallback::None),
    ("journalmatch", Kind::Str, Fallback::None),
];

const JAIL_OPTS_1ST: &[(&str, Kind, Fallback)] = &[
    ("enabled", Kind::Bool, Fallback::Bool(false)),
    ("backend", Kind::Str, Fallback::Str("auto")),
    ("filter", Kind::Str, Fallback::Str("")),
];

/// `FilterReader._configOpts`.
pub const FILTER_OPTS: &[(&str, Kind, Fallback)] = &[
    ("usedns", Kind::Str, Fallback::None),
    ("prefregex", Kind::Str, Fallback::None),
    ("ignoreregex", Kind::Str, Fallback::None),
    ("failregex", Kind::Str, Fallback::None),
    ("maxlines", Kind::Int, Fallback::None),
    ("datepattern", Kind::Str, Fallback::None),
    ("journalmatch", Kind::Str, Fallback::None),
];

/// `ActionReader._configOpts`.
pub const ACTION_OPTS: &[(&str, Kind, Fallback)] = &[
    ("actionstart", Kind::Str, Fallback::None),
    ("actionstart_on_demand", Kind::Bool, Fallback::None),
    ("actionstop", Kind::Str, Fallback::None),
    ("actionflush", Kind::Str, Fallback::None),
    ("actionreload", Kind::Str, Fallback::None),
    ("actioncheck", Kind::Str, Fallback::None),
    ("actionrepair", Kind::Str, Fallback::None),
    ("actionrepair_on_unban", Kind::Bool, Fallback::None),
    ("actionban", Kind::Str, Fallback::None),
    ("actionprolong", Kind::Str, Fallback::None),
    ("actionreban", Kind::Str, Fallback::None),
    ("actionunban", Kind::Str, Fallback::None),
    ("norestored", Kind::Bool, Fallback::None),
];

/// Options of jails that are not sent as `set <jail> <opt>` (`JailReader._ignoreOpts`).
const JAIL_IGNORED: &[&str] = &[
    "action",
    "filter",
    "enabled",
    "usedns",
    "prefregex",
    "ignoreregex",
    "failregex",
    "maxlines",
    "datepattern",
    "journalmatch",
];

#[derive(Clone, Copy)]
pub enum Fallback {
    None,
    Str(&'static str),
    Bool(bool),
}

impl Fallback {
    fn value(self) -> Option<PyVal> {
        match self {
            Self::None => None,
            Self::Str(s) => Some(PyVal::str(s)),
            Self::Bool(b) => Some(PyVal::Bool(b)),
        }
    }
}

fn convert(kind: Kind, v: String, default: Fallback) -> PyVal {
    match kind {
        Kind::Str => PyVal::Str(v),
        Kind::Bool => PyVal::Bool(as_bool(&v)),
        Kind::Int => match py_int(&v) {
            Some(i) => PyVal::Int(i),
            None => default.value().unwrap_or(PyVal::None),
        },
    }
}

fn to_vars(opts: &TypedOptions) -> Vars {
    opts.iter()
        .filter_map(|(k, v)| v.to_py_str().map(|s| (k.to_lowercase(), s)))
        .collect()
}

fn get_err(context: impl Into<String>) -> impl FnOnce(GetError) -> StreamError {
    let context = context.into();
    move |source| StreamError::Get { context, source }
}

/// `ConfigReader.getOptions(sec, options, pOptions, convert)`.
fn get_options(
    cfg: &Merged,
    section: &str,
    options: &[(&str, Kind, Fallback)],
    p_opts: &Vars,
    convert_types: bool,
    context: &str,
) -> Result<TypedOptions, StreamError> {
    let mut values = TypedOptions::new();
    for (name, kind, default) in options {
        if p_opts.contains_key(*name) {
            continue;
        }
        match cfg.get(section, name, p_opts) {
            Ok(v) => {
                let v = if convert_types {
                    convert(*kind, v, *default)
                } else {
                    PyVal::Str(v)
                };
                values.insert((*name).to_owned(), v);
            }
            Err(GetError::NoSection(_)) => {
                values.insert((*name).to_owned(), default.value().unwrap_or(PyVal::None));
            }
            Err(GetError::NoOption { .. }) => {
                if let Some(v) = default.value() {
                    values.insert((*name).to_owned(), v);
                }
            }
            Err(e) => return Err(get_err(context)(e)),
        }
    }
    Ok(values)
}

/// Shared state of a `DefinitionInitConfigReader` (a filter or an action used by one jail).
struct DefInit {
    cfg: Rc<Merged>,
    context: String,
    config_opts: &'static [(&'static str, Kind, Fallback)],
    init_opts: IndexMap<String, String>,
    opts: IndexMap<String, Option<String>>,
    p_opts: Vars,
    def_cache: HashMap<String, Option<String>>,
}

impl DefInit {
    fn new(
        cfg: Rc<Merged>,
        context: String,
        config_opts: &'static [(&'static str, Kind, Fallback)],
        init_opts: IndexMap<String, String>,
    ) -> Self {
        Self {
            cfg,
            context,
            config_opts,
            init_opts,
            opts: IndexMap::new(),
            p_opts: Vars::new(),
            def_cache: HashMap::new(),
        }
    }

    /// `DefinitionInitConfigReader.getOptions(pOpts, all)`.
    fn get_options(&mut self, p_opts: &TypedOptions, all: bool) -> Result<(), StreamError> {
        let mut p = to_vars(p_opts);
        for (k, v) in &self.init_opts {
            p.insert(k.to_lowercase(), v.clone());
        }
        let values = get_options(
            &self.cfg,
            "Definition",
            self.config_opts,
            &p,
            false,
            &self.context,
        )?;
        self.opts = values
            .into_iter()
            .map(|(k, v)| (k, v.to_py_str()))
            .collect();
        self.p_opts = p;
        if self.cfg.has_section("Init") {
            for opt in self.cfg.own_options("Init") {
                if opt == "__name__" {
                    continue;
                }
                let mut v: Option<String> = None;
                if !opt.starts_with("known/") {
                    let got = self
                        .cfg
                        .get("Init", &opt, &Vars::new())
                        .map_err(get_err(self.context.clone()))?;
                    self.init_opts.insert(format!("known/{opt}"), got.clone());
                    v = Some(got);
                }
                if !self.init_opts.contains_key(&opt) {
                    let got = match v {
                        Some(v) => v,
                        None => self
                            .cfg
                            .get("Init", &opt, &Vars::new())
                            .map_err(get_err(self.context.clone()))?,
                    };
                    self.init_opts.insert(opt.clone(), got);
                }
            }
        }
        if all && self.cfg.has_section("Definition") {
            let mut names = self.cfg.own_options("Definition");
            names.extend(self.cfg.defaults.keys().cloned());
            for opt in names {
                if opt == "__name__" || self.opts.contains_key(&opt) {
                    continue;
                }
                let v = self
                    .cfg
                    .get("Definition", &opt, &Vars::new())
                    .map_err(get_err(self.context.clone()))?;
                self.opts.insert(opt, Some(v));
            }
        }
        Ok(())
    }

    /// `getCombOption`: a definition option for `<tag>` substitution, cached.
    fn comb_option(&mut self, name: &str) -> Result<Option<String>, StreamError> {
        if let Some(v) = self.def_cache.get(name) {
            return Ok(v.clone());
        }
        let v = match self.cfg.get_ex("Definition", name, &self.p_opts) {
            Ok(v) => Some(v),
            Err(e) if e.is_missing() => None,
            Err(e) => return Err(get_err(self.context.clone())(e)),
        };
        self.def_cache.insert(name.to_owned(), v.clone());
        Ok(v)
    }

    /// `getCombined(ignore)`: definition and init options with `<tags>` substituted, converted.
    fn combined(&mut self, ignore: &[&str]) -> Result<TypedOptions, StreamError> {
        let mut tags: IndexMap<String, Option<String>> = self.opts.clone();
        for (k, v) in &self.init_opts {
            tags.insert(k.clone(), Some(v.clone()));
        }
        if tags.is_empty() {
            return Ok(TypedOptions::new());
        }
        let mut ignore: HashSet<String> = ignore.iter().map(|s| (*s).to_owned()).collect();
        for n in tags.keys() {
            if let Some((base, _)) = super::merged::split_conditional(n) {
                ignore.insert(base.to_owned());
            }
        }
        let context = self.context.clone();
        substitute_recursive_tags(&mut tags, &ignore, |t| self.comb_option(t)).map_err(
            |e| match e {
                StreamError::Tags { source, .. } => StreamError::Tags { context, source },
                other => other,
            },
        )?;
        let mut out = TypedOptions::new();
        for (k, v) in tags {
            let typed = match (v, self.config_opts.iter().find(|(n, _, _)| *n == k)) {
                (None, _) => PyVal::None,
                (Some(v), Some((_, kind, default))) => convert(*kind, v, *default),
                (Some(v), None) => PyVal::Str(v),
            };
            out.insert(k, typed);
        }
        Ok(out)
    }
}

/// `FilterReader._fillStream`.
fn fill_filter_stream(
    stream: &mut Vec<PyVal>,
    opts: &TypedOptions,
    jail: &str,
) -> Result<(), StreamError> {
    let mut prio0idx = 0usize;
    let set = |rest: Vec<PyVal>| {
        let mut v = vec![PyVal::str("set"), PyVal::str(jail)];
        v.extend(rest);
        PyVal::List(v)
    };
    for (opt, value) in opts {
        if *value == PyVal::None {
            continue;
        }
        match opt.as_str() {
            "failregex" | "ignoreregex" => {
                let text = value.to_py_str().unwrap_or_default();
                let multi: Vec<PyVal> = text
                    .split('\n')
                    .filter(|r| !r.is_empty())
                    .map(PyVal::str)
                    .collect();
                if multi.len() > 1 {
                    stream.push(PyVal::List(vec![
                        PyVal::str("multi-set"),
                        PyVal::str(jail),
                        PyVal::str(format!("add{opt}")),
                        PyVal::List(multi),
                    ]));
                } else if let Some(one) = multi.into_iter().next() {
                    stream.push(set(vec![PyVal::str(format!("add{opt}")), one]));
                }
            }
            "usedns" | "maxlines" | "prefregex" => {
                let at = if opt == "usedns" { 0 } else { prio0idx };
                stream.insert(
                    at.min(stream.len()),
                    set(vec![PyVal::str(opt), value.clone()]),
                );
                prio0idx += 1;
            }
            // Python tests `opt in ('datepattern')`, a substring test.
            o if "datepattern".contains(o) => {
                stream.push(set(vec![PyVal::str(opt), value.clone()]));
            }
            "journalmatch" => {
                let text = value.to_py_str().unwrap_or_default();
                for m in text.split('\n').filter(|m| !m.is_empty()) {
                    let words = shlex_split(m).map_err(|e| StreamError::Syntax(e.0))?;
                    let mut v = vec![PyVal::str("addjournalmatch")];
                    v.extend(words.into_iter().map(PyVal::Str));
                    stream.push(set(v));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A filter or action named by a jail, with its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub params: IndexMap<String, String>,
}

/// One jail as fail2ban reads it.
#[derive(Debug, Clone)]
pub struct JailRead {
    pub name: String,
    pub enabled: bool,
    /// The jail's options after the full read (typed as fail2ban types them).
    pub options: TypedOptions,
    pub filter: Option<Reference>,
    pub actions: Vec<Reference>,
    /// A per-jail error that makes fail2ban skip the jail (`config-error`).
    pub config_error: Option<String>,
    /// Log paths that matched no file (a real start refuses the jail when none matches).
    pub missing_logs: bool,
    /// The jail's part of the stream (without `start`).
    pub stream: Vec<PyVal>,
}

/// Reads the config the way fail2ban does; owns the file cache.
pub struct Reader {
    tree: Tree,
    jail_cfg: Option<Merged>,
}

impl Reader {
    pub fn new(dir: &Path) -> Self {
        Self {
            tree: Tree::new(dir),
            jail_cfg: None,
        }
    }

    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// The merged `jail` files (jail.conf, jail.d, jail.local...), read once.
    pub fn jail_config(&mut self) -> Result<&mut Merged, StreamError> {
        if self.jail_cfg.is_none() {
            let mut m = self
                .tree
                .read("jail")?
                .map(|m| (*m).clone())
                .unwrap_or_default();
            let dir = self.tree.dir().to_string_lossy().into_owned();
            m.merge_defaults(&[
                ("fail2ban_version", FAIL2BAN_VERSION),
                ("fail2ban_confpath", &dir),
            ]);
            self.jail_cfg = Some(m);
        }
        match self.jail_cfg.as_mut() {
            Some(m) => Ok(m),
            None => Err(StreamError::Syntax("jail configuration unavailable".into())),
        }
    }

    /// Jail sections in order (every section except `INCLUDES`).
    pub fn jail_names(&mut self) -> Result<Vec<String>, StreamError> {
        let cfg = self.jail_config()?;
        Ok(cfg
            .section_names()
            .filter(|n| *n != "INCLUDES")
            .map(str::to_owned)
            .collect())
    }

    /// The general (server) part of the stream (`Fail2banReader`).
    pub fn general_stream(&mut self) -> Result<Vec<PyVal>, StreamError> {
        let cfg = self.tree.read("fail2ban")?.unwrap_or_default();
        let ctx = "fail2ban.conf [Definition]";
        let none = Vars::new();
        let early = get_options(
            &cfg,
            "Definition",
            &[
                ("loglevel", Kind::Str, Fallback::Str("INFO")),
                (
                    "logtarget",
                    Kind::Str,
                    Fallback::Str("/var/log/fail2ban.log"),
                ),
                ("syslogsocket", Kind::Str, Fallback::Str("auto")),
            ],
            &none,
            true,
            ctx,
        )?;
        let mut opts = get_options(
            &cfg,
            "Definition",
            &[
                ("loglevel", Kind::Str, Fallback::Str("INFO")),
                ("logtarget", Kind::Str, Fallback::Str("STDERR")),
                ("syslogsocket", Kind::Str, Fallback::Str("auto")),
                ("allowipv6", Kind::Str, Fallback::Str("auto")),
                (
                    "dbfile",
                    Kind::Str,
                    Fallback::Str("/var/lib/fail2ban/fail2ban.sqlite3"),
                ),
                ("dbmaxmatches", Kind::Int, Fallback::None),
                ("dbpurgeage", Kind::Str, Fallback::Str("1d")),
            ],
            &none,
            true,
            ctx,
        )?;
        for (k, v) in early {
            opts.insert(k, v);
        }
        let mut stream: Vec<(u32, PyVal)> = Vec::new();
        if cfg.has_section("Thread") {
            let th = get_options(
                &cfg,
                "Thread",
                &[("stacksize", Kind::Int, Fallback::None)],
                &none,
                true,
                "fail2ban.conf [Thread]",
            )?;
            if !th.is_empty() {
                let dict = th.into_iter().map(|(k, v)| (PyVal::Str(k), v)).collect();
                stream.push((0, set_cmd(&["thread"], PyVal::Dict(dict))));
            }
        }
        for (k, v) in opts {
            let order = match k.as_str() {
                "syslogsocket" => 11,
                "loglevel" => 12,
                "logtarget" => 13,
                "allowipv6" => 14,
                "dbfile" => 50,
                "dbmaxmatches" | "dbpurgeage" => 51,
                _ => continue,
            };
            stream.push((order, set_cmd(&[&k], v)));
        }
        stream.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| py_cmp(&a.1, &b.1)));
        Ok(stream.into_iter().map(|(_, v)| v).collect())
    }

    /// Reads one jail like `JailReader.getOptions` + `convert`; `force` reads a disabled jail
    /// as if it were enabled (fail2ban's `force_enable`).
    pub fn read_jail(&mut self, name: &str, force: bool) -> Result<JailRead, StreamError> {
        let dir = self.tree.dir().to_path_buf();
        let ctx = format!("jail '{name}'");
        let first = {
            let cfg = self.jail_config()?;
            if !cfg.has_section(name) {
                return Err(StreamError::NoJail(name.to_owned()));
            }
            get_options(cfg, name, JAIL_OPTS_1ST, &Vars::new(), true, &ctx)?
        };
        let enabled = first.get("enabled") == Some(&PyVal::Bool(true));
        let mut jail = JailRead {
            name: name.to_owned(),
            enabled,
            options: first.clone(),
            filter: None,
            actions: Vec::new(),
            config_error: None,
            missing_logs: false,
            stream: Vec::new(),
        };
        if !enabled && !force {
            return Ok(jail);
        }
        match self.read_enabled_jail(name, first, &dir, &ctx, &mut jail) {
            Ok(()) => {}
            Err(JailStep::Def(e)) => {
                jail.config_error = Some(e.clone());
                jail.stream = vec![PyVal::List(vec![
                    PyVal::str("config-error"),
                    PyVal::str(format!(
                        "Jail '{name}' skipped, because of wrong configuration: {e}"
                    )),
                ])];
            }
            Err(JailStep::Fatal(e)) => return Err(e),
        }
        Ok(jail)
    }

    fn read_enabled_jail(
        &mut self,
        name: &str,
        first: TypedOptions,
        dir: &Path,
        ctx: &str,
        jail: &mut JailRead,
    ) -> Result<(), JailStep> {
        let flt = first
            .get("filter")
            .and_then(PyVal::as_str)
            .unwrap_or_default()
            .to_owned();
        let backend_1st = first
            .get("backend")
            .and_then(PyVal::as_str)
            .unwrap_or_default()
            .to_owned();
        let mut filter: Option<DefInit> = None;
        if !flt.is_empty() {
            let (fname, fopts) = extract_options(&flt).map_err(|e: OptionSyntaxError| {
                JailStep::Def(format!(
                    "Invalid filter definition {}: {}",
                    py_repr(&flt),
                    e.0
                ))
            })?;
            let cfg = self
                .tree
                .read(&format!("filter.d/{fname}"))
                .map_err(|e| JailStep::Fatal(e.into()))?
                .ok_or_else(|| {
                    JailStep::Def(format!("Unable to read the filter {}", py_repr(&fname)))
                })?;
            jail.filter = Some(Reference {
                name: fname.clone(),
                params: fopts.clone(),
            });
            let mut f = DefInit::new(
                cfg,
                format!("filter '{fname}' of {ctx}"),
                FILTER_OPTS,
                fopts,
            );
            // applyAutoOptions
            if f.init_opts.get("logtype").is_none_or(|v| v.is_empty())
                && !f
                    .cfg
                    .sections
                    .get("Definition")
                    .is_some_and(|s| s.contains_key("logtype"))
            {
                let lt = if backend_1st.starts_with("systemd") {
                    "journal"
                } else {
                    "file"
                };
                f.init_opts.insert("logtype".into(), lt.into());
            }
            f.get_options(&first, true).map_err(JailStep::Fatal)?;
            let combined = f.combined(&[]).map_err(JailStep::Fatal)?;
            let known: IndexMap<String, String> = combined
                .iter()
                .filter_map(|(k, v)| v.to_py_str().map(|s| (k.clone(), s)))
                .collect();
            self.jail_config()
                .map_err(JailStep::Fatal)?
                .merge_section(name, &known, "known/");
            filter = Some(f);
        }
        let opts = {
            let cfg = self.jail_config().map_err(JailStep::Fatal)?;
            get_options(cfg, name, JAIL_OPTS, &Vars::new(), true, ctx).map_err(JailStep::Fatal)?
        };
        if let Some(f) = filter.as_mut() {
            f.get_options(&opts, false).map_err(JailStep::Fatal)?;
        }
        enum Act {
            Reader(Box<DefInit>, String),
            Py(Vec<PyVal>),
        }
        let mut actions = Vec::new();
        let action_text = opts
            .get("action")
            .and_then(PyVal::to_py_str)
            .unwrap_or_default();
        for act in split_with_options(&action_text) {
            let act = act.trim();
            if act.is_empty() {
                continue;
            }
            let (act_name, mut act_opts) = extract_options(act).map_err(|e| {
                JailStep::Def(format!(
                    "Invalid action definition {}: {}",
                    py_repr(act),
                    e.0
                ))
            })?;
            jail.actions.push(Reference {
                name: act_name.clone(),
                params: act_opts.clone(),
            });
            if act_name.ends_with(".py") {
                let stem = act_name.trim_end_matches(".py").to_owned();
                let actname = act_opts.shift_remove("actname").unwrap_or(stem);
                actions.push(Act::Py(vec![
                    PyVal::str("set"),
                    PyVal::str(name),
                    PyVal::str("addaction"),
                    PyVal::Str(actname),
                    PyVal::Str(format!("{}/action.d/{act_name}", dir.display())),
                    PyVal::Str(json_dumps(&act_opts)),
                ]));
                continue;
            }
            // ActionReader.__init__: name and actname parameters.
            let n = match act_opts.get("name") {
                Some(n) => n.clone(),
                None => {
                    act_opts.insert("name".into(), name.to_owned());
                    name.to_owned()
                }
            };
            let actname = match act_opts.get("actname") {
                Some(a) => a.clone(),
                None => {
                    let mut a = act_name.clone();
                    if n != name {
                        match n.strip_prefix(name) {
                            Some(rest) => a.push_str(rest),
                            None => {
                                a.push('-');
                                a.push_str(&n);
                            }
                        }
                    }
                    act_opts.insert("actname".into(), a.clone());
                    a
                }
            };
            let cfg = self
                .tree
                .read(&format!("action.d/{act_name}"))
                .map_err(|e| JailStep::Fatal(e.into()))?
                .ok_or_else(|| {
                    JailStep::Def(format!("Unable to read action {}", py_repr(&act_name)))
                })?;
            let mut a = DefInit::new(
                cfg,
                format!("action '{act_name}' of {ctx}"),
                ACTION_OPTS,
                act_opts,
            );
            a.get_options(&opts, false).map_err(|e| {
                JailStep::Fatal(StreamError::Syntax(format!(
                    "Error in action definition {}: {e}",
                    py_repr(act)
                )))
            })?;
            actions.push(Act::Reader(Box::new(a), actname));
        }

        // convert()
        let mut stream: Vec<PyVal> = Vec::new();
        let mut stream2: Vec<PyVal> = Vec::new();
        if let Some(f) = filter.as_mut() {
            let combined = f.combined(&[]).map_err(JailStep::Fatal)?;
            if !combined.is_empty() {
                fill_filter_stream(&mut stream, &combined, name).map_err(JailStep::Fatal)?;
            }
        }
        fill_filter_stream(&mut stream, &opts, name).map_err(JailStep::Fatal)?;
        let mut backend = PyVal::str("auto");
        let mut found_files = 0usize;
        let mut had_logpath = false;
        for (opt, value) in &opts {
            match opt.as_str() {
                "logpath" => {
                    let sysd = opts
                        .get("backend")
                        .and_then(PyVal::as_str)
                        .is_some_and(|b| b.starts_with("systemd"));
                    if sysd {
                        continue;
                    }
                    had_logpath = true;
                    let text = value.to_py_str().unwrap_or_default();
                    for path in text.split('\n') {
                        let (path, tail) = match path.rsplit_once(' ') {
                            Some((p, t)) => (p, t),
                            None => (path, "head"),
                        };
                        for p in glob(path) {
                            found_files += 1;
                            stream2.push(PyVal::List(vec![
                                PyVal::str("set"),
                                PyVal::str(name),
                                PyVal::str("addlogpath"),
                                PyVal::Str(p.to_string_lossy().into_owned()),
                                PyVal::str(tail),
                            ]));
                        }
                    }
                }
                "backend" => backend = value.clone(),
                "ignoreip" => {
                    let mut v = vec![
                        PyVal::str("set"),
                        PyVal::str(name),
                        PyVal::str("addignoreip"),
                    ];
                    let text = value.to_py_str().unwrap_or_default();
                    v.extend(
                        super::options::splitwords(&text)
                            .into_iter()
                            .map(PyVal::Str),
                    );
                    stream.push(PyVal::List(v));
                }
                o if !JAIL_IGNORED.contains(&o) => {
                    stream.push(PyVal::List(vec![
                        PyVal::str("set"),
                        PyVal::str(name),
                        PyVal::str(opt),
                        value.clone(),
                    ]));
                }
                _ => {}
            }
        }
        jail.missing_logs = had_logpath && found_files == 0;
        stream.extend(stream2);
        for act in actions {
            match act {
                Act::Py(v) => stream.push(PyVal::List(v)),
                Act::Reader(mut a, actname) => {
                    let mut ignore = vec![
                        "matches",
                        "ipmatches",
                        "ipjailmatches",
                        "timeout",
                        "bantime",
                    ];
                    ignore.sort_unstable();
                    let combined = a.combined(&ignore).map_err(JailStep::Fatal)?;
                    stream.push(PyVal::List(vec![
                        PyVal::str("set"),
                        PyVal::str(name),
                        PyVal::str("addaction"),
                        PyVal::Str(actname.clone()),
                    ]));
                    let mut multi = Vec::new();
                    for (opt, val) in &combined {
                        if ACTION_OPTS.iter().any(|(n, _, _)| n == opt)
                            && !opt.starts_with("known/")
                        {
                            multi.push(PyVal::List(vec![PyVal::Str(opt.clone()), val.clone()]));
                        }
                    }
                    for (opt, val) in &a.init_opts {
                        if !ACTION_OPTS.iter().any(|(n, _, _)| n == opt)
                            && !opt.starts_with("known/")
                        {
                            multi.push(PyVal::List(vec![
                                PyVal::Str(opt.clone()),
                                PyVal::Str(val.clone()),
                            ]));
                        }
                    }
                    if multi.len() > 1 {
                        stream.push(PyVal::List(vec![
                            PyVal::str("multi-set"),
                            PyVal::str(name),
                            PyVal::str("action"),
                            PyVal::Str(actname),
                            PyVal::List(multi),
                        ]));
                    } else if let Some(PyVal::List(pair)) = multi.into_iter().next() {
                        let mut v = vec![
                            PyVal::str("set"),
                            PyVal::str(name),
                            PyVal::str("action"),
                            PyVal::Str(actname),
                        ];
                        v.extend(pair);
                        stream.push(PyVal::List(v));
                    }
                }
            }
        }
        stream.insert(
            0,
            PyVal::List(vec![PyVal::str("add"), PyVal::str(name), backend]),
        );
        jail.options = opts;
        jail.stream = stream;
        Ok(())
    }

    /// The whole stream, as `fail2ban-client -d` prints it, plus every jail read.
    pub fn full_stream(&mut self) -> Result<(Vec<PyVal>, Vec<JailRead>), StreamError> {
        let mut stream = self.general_stream()?;
        let mut jails = Vec::new();
        for name in self.jail_names()? {
            let jail = self.read_jail(&name, false)?;
            if jail.enabled {
                stream.extend(jail.stream.iter().cloned());
                jails.push(jail);
            }
        }
        for j in &jails {
            if j.config_error.is_none() {
                stream.push(PyVal::List(vec![
                    PyVal::str("start"),
                    PyVal::Str(j.name.clone()),
                ]));
            }
        }
        Ok((stream, jails))
    }
}

enum JailStep {
    /// A `JailDefError`: the jail is skipped with a `config-error`.
    Def(String),
    /// Anything else: the whole configuration fails.
    Fatal(StreamError),
}

fn set_cmd(path: &[&str], v: PyVal) -> PyVal {
    let mut out = vec![PyVal::str("set")];
    out.extend(path.iter().map(|p| PyVal::str(*p)));
    out.push(v);
    PyVal::List(out)
}

fn py_repr(s: &str) -> String {
    super::pyrepr::repr_str(s)
}

/// Python's ordering of two stream commands (lists of str/int), enough for `sorted()` ties.
fn py_cmp(a: &PyVal, b: &PyVal) -> std::cmp::Ordering {
    a.to_string().cmp(&b.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Quick local check against fail2ban itself when it is installed (the full oracle runs in
    /// the `config` integration tests).
    #[test]
    fn debian_tree_matches_fail2ban_when_installed() {
        let dir = std::path::Path::new("/etc/fail2ban");
        let client = std::path::Path::new("/usr/bin/fail2ban-client");
        if !dir.is_dir() || !client.exists() {
            return;
        }
        let dir = std::env::var_os("F2B_ORACLE_DIR")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| dir.to_path_buf());
        let theirs = super::super::validate::dump(client, &dir).unwrap();
        let (ours, _) = Reader::new(&dir).full_stream().unwrap();
        let a = super::super::validate::compare(&ours, &theirs.stream);
        for (i, x, y) in &a.differences {
            eprintln!("#{i}\n ours:   {x}\n theirs: {y}");
        }
        assert!(
            a.is_exact(),
            "{} of {} equal ({} ours)",
            a.equal,
            a.theirs,
            a.ours
        );
    }
}
