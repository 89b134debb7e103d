//! The config directory on disk: which files make up a name (`jail`, `filter.d/sshd`), in
//! fail2ban's order, with their `[INCLUDES]`, parsed once and cached for the life of a
//! [`Tree`]. This is the only part of the reader that touches the file system (plus the
//! `logpath` globbing in [`super::stream`]).
//!
//! Order for a name X (`ConfigReaderUnshared.read`): `X.conf`, `X.d/*.conf` (sorted), `X.local`,
//! `X.d/*.local` (sorted); every file also pulls in its own `.local` sibling; `[INCLUDES]
//! before`/`after` files are read before/after the file that names them, recursively.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::merged::{Merged, Vars};
use super::parser::{parse_str, Document, ParseError};

/// A file fail2ban would refuse, which makes the whole configuration fail.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {errors}", path = path.display(), errors = errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
pub struct FileError {
    pub path: PathBuf,
    pub errors: Vec<ParseError>,
}

#[derive(Debug)]
struct Parsed {
    doc: Option<Document>,
    errors: Vec<ParseError>,
}

/// A config directory with a cache of parsed files and merged names.
#[derive(Debug)]
pub struct Tree {
    dir: PathBuf,
    files: RefCell<HashMap<PathBuf, Rc<Parsed>>>,
    names: RefCell<HashMap<String, Option<Rc<Merged>>>>,
    /// Files that were not valid UTF-8 (fail2ban logs and skips them).
    pub skipped: RefCell<Vec<PathBuf>>,
}

impl Tree {
    pub fn new(dir: &Path) -> Self {
        let text = dir.to_string_lossy();
        let trimmed = text.trim_end_matches('/');
        let dir = if trimmed.is_empty() {
            PathBuf::from("/")
        } else {
            PathBuf::from(trimmed)
        };
        Self {
            dir,
            files: RefCell::default(),
            names: RefCell::default(),
            skipped: RefCell::default(),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The files fail2ban reads for `name`, before includes (only those that exist).
    pub fn candidate_files(&self, name: &str) -> Vec<PathBuf> {
        let base = self.dir.join(name);
        let base = base.to_string_lossy().into_owned();
        let d = PathBuf::from(format!("{base}.d"));
        let mut files = vec![PathBuf::from(format!("{base}.conf"))];
        files.extend(sorted_glob(&d, ".conf"));
        files.push(PathBuf::from(format!("{base}.local")));
        files.extend(sorted_glob(&d, ".local"));
        files.into_iter().filter(|p| p.exists()).collect()
    }

    /// Reads and merges `name` (`"jail"`, `"filter.d/sshd"`); `None` when no file exists.
    pub fn read(&self, name: &str) -> Result<Option<Rc<Merged>>, FileError> {
        if let Some(cached) = self.names.borrow().get(name) {
            return Ok(cached.clone());
        }
        let candidates = self.candidate_files(name);
        let result = if candidates.is_empty() {
            None
        } else {
            let mut all = Vec::new();
            for f in expand_with_local(&candidates) {
                all.extend(self.includes(&f, &[])?);
            }
            let mut merged = Merged::default();
            for f in all {
                let parsed = self.parse(&f);
                if let Some(doc) = &parsed.doc {
                    merged.merge_document(f.clone(), doc);
                }
            }
            Some(Rc::new(merged))
        };
        self.names
            .borrow_mut()
            .insert(name.to_owned(), result.clone());
        Ok(result)
    }

    /// Parses one file (cached); a missing or unreadable file has no document.
    fn parse(&self, path: &Path) -> Rc<Parsed> {
        if let Some(p) = self.files.borrow().get(path) {
            return p.clone();
        }
        let parsed = match std::fs::read(path) {
            Err(_) => Parsed {
                doc: None,
                errors: Vec::new(),
            },
            Ok(bytes) => match String::from_utf8(bytes) {
                Err(_) => {
                    self.skipped.borrow_mut().push(path.to_owned());
                    Parsed {
                        doc: None,
                        errors: Vec::new(),
                    }
                }
                Ok(text) => {
                    let (doc, errors) = parse_str(&text);
                    Parsed {
                        doc: Some(doc),
                        errors,
                    }
                }
            },
        };
        let parsed = Rc::new(parsed);
        self.files
            .borrow_mut()
            .insert(path.to_owned(), parsed.clone());
        parsed
    }

    /// `__getIncludesUncached`: the file with its before/after includes, recursively.
    fn includes(&self, path: &Path, seen: &[PathBuf]) -> Result<Vec<PathBuf>, FileError> {
        let parsed = self.parse(path);
        if !parsed.errors.is_empty() {
            return Err(FileError {
                path: path.to_owned(),
                errors: parsed.errors.clone(),
            });
        }
        let Some(doc) = &parsed.doc else {
            return Ok(Vec::new());
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let mut before = Vec::new();
        let mut after = Vec::new();
        if doc.section("INCLUDES").is_some() {
            let mut single = Merged::default();
            single.merge_document(path.to_owned(), doc);
            for (option, list) in [("before", &mut before), ("after", &mut after)] {
                if !single.own_options("INCLUDES").iter().any(|o| o == option) {
                    continue;
                }
                let Ok(value) = single.get("INCLUDES", option, &Vars::new()) else {
                    continue;
                };
                for resource in value.split('\n') {
                    let r = if Path::new(resource).is_absolute() {
                        PathBuf::from(resource)
                    } else {
                        join_like_python(&dir, resource)
                    };
                    if seen.contains(&r) {
                        continue;
                    }
                    let mut s = seen.to_vec();
                    s.push(path.to_owned());
                    for f in expand_with_local(std::slice::from_ref(&r)) {
                        list.extend(self.includes(&f, &s)?);
                    }
                }
            }
        }
        let mut out = before;
        out.push(path.to_owned());
        out.extend(after);
        Ok(out)
    }
}

/// `os.path.join(dir, name)` (an empty name gives `dir/`).
fn join_like_python(dir: &Path, name: &str) -> PathBuf {
    let mut s = dir.to_string_lossy().into_owned();
    if !s.is_empty() && !s.ends_with('/') {
        s.push('/');
    }
    s.push_str(name);
    PathBuf::from(s)
}

/// `_expandConfFilesWithLocal`: each `X.conf` (any extension) followed by `X.local` if that file
/// exists and is not in the list already.
fn expand_with_local(files: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for f in files {
        out.push(f.clone());
        let text = f.to_string_lossy();
        let stem = match text.rfind('.') {
            Some(dot)
                if !text[dot..].contains('/') && dot > text.rfind('/').map_or(0, |s| s + 1) =>
            {
                &text[..dot]
            }
            _ => &text[..],
        };
        let local = PathBuf::from(format!("{stem}.local"));
        if !files.contains(&local) && local.is_file() {
            out.push(local);
        }
    }
    out
}

/// `sorted(glob.glob(dir/*EXT))`: non-hidden files of `dir` ending in `ext`, sorted.
fn sorted_glob(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.') && n.ends_with(ext))
        .map(|n| dir.join(n).to_string_lossy().into_owned())
        .collect();
    out.sort();
    out.into_iter().map(PathBuf::from).collect()
}

/// Python's `glob.glob(pattern)` for `logpath` (`*`, `?`, `[...]`; hidden names only matched by
/// patterns starting with `.`), sorted, existing paths only.
pub fn glob(pattern: &str) -> Vec<PathBuf> {
    if !has_magic(pattern) {
        return if Path::new(pattern).exists() {
            vec![PathBuf::from(pattern)]
        } else {
            Vec::new()
        };
    }
    let absolute = pattern.starts_with('/');
    let mut current: Vec<String> = vec![if absolute { "/".into() } else { String::new() }];
    let parts: Vec<&str> = pattern.split('/').filter(|p| !p.is_empty()).collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        let mut next = Vec::new();
        for base in &current {
            let joined = |name: &str| {
                if base.is_empty() {
                    name.to_owned()
                } else if base.ends_with('/') {
                    format!("{base}{name}")
                } else {
                    format!("{base}/{name}")
                }
            };
            if !has_magic(part) {
                let p = joined(part);
                if last || Path::new(&p).is_dir() {
                    next.push(p);
                }
                continue;
            }
            let dir = if base.is_empty() { "." } else { base.as_str() };
            let Ok(entries) = std::fs::read_dir(dir) else {
                continue;
            };
            for e in entries.filter_map(Result::ok) {
                let Ok(name) = e.file_name().into_string() else {
                    continue;
                };
                if name.starts_with('.') && !part.starts_with('.') {
                    continue;
                }
                if fnmatch(&name, part) {
                    let p = joined(&name);
                    if last || Path::new(&p).is_dir() {
                        next.push(p);
                    }
                }
            }
        }
        current = next;
    }
    current.sort();
    current
        .into_iter()
        .map(PathBuf::from)
        .filter(|p| p.exists())
        .collect()
}

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// `fnmatch.fnmatchcase(name, pattern)`.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let n: Vec<char> = name.chars().collect();
    let p: Vec<char> = pattern.chars().collect();
    fn go(n: &[char], p: &[char]) -> bool {
        let Some((&c, rest)) = p.split_first() else {
            return n.is_empty();
        };
        match c {
            '*' => (0..=n.len()).any(|k| go(&n[k..], rest)),
            '?' => !n.is_empty() && go(&n[1..], rest),
            '[' => match class(rest) {
                Some((negate, set, after)) => match n.split_first() {
                    Some((&ch, nrest)) => {
                        let inside = set.iter().any(|&(lo, hi)| lo <= ch && ch <= hi);
                        inside != negate && go(nrest, after)
                    }
                    None => false,
                },
                None => n.first() == Some(&'[') && go(&n[1..], rest),
            },
            c => n.first() == Some(&c) && go(&n[1..], rest),
        }
    }
    #[allow(clippy::type_complexity)]
    fn class(p: &[char]) -> Option<(bool, Vec<(char, char)>, &[char])> {
        let mut i = 0;
        let negate = p.first() == Some(&'!');
        if negate {
            i += 1;
        }
        let start = i;
        let mut set = Vec::new();
        while i < p.len() {
            if p[i] == ']' && i > start {
                return Some((negate, set, &p[i + 1..]));
            }
            if i + 2 < p.len() && p[i + 1] == '-' && p[i + 2] != ']' {
                set.push((p[i], p[i + 2]));
                i += 3;
            } else {
                set.push((p[i], p[i]));
                i += 1;
            }
        }
        None
    }
    go(&n, &p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fnmatch_basics() {
        assert!(fnmatch("auth.log", "*.log"));
        assert!(fnmatch("a1", "a[0-9]"));
        assert!(!fnmatch("ab", "a[!b]"));
        assert!(fnmatch("a?", "a[?]"));
        assert!(!fnmatch("x.log.1", "*.log"));
    }

    #[test]
    fn read_order_and_includes() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir(d.join("jail.d")).unwrap();
        std::fs::write(d.join("paths.conf"), "[DEFAULT]\np = base\n").unwrap();
        std::fs::write(d.join("paths.local"), "[DEFAULT]\np = local\n").unwrap();
        std::fs::write(
            d.join("jail.conf"),
            "[INCLUDES]\nbefore = paths.conf\n[a]\nm = 1\n",
        )
        .unwrap();
        std::fs::write(d.join("jail.d/50-x.conf"), "[a]\nm = 2\n").unwrap();
        std::fs::write(d.join("jail.d/40-y.conf"), "[a]\nm = 9\n").unwrap();
        std::fs::write(d.join("jail.local"), "[a]\nm = 3\n").unwrap();
        std::fs::write(d.join("jail.d/10-z.local"), "[a]\nm = 4\n").unwrap();
        std::fs::write(d.join("jail.d/.hidden.local"), "[a]\nm = 5\n").unwrap();
        let tree = Tree::new(d);
        let m = tree.read("jail").unwrap().unwrap();
        let names: Vec<String> = m
            .files
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(
            names,
            [
                "paths.conf",
                "paths.local",
                "jail.conf",
                "jail.d/40-y.conf",
                "jail.d/50-x.conf",
                "jail.local",
                "jail.d/10-z.local"
            ]
        );
        assert_eq!(m.get("a", "m", &Vars::new()).unwrap(), "4");
        assert_eq!(m.get("a", "p", &Vars::new()).unwrap(), "local");
        assert_eq!(m.get("KNOWN/a", "m", &Vars::new()).unwrap(), "3");
        assert!(tree.read("nosuch").unwrap().is_none());
    }
}
