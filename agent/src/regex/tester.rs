//! A filter run on sample lines the way `fail2ban-regex` runs it (`Filter.processLine`,
//! `findFailure` and `_mergeFailure` with every failregex checked, lines in order):
//!
//! 1. the date detector finds the timestamp, which is cut out (`prefix + rest`);
//! 2. the line joins the buffer of the last `maxlines` lines, searched as one text;
//! 3. with few ignoreregexes (fewer than failregexes − 2) they are tried first;
//! 4. the prefregex must match; its `<F-CONTENT>` becomes the text the failregexes see;
//! 5. each failregex is searched; a match is ignored when an ignoreregex matches too; the lines
//!    it covers leave the buffer (and count as matched, as `fail2ban-regex` counts them);
//! 6. matches with the same `<F-MLFID>` (connection id) are merged across lines; one whose
//!    `<F-NOFAIL>`/`<F-MLFGAINED>` group caught something is "not a failure" (ignored) unless an
//!    earlier failure of that connection is pending or several users tried.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;
use std::time::Instant;

use super::compile::{CompileError, Compiled, EngineKind, Found, MatchError};
use super::dates::{DateDetector, DateError, FoundDate};

/// Groups that identify a failure (`FAILURE_ID_PRESENTS`).
const FAILURE_ID_GROUPS: &[&str] = &["fid", "ip4", "ip6", "dns", "mlfid"];
/// The host groups, in the order `findFailure` reads them.
const HOST_GROUPS: &[&str] = &["ip4", "ip6", "dns", "fid"];

/// Which regex field of a request an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    Failregex,
    Ignoreregex,
    Prefregex,
}

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Failregex => "failregex",
            Self::Ignoreregex => "ignoreregex",
            Self::Prefregex => "prefregex",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("at least one failregex is required")]
    NoFailregex,
    #[error("{}[{index}] does not compile: {error}", field.as_str())]
    Regex {
        field: Field,
        index: usize,
        error: CompileError,
    },
    #[error("failregex[{0}] has no failure-id group (<HOST>, <ADDR>, <F-ID>..., in it or in the prefregex)")]
    NoFailureId(usize),
    #[error(transparent)]
    Date(#[from] DateError),
}

impl FilterError {
    pub fn field(&self) -> &'static str {
        match self {
            Self::NoFailregex | Self::NoFailureId(_) => "failregex",
            Self::Regex { field, .. } => field.as_str(),
            Self::Date(_) => "datepattern",
        }
    }
}

/// The parts of a filter the tester runs.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterSpec<'a> {
    pub failregex: &'a [String],
    pub ignoreregex: &'a [String],
    pub prefregex: Option<&'a str>,
    pub datepattern: Option<&'a str>,
    pub use_dns: bool,
    /// fail2ban's `maxlines`: lines searched together (0 and 1 mean one).
    pub maxlines: usize,
    /// Accept failregexes without a failure-id group (plain patterns for highlighting).
    pub any_pattern: bool,
}

/// A compiled filter.
#[derive(Debug)]
pub struct Filter {
    prefregex: Option<Compiled>,
    failregex: Vec<Compiled>,
    ignoreregex: Vec<Compiled>,
    dates: DateDetector,
    maxlines: usize,
}

/// What a line gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Outcome {
    pub matched: bool,
    pub ignored: bool,
    pub regex_index: Option<usize>,
    pub host: Option<String>,
    pub date: Option<FoundDate>,
    pub captures: BTreeMap<String, String>,
    /// The failregex match as a byte range of the original line.
    pub span: Option<(usize, usize)>,
    /// Set when the line could not be decided.
    pub error: Option<LineError>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    #[error(transparent)]
    Match(#[from] MatchError),
    #[error("the request's time budget ran out before this line")]
    Budget,
}

fn compile_all(
    field: Field,
    list: &[String],
    use_dns: bool,
    multi_line: bool,
) -> Result<Vec<Compiled>, FilterError> {
    list.iter()
        .enumerate()
        .map(|(index, re)| {
            Compiled::fail2ban(re, use_dns, multi_line).map_err(|error| FilterError::Regex {
                field,
                index,
                error,
            })
        })
        .collect()
}

/// One line in the buffer: the parts before and after its timestamp, and which sample line it
/// is (`None` for a prefregex content that replaced the buffer).
#[derive(Debug, Clone)]
struct TupleLine {
    index: Option<usize>,
    prefix: String,
    rest: String,
}

impl TupleLine {
    /// The line without its timestamp.
    fn text(&self) -> String {
        format!("{}{}", self.prefix, self.rest)
    }
}

/// `Regex._tupleLinesBuf`.
fn joined(lines: &[TupleLine]) -> String {
    let mut buf = lines
        .iter()
        .map(TupleLine::text)
        .collect::<Vec<_>>()
        .join("\n");
    buf.push('\n');
    buf
}

/// `Regex.search` with the original buffer: the lines a match covers, and the others (the
/// `<SKIPLINES>` it jumped over count as not covered).
fn split_matched(buf: &str, found: &Found, org: &[TupleLine]) -> (Vec<TupleLine>, Vec<TupleLine>) {
    if org.len() <= 1 {
        return (org.to_vec(), Vec::new());
    }
    // Byte positions: a match may start or end inside a multi-byte character's neighbourhood.
    let bytes = buf.as_bytes();
    let start = bytes[..(found.start + 1).min(bytes.len())]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    let from = found.end.saturating_sub(1).min(bytes.len());
    let end = bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p + 1);
    let newlines = |to: usize| bytes[..to].iter().filter(|&&b| b == b'\n').count();
    let first = newlines(start).min(org.len());
    let last = newlines(end).clamp(first, org.len());
    let mut matched = org[first..last].to_vec();
    let mut unmatched = org[..first].to_vec();
    let mut skipped = Vec::new();
    for n in 0.. {
        let Some(group) = found.named_spans.get(&format!("skiplines{n}")) else {
            break;
        };
        skipped.extend(buf[group.0..group.1].lines().map(str::to_owned));
    }
    let mut n = 0;
    for line in skipped {
        if let Some(m) = matched[n..].iter().position(|t| t.text() == line) {
            unmatched.push(matched.remove(n + m));
            n += m;
        }
    }
    unmatched.extend_from_slice(&org[last..]);
    (matched, unmatched)
}

/// A failure merged across the lines of one connection (`mlfidCache` entry).
#[derive(Debug, Default)]
struct Merged {
    groups: BTreeMap<String, String>,
    users: BTreeSet<String>,
    pending: bool,
}

/// A match as `findFailure` reports it.
struct Failure {
    index: usize,
    groups: BTreeMap<String, String>,
    nofail: bool,
    /// The match as a byte range of the current line without its timestamp, when it lies
    /// within that line.
    span: Option<(usize, usize)>,
}

/// The state of one run over sample lines.
struct Run<'f> {
    filter: &'f Filter,
    buffer: Vec<TupleLine>,
    connections: HashMap<String, Rc<RefCell<Merged>>>,
    outcomes: Vec<Outcome>,
}

/// `Regex._getGroupsWithAlt`: `<F-ALT_USER1>` etc. fill `user` when it caught nothing.
fn with_alternates(mut groups: BTreeMap<String, String>) -> BTreeMap<String, String> {
    let alternates: Vec<(String, String)> = groups
        .iter()
        .filter_map(|(k, v)| {
            let rest = k.strip_prefix("alt_")?;
            let base = rest.trim_end_matches(|c: char| c.is_ascii_digit());
            let base = base
                .strip_suffix('_')
                .filter(|_| base.len() < rest.len())
                .unwrap_or(rest);
            let target = match base {
                "id" => "fid",
                "port" => "fport",
                other => other,
            };
            (!v.is_empty() && !base.is_empty()).then(|| (target.to_owned(), v.clone()))
        })
        .collect();
    for (target, value) in alternates {
        if !truthy(&groups, &target) {
            groups.insert(target, value);
        }
    }
    groups
}

fn truthy(groups: &BTreeMap<String, String>, key: &str) -> bool {
    groups.get(key).is_some_and(|v| !v.is_empty())
}

impl Run<'_> {
    /// `Filter.processLine` plus `fail2ban-regex`'s classification of the line.
    fn line(&mut self, index: usize, line: &str) -> Result<(), MatchError> {
        let date = self.filter.dates.find(line).filter(|d| !d.text.is_empty());
        let tuple = match &date {
            Some(d) => TupleLine {
                index: Some(index),
                prefix: line[..d.start].to_owned(),
                rest: line[d.end..].to_owned(),
            },
            None => TupleLine {
                index: Some(index),
                prefix: String::new(),
                rest: line.to_owned(),
            },
        };
        self.outcomes[index].date = date;
        let multi = self.filter.maxlines > 1;
        let before: Vec<TupleLine> = if multi {
            let full = self.buffer.len() >= self.filter.maxlines;
            self.buffer[usize::from(full)..].to_vec()
        } else {
            Vec::new()
        };
        let (failures, ignored) = self.find_failure(tuple)?;
        let out = &mut self.outcomes[index];
        out.ignored = ignored || failures.iter().any(|f| f.nofail);
        if let Some(f) = failures.iter().find(|f| !f.nofail) {
            out.regex_index = Some(f.index);
            out.host = HOST_GROUPS.iter().find_map(|g| f.groups.get(*g).cloned());
            out.captures = f.groups.clone();
            let span = f.span;
            self.outcomes[index].span = span.map(|sp| self.span_in_line(index, line, sp));
        }
        let out = &mut self.outcomes[index];
        out.matched = out.regex_index.is_some() && !out.ignored;
        // Earlier lines a multi-line match took out of the buffer count as matched.
        for earlier in before {
            let Some(i) = earlier.index else { continue };
            if !self.buffer.iter().any(|t| t.index == Some(i)) {
                let o = &mut self.outcomes[i];
                if !o.matched && !o.ignored {
                    o.matched = true;
                }
            }
        }
        Ok(())
    }

    /// A range of the line without its timestamp as a range of the original line.
    fn span_in_line(&self, index: usize, line: &str, (s, e): (usize, usize)) -> (usize, usize) {
        let (prefix, cut) = match &self.outcomes[index].date {
            Some(d) => (d.start, d.end - d.start),
            None => (line.len(), 0),
        };
        let len = line.len() - cut;
        let map = |p: usize| {
            let p = p.min(len);
            if p > prefix {
                p + cut
            } else {
                p
            }
        };
        (map(s), map(e))
    }

    fn ignored(&self, buf: &str) -> Result<bool, MatchError> {
        for re in &self.filter.ignoreregex {
            if re.search(buf)?.is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `Filter.findFailure` with `checkAllRegex`: the failures, and whether an ignoreregex hit.
    fn find_failure(&mut self, tuple: TupleLine) -> Result<(Vec<Failure>, bool), MatchError> {
        let f = self.filter;
        let org: Vec<TupleLine> = if f.maxlines > 1 {
            self.buffer.push(tuple);
            let drop = self.buffer.len().saturating_sub(f.maxlines);
            self.buffer.drain(..drop);
            self.buffer.clone()
        } else {
            self.buffer = vec![tuple];
            self.buffer.clone()
        };
        let mut buf = Some(joined(&org));
        let mut failures = Vec::new();
        let mut ignored = false;
        if !f.ignoreregex.is_empty()
            && f.ignoreregex.len() + 2 < f.failregex.len()
            && self.ignored(buf.as_deref().unwrap_or_default())?
        {
            return Ok((failures, true));
        }
        let mut pre_groups = BTreeMap::new();
        let mut content_offset = 0;
        if let Some(pre) = &f.prefregex {
            let text = buf.clone().unwrap_or_default();
            let Some(found) = pre.search(&text)? else {
                return Ok((failures, false));
            };
            pre_groups = with_alternates(found.groups);
            if let Some(content) = pre_groups.remove("content").filter(|c| !c.is_empty()) {
                content_offset = found.named_spans["content"].0;
                self.buffer = vec![TupleLine {
                    index: None,
                    prefix: String::new(),
                    rest: content,
                }];
                buf = None;
            }
        }
        let current = org.last().and_then(|t| t.index);
        let cur_len = org.last().map_or(0, |t| t.prefix.len() + t.rest.len());
        for (index, re) in f.failregex.iter().enumerate() {
            let text = buf.get_or_insert_with(|| joined(&self.buffer)).clone();
            // (offset of the searched text in the joined lines, start of the current line there)
            let line_start = if self.buffer.last().is_some_and(|t| t.index.is_none()) {
                let org_len = joined(&org).len();
                Some((content_offset, org_len - 1 - cur_len))
            } else if self.buffer.last().is_some_and(|t| t.index == current) {
                Some((0, text.len() - 1 - cur_len))
            } else {
                None
            };
            let Some(found) = re.search(&text)? else {
                continue;
            };
            let (matched, unmatched) = split_matched(&text, &found, &org);
            if !f.ignoreregex.is_empty() {
                let probe = if f.maxlines > 1 {
                    joined(&matched)
                } else {
                    text.clone()
                };
                if self.ignored(&probe)? {
                    ignored = true;
                    if f.maxlines > 1 {
                        self.buffer = unmatched;
                    }
                    buf = None;
                    continue;
                }
            }
            if f.maxlines > 1 {
                self.buffer = unmatched;
                buf = None;
            }
            let mut groups = pre_groups.clone();
            groups.extend(with_alternates(found.groups.clone()));
            let nofail = match groups.get("mlfid").cloned() {
                Some(mlfid) => self.merge(&mlfid, &mut groups),
                None => truthy(&groups, "nofail"),
            };
            let span = line_start.and_then(|(base, searched)| {
                let s = (found.start + base).checked_sub(searched)?;
                let e = (found.end + base).saturating_sub(searched).min(cur_len);
                Some((s.min(cur_len), e))
            });
            failures.push(Failure {
                index,
                groups,
                nofail,
                span,
            });
        }
        Ok((failures, ignored))
    }

    /// `Filter._mergeFailure` and the pending mark of `findFailure`: merges `groups` into the
    /// connection's failure (and returns the merged groups in it); true when not a failure.
    fn merge(&mut self, mlfid: &str, groups: &mut BTreeMap<String, String>) -> bool {
        let mut flags = 0u8;
        if truthy(groups, "mlfgained") {
            flags |= 8 | 1;
            if !truthy(groups, "nofail") {
                let gained = groups["mlfgained"].clone();
                groups.insert("nofail".into(), gained);
            }
        } else if truthy(groups, "nofail") {
            flags |= 1;
        }
        if groups.remove("mlfforget").is_some_and(|v| !v.is_empty()) {
            flags |= 2;
        }
        let user = groups.get("user").filter(|u| !u.is_empty()).cloned();
        let entry = match self.connections.get(mlfid).cloned() {
            Some(entry) => {
                {
                    let mut e = entry.borrow_mut();
                    e.users.extend(user);
                    if e.groups.remove("nofail").is_some_and(|v| !v.is_empty()) {
                        flags |= 4;
                    }
                    if e.groups.remove("mlfgained").is_some_and(|v| !v.is_empty()) {
                        flags |= 4;
                    }
                    if flags & 8 != 0 {
                        e.pending = false;
                    }
                    e.groups.extend(groups.clone());
                }
                if flags & 2 != 0 {
                    self.connections.remove(mlfid);
                }
                entry
            }
            None => {
                let entry = Rc::new(RefCell::new(Merged {
                    groups: groups.clone(),
                    users: user.into_iter().collect(),
                    pending: false,
                }));
                if flags & 2 == 0 {
                    self.connections.insert(mlfid.to_owned(), entry.clone());
                }
                entry
            }
        };
        let mut e = entry.borrow_mut();
        if std::mem::take(&mut e.pending) || e.users.len() > 1 {
            e.groups.remove("nofail");
            e.groups.remove("mlfgained");
        }
        // No failure id yet: the failure waits for a later line of this connection.
        if !["ip4", "ip6", "dns", "fid"]
            .iter()
            .any(|g| e.groups.contains_key(*g))
        {
            e.pending = true;
        }
        *groups = e.groups.clone();
        truthy(groups, "nofail")
    }
}

impl Filter {
    pub fn new(spec: &FilterSpec<'_>) -> Result<Self, FilterError> {
        if spec.failregex.iter().all(|r| r.trim().is_empty()) {
            return Err(FilterError::NoFailregex);
        }
        let maxlines = spec.maxlines.max(1);
        let prefregex = spec
            .prefregex
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                Compiled::fail2ban(p, spec.use_dns, false).map_err(|error| FilterError::Regex {
                    field: Field::Prefregex,
                    index: 0,
                    error,
                })
            })
            .transpose()?;
        let failregex = compile_all(Field::Failregex, spec.failregex, spec.use_dns, maxlines > 1)?;
        let ignoreregex = compile_all(Field::Ignoreregex, spec.ignoreregex, spec.use_dns, false)?;
        let has_id = |re: &Compiled| FAILURE_ID_GROUPS.iter().any(|g| re.has_group(g));
        if !spec.any_pattern && !prefregex.as_ref().is_some_and(has_id) {
            if let Some(i) = failregex.iter().position(|re| !has_id(re)) {
                return Err(FilterError::NoFailureId(i));
            }
        }
        Ok(Self {
            prefregex,
            failregex,
            ignoreregex,
            dates: DateDetector::new(spec.datepattern)?,
            maxlines,
        })
    }

    /// The engine of each failregex.
    pub fn engines(&self) -> Vec<EngineKind> {
        self.failregex.iter().map(Compiled::engine).collect()
    }

    /// Runs one line on its own.
    pub fn test_line(&self, line: &str) -> Outcome {
        let far = Instant::now() + std::time::Duration::from_secs(3600);
        self.test_lines(&[line.to_owned()], far).remove(0)
    }

    /// Runs the lines in order until `deadline`; the lines after it are marked
    /// [`LineError::Budget`].
    pub fn test_lines(&self, lines: &[String], deadline: Instant) -> Vec<Outcome> {
        let mut run = Run {
            filter: self,
            buffer: Vec::new(),
            connections: HashMap::new(),
            outcomes: vec![Outcome::default(); lines.len()],
        };
        for (i, line) in lines.iter().enumerate() {
            if Instant::now() >= deadline {
                run.outcomes[i].error = Some(LineError::Budget);
                continue;
            }
            if let Err(e) = run.line(i, line) {
                let o = &mut run.outcomes[i];
                o.matched = false;
                o.error = Some(e.into());
            }
        }
        run.outcomes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn filter(fail: &[&str], ignore: &[&str], pref: Option<&str>) -> Filter {
        let (f, i) = (strings(fail), strings(ignore));
        Filter::new(&FilterSpec {
            failregex: &f,
            ignoreregex: &i,
            prefregex: pref,
            ..FilterSpec::default()
        })
        .unwrap()
    }

    #[test]
    fn date_is_cut_before_matching_and_spans_map_back() {
        let f = filter(
            &[r"^\s*LOGIN FAILED for user <F-USER>\S+</F-USER> from <HOST>\s*$"],
            &[],
            None,
        );
        let line = "Nov 24 19:40:01 LOGIN FAILED for user bob from 192.0.2.9";
        let o = f.test_line(line);
        assert!(o.matched, "{o:?}");
        assert_eq!(o.host.as_deref(), Some("192.0.2.9"));
        assert_eq!(o.captures["user"], "bob");
        assert_eq!(o.date.unwrap().text, "Nov 24 19:40:01");
        let (s, e) = o.span.unwrap();
        assert_eq!(&line[s..e], line);
    }

    #[test]
    fn ignoreregex_and_nofail() {
        let f = filter(
            &[
                r"^fail from <HOST>",
                r"^<F-NOFAIL>ok</F-NOFAIL> from <HOST>",
            ],
            &[r"192\.0\.2\.1\b"],
            None,
        );
        assert!(f.test_line("fail from 192.0.2.1").ignored);
        let o = f.test_line("fail from 192.0.2.2");
        assert!(o.matched && !o.ignored);
        let o = f.test_line("ok from 192.0.2.3");
        assert!(!o.matched && o.ignored);
        let o = f.test_line("nothing here");
        assert!(!o.matched && !o.ignored);
    }

    #[test]
    fn prefregex_content_is_what_failregex_sees() {
        let f = filter(
            &[r"^bad password for <F-USER>\S+</F-USER> from <HOST>$"],
            &[],
            Some(r"^\s*<F-MLFID>\S+ app\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$"),
        );
        let line = "2026-11-24 10:00:00 web1 app[7]: bad password for eve from 2001:db8::7";
        let o = f.test_line(line);
        assert!(o.matched, "{o:?}");
        assert_eq!(o.host.as_deref(), Some("2001:db8::7"));
        assert_eq!(o.captures["mlfid"], "web1 app[7]:");
        let (s, e) = o.span.unwrap();
        assert_eq!(&line[s..e], "bad password for eve from 2001:db8::7");
    }

    fn run(f: &Filter, lines: &[&str]) -> Vec<Outcome> {
        f.test_lines(
            &strings(lines),
            Instant::now() + std::time::Duration::from_secs(60),
        )
    }

    #[test]
    fn connection_ids_merge_across_lines() {
        let f = filter(
            &[
                r"^conn=<F-MLFID>\d+</F-MLFID> user=<F-ALT_USER>\S+</F-ALT_USER> failed$",
                r"^conn=<F-MLFID>\d+</F-MLFID> <F-NOFAIL>closed</F-NOFAIL> from <ADDR>$",
                r"^conn=<F-MLFID>\d+</F-MLFID> <F-MLFGAINED>accepted</F-MLFGAINED> from <ADDR>$",
            ],
            &[],
            None,
        );
        let out = run(
            &f,
            &[
                "conn=1 closed from 192.0.2.1",
                "conn=2 user=bob failed",
                "conn=2 closed from 192.0.2.2",
                "conn=3 accepted from 192.0.2.3",
            ],
        );
        // Not a failure on its own.
        assert!(out[0].ignored && !out[0].matched);
        // A failure without an address waits for the connection's address...
        assert!(out[1].matched && out[1].host.is_none());
        assert_eq!(out[1].captures["user"], "bob");
        // ...so the "closed" line that brings it counts as a failure.
        assert!(out[2].matched, "{:?}", out[2]);
        assert_eq!(out[2].host.as_deref(), Some("192.0.2.2"));
        assert!(out[3].ignored);
    }

    #[test]
    fn multi_line_matches_take_the_earlier_lines() {
        let f = Filter::new(&FilterSpec {
            failregex: &strings(&[r"^start (?P<id>\d+)$<SKIPLINES>^end (?P=id) from <ADDR>$"]),
            maxlines: 5,
            ..FilterSpec::default()
        })
        .unwrap();
        let out = run(&f, &["start 7", "noise", "end 7 from 192.0.2.9", "other"]);
        assert!(out[0].matched, "{out:?}");
        assert!(!out[1].matched, "skipped lines are not part of the match");
        assert!(out[2].matched);
        assert_eq!(out[2].host.as_deref(), Some("192.0.2.9"));
        assert!(!out[3].matched);
    }

    #[test]
    fn multi_byte_text_around_multi_line_matches() {
        let f = Filter::new(&FilterSpec {
            failregex: &strings(&[r"é<SKIPLINES>ü from <ADDR>$"]),
            maxlines: 3,
            ..FilterSpec::default()
        })
        .unwrap();
        let out = run(&f, &["ääé", "ö", "ü from 192.0.2.1"]);
        assert!(out[0].matched && out[2].matched, "{out:?}");
    }

    #[test]
    fn failure_id_is_required() {
        let f = strings(&["^no id here$"]);
        let e = Filter::new(&FilterSpec {
            failregex: &f,
            ..FilterSpec::default()
        })
        .unwrap_err();
        assert_eq!(e, FilterError::NoFailureId(0));
    }

    #[test]
    fn budget_marks_remaining_lines() {
        let f = filter(&[r"^x <HOST>"], &[], None);
        let out = f.test_lines(&strings(&["x 192.0.2.1"]), Instant::now());
        assert_eq!(out[0].error, Some(LineError::Budget));
    }

    proptest::proptest! {
        /// Any text (dates, newlines-free Unicode) through every code path: no panic, spans on
        /// character boundaries of the line.
        #[test]
        fn arbitrary_lines_never_panic(
            lines in proptest::collection::vec("[ -~äöüé\\[\\]:0-9]{0,60}", 1..8)
        ) {
            let fail = strings(&[
                r"^\s*(?:\S+ )?<F-MLFID>x\d</F-MLFID> <F-NOFAIL>ok</F-NOFAIL>",
                r"(?P<a>é)?(?(a)ü|ö)<SKIPLINES>from <HOST>",
                r"^.*?<F-USER>\S+</F-USER> (?:\d+:)?<ADDR>$",
            ]);
            let f = Filter::new(&FilterSpec {
                failregex: &fail,
                prefregex: Some(r"^\s*<F-CONTENT>.+</F-CONTENT>$"),
                maxlines: 3,
                ..FilterSpec::default()
            })
            .unwrap();
            let out = run(&f, &lines.iter().map(String::as_str).collect::<Vec<_>>());
            for (line, o) in lines.iter().zip(out) {
                if let Some((s, e)) = o.span {
                    proptest::prop_assert!(line.get(s..e).is_some(), "{line:?} {s}..{e}");
                }
            }
        }
    }
}
