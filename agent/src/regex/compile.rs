//! One fail2ban regex made runnable in Rust: tags expanded and Python spellings rewritten
//! ([`crate::f2bconf::regex::translate`]), matching semantics adapted ([`super::dialect`]), then
//! compiled with the linear-time `regex` crate, or with `fancy-regex` when the pattern needs
//! look-around, backreferences or conditionals. `fancy-regex` backtracks, so it runs with a
//! backtracking limit: a pattern built to explode gives up on a line instead of stalling.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use crate::f2bconf::regex::translate;

use super::dialect;

/// Backtracking steps one `fancy-regex` search may take before giving up on a line.
pub const BACKTRACK_LIMIT: usize = 100_000;
/// Compiled-program budget of the `regex` crate (its default is 10 MiB per regex); a few
/// `<HOST>` tags need well under 1 MiB.
const SIZE_LIMIT: usize = 4 * 1024 * 1024;

/// Which engine runs a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineKind {
    Linear,
    Backtracking,
}

impl EngineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linear => "regex",
            Self::Backtracking => "fancy-regex",
        }
    }
}

#[derive(Debug)]
enum Engine {
    Linear(regex::Regex),
    Backtracking(fancy_regex::Regex),
}

/// Why a pattern was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileError {
    #[error("the regex is empty")]
    Empty,
    #[error("{reason}{}", position.map(|p| format!(" at position {p} of the {} pattern (near {near:?})", if *expanded { "expanded" } else { "written" })).unwrap_or_default())]
    Syntax {
        reason: String,
        /// Byte offset of the error, when the engine names one: in the pattern as written when
        /// it can be located there, else in the expanded pattern (`expanded`).
        position: Option<usize>,
        expanded: bool,
        /// A few characters around the position.
        near: String,
    },
    #[error("redefinition of group name '{0}' (Python refuses it)")]
    DuplicateGroup(String),
}

/// A search gave up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    #[error("backtracking limit of {BACKTRACK_LIMIT} steps exceeded")]
    BacktrackLimit,
    #[error("matching failed: {0}")]
    Other(String),
}

/// A successful search: the whole match and the named groups that took part.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Found {
    pub start: usize,
    pub end: usize,
    pub groups: BTreeMap<String, String>,
    /// Byte ranges of those named groups.
    pub named_spans: BTreeMap<String, (usize, usize)>,
    /// Every group by number (0 = the whole match), `None` when it did not take part.
    pub spans: Vec<Option<(usize, usize)>>,
}

/// A compiled fail2ban regex.
#[derive(Debug)]
pub struct Compiled {
    engine: Engine,
    names: Vec<String>,
    /// The pattern as compiled (after expansion and rewriting).
    pub expanded: String,
}

impl Compiled {
    /// Compiles a failregex/ignoreregex/prefregex as fail2ban writes them (`<HOST>` etc.);
    /// `multi_line` is Python's `re.MULTILINE` (failregexes of a filter with `maxlines > 1`).
    pub fn fail2ban(pattern: &str, use_dns: bool, multi_line: bool) -> Result<Self, CompileError> {
        if pattern.trim().is_empty() {
            return Err(CompileError::Empty);
        }
        let expanded = dialect::python_to_rust(&translate(pattern, use_dns));
        Self::rust(if multi_line {
            format!("(?m){expanded}")
        } else {
            expanded
        })
        .map_err(|e| locate_in_source(pattern, e))
    }

    /// Compiles a pattern already in Rust syntax (the date templates).
    pub fn rust(expanded: String) -> Result<Self, CompileError> {
        check_duplicate_groups(&expanded)?;
        let engine = match regex::RegexBuilder::new(&expanded)
            .size_limit(SIZE_LIMIT)
            .build()
        {
            Ok(re) => Engine::Linear(re),
            Err(linear) => match fancy_regex::RegexBuilder::new(&expanded)
                .backtrack_limit(BACKTRACK_LIMIT)
                .delegate_size_limit(SIZE_LIMIT)
                .build()
            {
                Ok(re) => Engine::Backtracking(re),
                Err(fancy) => return Err(syntax_error(&expanded, &fancy, &linear)),
            },
        };
        let names = match &engine {
            Engine::Linear(re) => re.capture_names().flatten().map(str::to_owned).collect(),
            Engine::Backtracking(re) => re.capture_names().flatten().map(str::to_owned).collect(),
        };
        Ok(Self {
            engine,
            names,
            expanded,
        })
    }

    pub fn engine(&self) -> EngineKind {
        match self.engine {
            Engine::Linear(_) => EngineKind::Linear,
            Engine::Backtracking(_) => EngineKind::Backtracking,
        }
    }

    pub fn has_group(&self, name: &str) -> bool {
        self.names.iter().any(|n| n == name)
    }

    /// `re.search`: the leftmost match anywhere in `text`.
    pub fn search(&self, text: &str) -> Result<Option<Found>, MatchError> {
        let named = |get: &dyn Fn(&str) -> Option<(usize, usize)>| {
            let spans: BTreeMap<String, (usize, usize)> = self
                .names
                .iter()
                .filter_map(|n| get(n).map(|span| (n.clone(), span)))
                .collect();
            let texts = spans
                .iter()
                .map(|(n, &(s, e))| (n.clone(), text[s..e].to_owned()))
                .collect();
            (texts, spans)
        };
        match &self.engine {
            Engine::Linear(re) => Ok(re.captures(text).map(|c| {
                let spans: Vec<_> = c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect();
                let whole = spans[0].unwrap_or_default();
                let (groups, named_spans) = named(&|n| c.name(n).map(|m| (m.start(), m.end())));
                Found {
                    start: whole.0,
                    end: whole.1,
                    groups,
                    named_spans,
                    spans,
                }
            })),
            Engine::Backtracking(re) => match re.captures(text) {
                Ok(Some(c)) => {
                    let spans: Vec<_> = c.iter().map(|m| m.map(|m| (m.start(), m.end()))).collect();
                    let whole = spans[0].unwrap_or_default();
                    let (groups, named_spans) = named(&|n| c.name(n).map(|m| (m.start(), m.end())));
                    Ok(Some(Found {
                        start: whole.0,
                        end: whole.1,
                        groups,
                        named_spans,
                        spans,
                    }))
                }
                Ok(None) => Ok(None),
                Err(e) => Err(match_error(e)),
            },
        }
    }
}

fn match_error(e: fancy_regex::Error) -> MatchError {
    match e {
        fancy_regex::Error::RuntimeError(fancy_regex::RuntimeError::BacktrackLimitExceeded) => {
            MatchError::BacktrackLimit
        }
        other => MatchError::Other(other.to_string()),
    }
}

/// The clearer of the two engines' complaints: `fancy-regex` parses the full dialect, so its
/// error is the real one unless it only refuses something the `regex` crate reported better.
fn syntax_error(pattern: &str, fancy: &fancy_regex::Error, linear: &regex::Error) -> CompileError {
    let (reason, position) = match fancy {
        fancy_regex::Error::ParseError(pos, e) => (e.to_string(), Some(*pos)),
        fancy_regex::Error::CompileError(e) => match e.as_ref() {
            fancy_regex::CompileError::InnerError(_) => (linear_reason(linear), None),
            other => (other.to_string(), None),
        },
        other => (other.to_string(), None),
    };
    CompileError::Syntax {
        reason,
        position,
        expanded: true,
        near: position.map(|p| near(pattern, p)).unwrap_or_default(),
    }
}

/// A few characters of `pattern` around byte `p`.
fn near(pattern: &str, p: usize) -> String {
    let p = floor_char(pattern, p.min(pattern.len()));
    let from = floor_char(pattern, p.saturating_sub(20));
    let to = floor_char(pattern, (p + 20).min(pattern.len()));
    pattern[from..to].to_owned()
}

/// fail2ban's tags (`FTAG_CRE`); which of them are expanded is decided in [`is_expanded_tag`].
static TAG: LazyLock<regex::Regex> =
    LazyLock::new(|| regex::Regex::new(r"</?[\w\-]+/?>").expect("tag pattern"));

fn is_expanded_tag(tag: &str) -> bool {
    let name = &tag[1..tag.len() - 1];
    matches!(
        name,
        "HOST" | "ADDR" | "IP4" | "IP6" | "DNS" | "CIDR" | "SUBNET" | "SKIPLINES"
    ) || name
        .trim_start_matches('/')
        .trim_end_matches('/')
        .strip_prefix("F-")
        .is_some_and(|n| !n.is_empty())
}

/// Moves a syntax error's position from the expanded pattern to the pattern as written: the
/// written pattern is parsed with every tag replaced by a neutral group of the same length, so
/// offsets line up. Errors that only exist after expansion keep their expanded position.
fn locate_in_source(pattern: &str, err: CompileError) -> CompileError {
    let CompileError::Syntax { reason, .. } = &err else {
        return err;
    };
    let neutral = TAG.replace_all(pattern, |c: &regex::Captures| {
        let tag = &c[0];
        if is_expanded_tag(tag) && tag.len() >= 4 {
            format!("(?:{})", "x".repeat(tag.len() - 4))
        } else {
            tag.to_owned()
        }
    });
    match fancy_regex::Regex::new(&neutral) {
        Err(fancy_regex::Error::ParseError(p, _)) => CompileError::Syntax {
            reason: reason.clone(),
            position: Some(p),
            expanded: false,
            near: near(pattern, p),
        },
        _ => err,
    }
}

/// The `regex` crate's message without its multi-line caret drawing.
fn linear_reason(e: &regex::Error) -> String {
    let text = e.to_string();
    text.lines()
        .rev()
        .find_map(|l| l.strip_prefix("error: "))
        .unwrap_or(&text)
        .to_owned()
}

fn floor_char(s: &str, mut i: usize) -> usize {
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Python refuses a group name used twice; `fancy-regex` would accept it.
fn check_duplicate_groups(pattern: &str) -> Result<(), CompileError> {
    let mut seen: Vec<&str> = Vec::new();
    for part in pattern.split("(?P<").skip(1) {
        if let Some(name) = part.split('>').next() {
            if seen.contains(&name) {
                return Err(CompileError::DuplicateGroup(name.to_owned()));
            }
            seen.push(name);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_patterns_use_the_linear_engine() {
        let re = Compiled::fail2ban(r"^bad login from <ADDR>$", false, false).unwrap();
        assert_eq!(re.engine(), EngineKind::Linear);
        let f = re.search("bad login from 192.0.2.7\n").unwrap().unwrap();
        assert_eq!(f.groups.get("ip4").map(String::as_str), Some("192.0.2.7"));
        assert!(!f.groups.contains_key("ip6"));
    }

    #[test]
    fn look_around_and_backrefs_fall_back_to_fancy() {
        let re = Compiled::fail2ban(r"^(?P<a>x)(?!y)\w (?P=a) <HOST>", false, false).unwrap();
        assert_eq!(re.engine(), EngineKind::Backtracking);
        assert!(re.search("xz x 2001:db8::1\n").unwrap().is_some());
        assert!(re.search("xz q 2001:db8::1\n").unwrap().is_none());
    }

    #[test]
    fn errors_name_the_position_and_reason() {
        let e = Compiled::fail2ban("^(unclosed <HOST>", false, false).unwrap_err();
        let text = e.to_string();
        // fancy-regex names the end of the pattern for an unclosed group.
        assert!(
            text.contains("position 17 of the written pattern"),
            "{text}"
        );
        assert!(matches!(
            e,
            CompileError::Syntax {
                position: Some(17),
                expanded: false,
                ..
            }
        ));
        // After a tag: the offset still counts in the pattern as written.
        let e = Compiled::fail2ban(r"^<F-USER>\S+</F-USER> from <HOST> (?P<x", false, false);
        let text = e.unwrap_err().to_string();
        assert!(text.contains("of the written pattern"), "{text}");
        assert!(text.contains("(?P<x"), "{text}");
        assert_eq!(
            Compiled::fail2ban("<HOST> <HOST>", false, false).unwrap_err(),
            CompileError::DuplicateGroup("ip4".into())
        );
        assert_eq!(
            Compiled::fail2ban("  ", false, false).unwrap_err(),
            CompileError::Empty
        );
        assert!(Compiled::fail2ban("a[b", false, false).is_err());
    }

    #[test]
    fn catastrophic_backtracking_hits_the_limit() {
        // The backreference forces fancy-regex; (a+)+ then explodes on a non-matching tail.
        let re = Compiled::rust(r"^(?P<x>a)((a+)+)+(?P=x)?b$".into()).unwrap();
        assert_eq!(re.engine(), EngineKind::Backtracking);
        let line = format!("{}c", "a".repeat(40));
        assert_eq!(re.search(&line), Err(MatchError::BacktrackLimit));
    }
}
