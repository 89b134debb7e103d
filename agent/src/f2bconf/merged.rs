//! Several config files merged the way fail2ban's `SafeConfigParserWithIncludes` merges them,
//! and `get` with configparser's `%(name)s` interpolation plus fail2ban's extensions
//! (`%(__name__)s`, `%(section/option)s`, `%(default/option)s`, `%(known/option)s`).
//!
//! Merge rules: later files win per section and key; `[DEFAULT]` values are fallbacks for every
//! section; a section named `Name?cond` is merged into `Name` with every key suffixed `?cond`;
//! when a later file overrides keys of an existing section, their earlier values are kept in a
//! section `KNOWN/<name>` (what `%(known/key)s` reads).

use std::collections::HashMap;
use std::path::PathBuf;

use indexmap::IndexMap;

use super::parser::{Document, DEFAULT_SECTION};

/// Where a value was set: a file (index into [`Merged::files`]) and a 1-based line; `None` for
/// values added at run time (filter options merged into a jail, parameters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    pub file: usize,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: String,
    pub origin: Option<Origin>,
}

pub type Options = IndexMap<String, Setting>;

/// Lookup variables passed to `get` (fail2ban's `vars`), keys lower-cased.
pub type Vars = IndexMap<String, String>;

/// Why `get` found no value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GetError {
    #[error("no section '{0}'")]
    NoSection(String),
    #[error("no option '{option}' in section '{section}'")]
    NoOption { section: String, option: String },
    #[error("bad interpolation in option '{option}' of section '{section}': {message}")]
    Interpolation {
        section: String,
        option: String,
        message: String,
    },
}

impl GetError {
    /// configparser's `NoSectionError`/`NoOptionError`, which fail2ban treats as "not set".
    pub fn is_missing(&self) -> bool {
        matches!(self, Self::NoSection(_) | Self::NoOption { .. })
    }
}

/// The merged view of a list of files.
#[derive(Debug, Clone, Default)]
pub struct Merged {
    pub defaults: Options,
    pub sections: IndexMap<String, Options>,
    /// The files merged, in order (what [`Origin::file`] indexes).
    pub files: Vec<PathBuf>,
    /// For each section, the files (indexes) that have a header for it.
    pub section_files: IndexMap<String, Vec<usize>>,
}

/// configparser's `MAX_INTERPOLATION_DEPTH`.
const MAX_DEPTH: usize = 10;

impl Merged {
    /// Merges one more parsed file on top (fail2ban's multi-file `read`).
    pub fn merge_document(&mut self, path: PathBuf, doc: &Document) {
        let file = self.files.len();
        self.files.push(path);
        let mut own: IndexMap<String, Options> = IndexMap::new();
        for section in &doc.sections {
            let target = if section.name == DEFAULT_SECTION {
                &mut self.defaults
            } else {
                own.entry(section.name.clone()).or_default()
            };
            for e in &section.entries {
                target.insert(
                    e.key.clone(),
                    Setting {
                        value: e.value.clone(),
                        origin: Some(Origin { file, line: e.line }),
                    },
                );
            }
        }
        for name in own.keys() {
            let base = split_conditional(name).map_or(name.as_str(), |(b, _)| b);
            let list = self.section_files.entry(base.to_owned()).or_default();
            if list.last() != Some(&file) {
                list.push(file);
            }
        }
        for (name, options) in own {
            let (name, options) = match split_conditional(&name) {
                Some((base, cond)) => (
                    base.to_owned(),
                    options
                        .into_iter()
                        .map(|(k, v)| (format!("{k}{cond}"), v))
                        .collect(),
                ),
                None => (name, options),
            };
            if let Some(existing) = self.sections.get_mut(&name) {
                let known: Vec<(String, Setting)> = existing
                    .iter()
                    .filter(|(k, _)| options.contains_key(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                for (k, v) in options {
                    existing.insert(k, v);
                }
                let known_section = self.sections.entry(format!("KNOWN/{name}")).or_default();
                for (k, v) in known {
                    known_section.insert(k, v);
                }
            } else {
                self.sections.insert(name, options);
            }
        }
    }

    /// Section names as fail2ban lists them (without the `KNOWN/` helpers).
    pub fn section_names(&self) -> impl Iterator<Item = &str> {
        self.sections
            .keys()
            .map(String::as_str)
            .filter(|n| !n.starts_with("KNOWN/"))
    }

    pub fn has_section(&self, name: &str) -> bool {
        self.sections.contains_key(name)
    }

    /// `has_option(section, option)` with DEFAULT fallback.
    pub fn has_option(&self, section: &str, option: &str) -> bool {
        if section == DEFAULT_SECTION {
            return self.defaults.contains_key(option);
        }
        match self.sections.get(section) {
            Some(s) => s.contains_key(option) || self.defaults.contains_key(option),
            None => false,
        }
    }

    /// Own keys of a section (no DEFAULT keys).
    pub fn own_options(&self, section: &str) -> Vec<String> {
        self.sections
            .get(section)
            .map(|s| s.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Adds values to DEFAULT (fail2ban's `merge_defaults`).
    pub fn merge_defaults(&mut self, values: &[(&str, &str)]) {
        for (k, v) in values {
            self.defaults.insert(
                (*k).to_owned(),
                Setting {
                    value: (*v).to_owned(),
                    origin: None,
                },
            );
        }
    }

    /// Adds values to a section, each key prefixed with `prefix` (fail2ban's `merge_section`).
    pub fn merge_section(
        &mut self,
        section: &str,
        values: &IndexMap<String, String>,
        prefix: &str,
    ) {
        let sec = self.sections.entry(section.to_owned()).or_default();
        for (k, v) in values {
            if prefix.is_empty() || (!k.starts_with(prefix) && k != "__name__") {
                sec.insert(
                    format!("{prefix}{k}"),
                    Setting {
                        value: v.clone(),
                        origin: None,
                    },
                );
            }
        }
    }

    /// The raw (uninterpolated) setting: the section's own value, else DEFAULT's.
    pub fn raw(&self, section: &str, option: &str) -> Option<&Setting> {
        let option = option.to_lowercase();
        self.sections
            .get(section)
            .and_then(|s| s.get(&option))
            .or_else(|| self.defaults.get(&option))
    }

    /// configparser's `get(section, option, vars=vars)`, interpolated.
    pub fn get(&self, section: &str, option: &str, vars: &Vars) -> Result<String, GetError> {
        let sec = match self.sections.get(section) {
            Some(s) => Some(s),
            None if section == DEFAULT_SECTION => None,
            None => return Err(GetError::NoSection(section.to_owned())),
        };
        let option = option.to_lowercase();
        let value = vars
            .get(&option)
            .or_else(|| sec.and_then(|s| s.get(&option)).map(|s| &s.value))
            .or_else(|| self.defaults.get(&option).map(|s| &s.value))
            .ok_or_else(|| GetError::NoOption {
                section: section.to_owned(),
                option: option.clone(),
            })?;
        let mut overlay = HashMap::new();
        let mut out = String::new();
        self.interpolate(
            section,
            sec,
            &option,
            value,
            vars,
            &mut overlay,
            1,
            &mut out,
        )?;
        Ok(out)
    }

    /// fail2ban's `get_ex`: `section/option` names read another section (`known/...` the value
    /// before the last override, `default/...` DEFAULT), else a plain `get`.
    pub fn get_ex(&self, section: &str, option: &str, vars: &Vars) -> Result<String, GetError> {
        if let Some((sec, opt)) = split_section_option(option) {
            let candidates: Vec<String> = match sec.to_lowercase().as_str() {
                "known" => vec![format!("KNOWN/{section}"), section.to_owned()],
                "default" => vec![DEFAULT_SECTION.to_owned()],
                _ => vec![sec.to_owned()],
            };
            for s in candidates {
                match self.get(&s, opt, &Vars::new()) {
                    Ok(v) => return Ok(v),
                    Err(e) if e.is_missing() => continue,
                    Err(e) => return Err(e),
                }
            }
        }
        self.get(section, option, vars)
    }

    #[allow(clippy::too_many_arguments)]
    fn interpolate(
        &self,
        section: &str,
        sec: Option<&Options>,
        option: &str,
        rest: &str,
        vars: &Vars,
        overlay: &mut HashMap<String, String>,
        depth: usize,
        out: &mut String,
    ) -> Result<(), GetError> {
        let err = |message: String| GetError::Interpolation {
            section: section.to_owned(),
            option: option.to_owned(),
            message,
        };
        if depth > MAX_DEPTH {
            return Err(err(format!(
                "more than {MAX_DEPTH} levels of %(...)s references"
            )));
        }
        overlay.insert("__name__".to_owned(), section.to_owned());
        self.map_section_options(section, sec, rest, vars, overlay);
        let mut rest = rest;
        while !rest.is_empty() {
            let Some(p) = rest.find('%') else {
                out.push_str(rest);
                return Ok(());
            };
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            let next = rest[1..].chars().next();
            match next {
                Some('%') => {
                    out.push('%');
                    rest = &rest[2..];
                }
                Some('(') => {
                    // %\(([^)]+)\)s
                    let body = &rest[2..];
                    let close = body.find(')');
                    let Some(close) = close.filter(|c| *c > 0 && body[*c + 1..].starts_with('s'))
                    else {
                        return Err(err(format!(
                            "bad interpolation variable reference {rest:?}"
                        )));
                    };
                    let var = body[..close].to_lowercase();
                    rest = &body[close + 2..];
                    let v = overlay
                        .get(&var)
                        .or_else(|| vars.get(&var))
                        .or_else(|| sec.and_then(|s| s.get(&var)).map(|s| &s.value))
                        .or_else(|| self.defaults.get(&var).map(|s| &s.value))
                        .cloned()
                        .ok_or_else(|| {
                            err(format!(
                                "no option '{var}' to interpolate (referenced as %({var})s)"
                            ))
                        })?;
                    if v.contains('%') {
                        self.interpolate(section, sec, option, &v, vars, overlay, depth + 1, out)?;
                    } else {
                        out.push_str(&v);
                    }
                }
                _ => {
                    return Err(err(format!(
                        "'%' must be followed by '%' or '(', found: {rest:?}"
                    )))
                }
            }
        }
        Ok(())
    }

    /// fail2ban's `_map_section_options`: makes `%(sec/opt)s` names resolvable.
    fn map_section_options(
        &self,
        section: &str,
        sec: Option<&Options>,
        rest: &str,
        vars: &Vars,
        overlay: &mut HashMap<String, String>,
    ) {
        if !rest.contains('/') || !rest.contains("%(") {
            return;
        }
        for (sopt, opt) in section_option_refs(rest) {
            let present = overlay.contains_key(sopt)
                || vars.contains_key(sopt)
                || sec.is_some_and(|s| s.contains_key(sopt))
                || self.defaults.contains_key(sopt);
            if present {
                continue;
            }
            let secname = &sopt[..sopt.len() - opt.len() - 1];
            let lower = secname.to_lowercase();
            let mut found: Option<&str> = None;
            let mut use_default = false;
            if lower == "default" {
                use_default = true;
            } else if lower == "known" {
                match self
                    .sections
                    .get(&format!("KNOWN/{section}"))
                    .and_then(|s| s.get(opt))
                {
                    Some(v) => found = Some(&v.value),
                    None => use_default = true,
                }
            } else {
                let Some(s) = self.sections.get(secname) else {
                    continue;
                };
                match s.get(opt) {
                    Some(v) => found = Some(&v.value),
                    None => use_default = true,
                }
            }
            if use_default {
                match self.defaults.get(opt) {
                    Some(v) => found = Some(&v.value),
                    None => continue,
                }
            }
            if let Some(v) = found {
                overlay.insert(sopt.to_owned(), v.to_owned());
            }
        }
    }
}

/// `Name?cond` → (`Name`, `?cond`) for conditional sections (`^(\w+)(\?.+)$`).
pub fn split_conditional(name: &str) -> Option<(&str, &str)> {
    let q = name.find('?')?;
    let (base, cond) = name.split_at(q);
    (!base.is_empty() && base.chars().all(is_word) && cond.len() > 1).then_some((base, cond))
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// `sec/opt` as `get_ex` splits it (`^([\w\-]+)/([^\s>]+)$`).
fn split_section_option(option: &str) -> Option<(&str, &str)> {
    let (sec, opt) = option.split_once('/')?;
    let sec_ok = !sec.is_empty() && sec.chars().all(|c| is_word(c) || c == '-');
    let opt_ok = !opt.is_empty() && !opt.chars().any(|c| c.is_whitespace() || c == '>');
    (sec_ok && opt_ok).then_some((sec, opt))
}

/// Every `%(sec/opt)s` in `text` as (`sec/opt`, `opt`) (`%\(([\w\-]+/([^\)]+))\)s`).
fn section_option_refs(text: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = text[i..].find("%(") {
        let start = i + p + 2;
        let body = &text[start..];
        let Some(close) = body.find(')') else { break };
        if body[close + 1..].starts_with('s') {
            let inner = &body[..close];
            if let Some((sec, opt)) = inner.split_once('/') {
                if !sec.is_empty() && sec.chars().all(|c| is_word(c) || c == '-') && !opt.is_empty()
                {
                    out.push((inner, opt));
                    i = start + close + 2;
                    continue;
                }
            }
        }
        i = start;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::parser::parse_str;
    use super::*;

    fn merged(files: &[&str]) -> Merged {
        let mut m = Merged::default();
        for (i, text) in files.iter().enumerate() {
            let (doc, errors) = parse_str(text);
            assert!(errors.is_empty(), "{errors:?}");
            m.merge_document(PathBuf::from(format!("f{i}")), &doc);
        }
        m
    }

    fn get(m: &Merged, s: &str, o: &str) -> String {
        m.get(s, o, &Vars::new()).unwrap()
    }

    #[test]
    fn section_values_beat_default_whatever_the_file_order() {
        let m = merged(&[
            "[DEFAULT]\nmaxretry = 5\n[sshd]\nmaxretry = 3\n",
            "[DEFAULT]\nmaxretry = 9\n",
        ]);
        assert_eq!(get(&m, "sshd", "maxretry"), "3");
        assert_eq!(
            m.raw("sshd", "maxretry").unwrap().origin,
            Some(Origin { file: 0, line: 4 })
        );
    }

    #[test]
    fn interpolation_name_section_default_and_known() {
        let m = merged(&[
            "[DEFAULT]\nport = ssh\nx = %%\n[a]\nfilter = %(__name__)s[port=%(port)s]\nv = one\n[b]\nw = %(a/v)s\nz = %(a/filter)s-%(default/port)s-%(x)s\n",
            "[a]\nv = %(known/v)s two\n",
        ]);
        assert_eq!(get(&m, "a", "filter"), "a[port=ssh]");
        assert_eq!(get(&m, "a", "v"), "one two");
        // A referenced raw value is interpolated in the referring section (checked with Python).
        assert_eq!(get(&m, "b", "z"), "b[port=ssh]-ssh-%");
        assert!(matches!(
            m.get("b", "w", &Vars::new()),
            Err(GetError::Interpolation { .. })
        ));
    }

    #[test]
    fn interpolation_errors() {
        let m = merged(&["[a]\nx = %(nosuch)s\ny = 50%\nz = %(z)s\n"]);
        assert!(matches!(
            m.get("a", "x", &Vars::new()),
            Err(GetError::Interpolation { .. })
        ));
        assert!(matches!(
            m.get("a", "y", &Vars::new()),
            Err(GetError::Interpolation { .. })
        ));
        assert!(matches!(
            m.get("a", "z", &Vars::new()),
            Err(GetError::Interpolation { .. })
        ));
        assert!(m.get("nosuch", "x", &Vars::new()).unwrap_err().is_missing());
    }

    #[test]
    fn conditional_sections_suffix_their_keys() {
        let m = merged(&["[Init]\nblocktype = REJECT\n[Init?family=inet6]\nblocktype = DROP6\n"]);
        assert_eq!(get(&m, "Init", "blocktype?family=inet6"), "DROP6");
        assert_eq!(
            m.own_options("Init"),
            ["blocktype", "blocktype?family=inet6"]
        );
    }
}
