//! fail2ban's date detection (`server/datedetector.py`, `datetemplate.py`, `strptime.py`): find
//! the timestamp in a log line, so it can be cut out before the failregexes run, and read it.
//!
//! The templates are built the way fail2ban builds them: the same default list (each unanchored
//! template also gets a `{^LN-BEG}` copy that is tried first), the same `%X` field table, the
//! same word/line boundary rules and `**`/`{UNB}`/`{^LN-BEG}`/`{DATE}`/`{NONE}` markers, and
//! the `EPOCH`/`LEPOCH`/`TAI64N` templates. One difference: fail2ban's detector is stateful
//! (it prefers the template that won on earlier lines); this one decides each line afresh, as
//! fail2ban does for the first line of a log.

use std::sync::{Arc, LazyLock};

use chrono::{DateTime, Local, NaiveDate, TimeZone, Utc};
use fancy_regex::{Captures, Regex as PyRegex};

use super::compile::{CompileError, Compiled};
use super::dialect::python_to_rust;

/// `strptime.timeRE` as fail2ban-regex sets it up (`%ExY` covers 2000–2029).
const TIME_RE: &[(&str, &str)] = &[
    ("ExH", r"(?P<H>[0-1]\d|2[0-3])"),
    ("ExM", r"(?P<M>[0-5]\d)"),
    ("ExS", r"(?P<S>[0-5]\d|6[0-1])"),
    ("ExY", r"(?P<Y>20[012]\d)"),
    ("ExZ", r"(?P<Z>[A-Z](?:[A-Z]{2,4})?)"),
    ("Exd", r"(?P<d>[1-2]\d|0[1-9]|3[0-1])"),
    ("Exk", r" ?(?P<H>[0-1]?\d|2[0-3])"),
    ("Exl", r" ?(?P<I>1[0-2]|\d)"),
    ("Exm", r"(?P<m>0[1-9]|1[0-2])"),
    ("Exy", r"(?P<y>\d{2})"),
    (
        "Exz",
        r"(?P<z>(?:[A-Z](?:[A-Z]{2,4})?)?[+-][01]\d(?::?\d{2})?|[A-Z](?:[A-Z]{2,4})?)",
    ),
    ("%", "%"),
    (
        "A",
        r"(?P<A>wednesday|thursday|saturday|tuesday|monday|friday|sunday)",
    ),
    (
        "B",
        r"(?P<B>september|february|november|december|january|october|august|march|april|june|july|may)",
    ),
    ("G", r"(?P<G>\d\d\d\d)"),
    ("H", r"(?P<H>[0-1]?\d|2[0-3])"),
    ("I", r"(?P<I>1[0-2]|0[1-9]|[1-9])"),
    ("M", r"(?P<M>[0-5]?\d)"),
    ("S", r"(?P<S>[0-5]?\d|6[0-1])"),
    ("U", r"(?P<U>5[0-3]|[0-4]\d|\d)"),
    ("V", r"(?P<V>5[0-3]|0[1-9]|[1-4]\d|\d)"),
    ("W", r"(?P<W>5[0-3]|[0-4]\d|\d)"),
    (
        "X",
        r"(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)",
    ),
    ("Y", r"(?P<Y>\d{4})"),
    ("Z", r"(?P<Z>Z|[A-Z]{3,5})"),
    ("a", r"(?P<a>mon|tue|wed|thu|fri|sat|sun)"),
    (
        "b",
        r"(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)",
    ),
    (
        "c",
        r"(?P<a>mon|tue|wed|thu|fri|sat|sun)\s+(?P<b>jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)\s+(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])\s+(?P<H>2[0-3]|[0-1]\d|\d):(?P<M>[0-5]\d|\d):(?P<S>6[0-1]|[0-5]\d|\d)\s+(?P<Y>\d\d\d\d)",
    ),
    ("d", r"(?P<d>[1-2]\d|[0 ]?[1-9]|3[0-1])"),
    ("f", r"(?P<f>[0-9]{1,6})"),
    (
        "j",
        r"(?P<j>36[0-6]|3[0-5]\d|[1-2]\d\d|0[1-9]\d|00[1-9]|[1-9]\d|0[1-9]|[1-9])",
    ),
    ("k", r" ?(?P<H>[0-2]?\d)"),
    ("l", r" ?(?P<I>1?\d)"),
    ("m", r"(?P<m>0?[1-9]|1[0-2])"),
    ("p", r"(?P<p>am|pm)"),
    ("u", r"(?P<u>[1-7])"),
    ("w", r"(?P<w>[0-6])"),
    (
        "x",
        r"(?P<m>1[0-2]|0[1-9]|[1-9])/(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])/(?P<y>\d\d)",
    ),
    ("y", r"(?P<y>\d\d)"),
    ("z", r"(?P<z>Z|UTC|GMT|[+-][01]\d(?::?\d{2})?)"),
];

/// `DateDetectorCache.DEFAULT_TEMPLATES`.
const DEFAULT_TEMPLATES: &[&str] = &[
    r"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?",
    r"(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?",
    r"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
    r"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?",
    r"%m/%d/%ExY:%H:%M:%S",
    r"%m-%d-%ExY %k:%M:%S(?:\.%f)?",
    r"EPOCH",
    r"{^LN-BEG}%H:%M:%S",
    r"^<%m/%d/%Exy@%H:%M:%S>",
    r"%Exy%Exm%Exd  ?%H:%M:%S",
    r"%b %d, %ExY %I:%M:%S %p",
    r"^%b-%d-%Exy %k:%M:%S",
    r"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?",
    r"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"TAI64N",
];

const LINE_BEGIN: u8 = 8;
const LINE_END: u8 = 4;

const LN_BEG: &str = "{^LN-BEG}";

/// The Python regexes fail2ban applies to date patterns (compiled with `fancy-regex`, which
/// reads their look-behinds).
struct Meta {
    grouped: PyRegex,
    group: PyRegex,
    global_flags: PyRegex,
    no_word_bound_beg: PyRegex,
    no_word_bound_end: PyRegex,
    del_word_bounds: PyRegex,
    line_bound_beg: PyRegex,
    line_bound_end: PyRegex,
    alpha_pattern: PyRegex,
    epoch_pattern: PyRegex,
    date_prematch: PyRegex,
    start_anchor: PyRegex,
    end_anchor: PyRegex,
}

static META: LazyLock<Meta> = LazyLock::new(|| {
    let re = |p: &str| PyRegex::new(p).expect("fail2ban's date meta regex");
    Meta {
        grouped: re(r"(?<!(?:\(\?))(?<!\\)\((?!\?)"),
        group: re(r"^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$"),
        global_flags: re(r"\(\?[a-z]+\)"),
        no_word_bound_beg: re(r"^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)"),
        no_word_bound_end: re(r"(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$"),
        del_word_bounds: re(r"^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$"),
        line_bound_beg: re(r"^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))"),
        line_bound_end: re(r"(?<![\\\|])(?:\$\)?)$"),
        alpha_pattern: re(r"(?<!%)%[aAbBpc]"),
        epoch_pattern: re(r"(?i)(?<!\\)\{L?EPOCH\}"),
        date_prematch: re(r"(?i)(?<!\\)\{DATE\}"),
        start_anchor: re(r"^\((?:\?:)?\^\|\\b\|\\W\)"),
        end_anchor: re(r"\(\?=\\b\|\\W\|\$\)$"),
    }
});

fn is_match(re: &PyRegex, s: &str) -> bool {
    re.is_match(s).unwrap_or(false)
}

fn replace_first(re: &PyRegex, s: &str, with: &str) -> String {
    re.replacen(s, 1, fancy_regex::NoExpand(with)).into_owned()
}

/// A date pattern fail2ban would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateError {
    #[error("datepattern {pattern:?}: unknown field %{field} (write %% for a literal %)")]
    UnknownField { pattern: String, field: String },
    #[error("datepattern {pattern:?} does not compile: {error}")]
    Compile {
        pattern: String,
        error: CompileError,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WordBegin {
    No,
    Word,
    /// `{^LN-BEG}`: at the line start, after at most two non-word characters.
    Start,
}

#[derive(Debug, Clone, Copy)]
enum Kind {
    Fields,
    Epoch { long: bool, group: usize },
    Tai64n,
}

#[derive(Debug)]
struct Template {
    regex: Compiled,
    flags: u8,
    kind: Kind,
}

/// A timestamp found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDate {
    /// Byte range of the timestamp text in the line (what fail2ban cuts out).
    pub start: usize,
    pub end: usize,
    pub text: String,
    /// The instant, when the fields make a valid date.
    pub time: Option<DateTime<Utc>>,
}

/// The templates of one `datepattern` (or fail2ban's defaults).
#[derive(Debug)]
pub struct DateDetector {
    templates: Vec<Arc<Template>>,
}

/// fail2ban's default templates, built once (about 30 regexes with look-around).
static DEFAULTS: LazyLock<Result<Vec<Arc<Template>>, DateError>> =
    LazyLock::new(DateDetector::build_defaults);

/// `(regex, flags)` from `DateTemplate.setRegex`.
fn bound_regex(regex: &str, word_begin: WordBegin, word_end: bool) -> (String, u8) {
    let m = &*META;
    let mut regex = regex.trim().to_owned();
    let gf = m
        .global_flags
        .find(&regex)
        .ok()
        .flatten()
        .map(|f| f.as_str().to_owned());
    if gf.is_some() {
        regex = replace_first(&m.global_flags, &regex, "");
    }
    let bound_begin = word_begin != WordBegin::No && !is_match(&m.no_word_bound_beg, &regex);
    let bound_end = word_end && !is_match(&m.no_word_bound_end, &regex);
    if !is_match(&m.grouped, &regex) {
        regex = m.group.replace(&regex, "${1}(${2})${3}").into_owned();
    }
    let mut flags = 0;
    if bound_begin {
        if word_begin == WordBegin::Start {
            flags |= LINE_BEGIN;
            regex = format!(r"^(?:\W{{0,2}})?{regex}");
        } else {
            regex = format!(r"(?=^|\b|\W){regex}");
        }
    }
    if bound_end {
        regex.push_str(r"(?=\b|\W|$)");
    }
    if is_match(&m.line_bound_beg, &regex) {
        flags |= LINE_BEGIN;
    }
    if is_match(&m.line_bound_end, &regex) {
        flags |= LINE_END;
    }
    let regex = m
        .del_word_bounds
        .replace_all(&regex, |c: &Captures<str>| c[0].replace("**", ""))
        .into_owned();
    (format!("{}{regex}", gf.unwrap_or_default()), flags)
}

/// `%Y` etc. replaced by `TIME_RE` (`DatePatternRegex._patternRE`).
fn expand_fields(pattern: &str) -> Result<String, DateError> {
    let mut out = String::with_capacity(pattern.len() * 4);
    let mut rest = pattern;
    while let Some(p) = rest.find('%') {
        out.push_str(&rest[..p]);
        let after = &rest[p + 1..];
        let key = TIME_RE
            .iter()
            .filter(|(k, _)| k.len() > 1)
            .find(|(k, _)| after.starts_with(k))
            .or_else(|| {
                TIME_RE
                    .iter()
                    .filter(|(k, _)| k.len() == 1)
                    .find(|(k, _)| after.starts_with(k))
            });
        match key {
            Some((k, v)) => {
                out.push_str(v);
                rest = &after[k.len()..];
            }
            None => {
                return Err(DateError::UnknownField {
                    pattern: pattern.to_owned(),
                    field: after.chars().next().map(String::from).unwrap_or_default(),
                })
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

impl Template {
    fn new(pattern: &str, regex: String, flags: u8, kind: Kind) -> Result<Self, DateError> {
        // Python syntax (named conditionals of the epoch template, `\<`...) read the Python way.
        let regex = Compiled::rust(python_to_rust(&regex)).map_err(|error| DateError::Compile {
            pattern: pattern.to_owned(),
            error,
        })?;
        Ok(Self { regex, flags, kind })
    }

    /// `DatePatternRegex(pattern)`.
    fn fields(pattern: &str) -> Result<Self, DateError> {
        let (mut p, mut wb, mut we) = (pattern, WordBegin::Word, true);
        if let Some(rest) = p.strip_prefix("{UNB}") {
            (p, wb, we) = (rest, WordBegin::No, false);
        }
        if wb != WordBegin::No {
            if let Some(rest) = p.strip_prefix(LN_BEG) {
                (p, wb) = (rest, WordBegin::Start);
            }
        }
        let mut regex = expand_fields(p)?;
        if is_match(&META.alpha_pattern, p) {
            regex = format!("(?iu){regex}");
        }
        let (regex, flags) = bound_regex(&regex, wb, we);
        Self::new(pattern, regex, flags, Kind::Fields)
    }

    /// `DateEpoch`.
    fn epoch(pattern: Option<&str>, line_begin_only: bool, long: bool) -> Result<Self, DateError> {
        let epoch = if long {
            r"\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?"
        } else {
            r"\d{10,11}\b(?:\.\d{3,6})?"
        };
        let name = pattern.unwrap_or("EPOCH");
        let (regex, flags, group) = if let Some(p) = pattern {
            let inner = META
                .epoch_pattern
                .replace_all(p, fancy_regex::NoExpand(&format!("({epoch})")))
                .into_owned();
            let (r, f) = bound_regex(&format!("({inner})"), WordBegin::Word, true);
            (r, f, 2)
        } else if !line_begin_only {
            let r = format!(
                r"((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\())){epoch})(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))"
            );
            let (r, f) = bound_regex(&r, WordBegin::No, true);
            (r, f, 1)
        } else {
            let r = format!(r"((?P<square>(?<=^\[))?{epoch})(?(square)(?=\]))");
            let (r, f) = bound_regex(&r, WordBegin::Start, true);
            (r, f, 1)
        };
        Self::new(name, regex, flags, Kind::Epoch { long, group })
    }

    /// `DateTai64n`.
    fn tai64n(start: bool) -> Result<Self, DateError> {
        let wb = if start {
            WordBegin::Start
        } else {
            WordBegin::No
        };
        let (regex, flags) = bound_regex("@[0-9a-f]{24}", wb, true);
        Self::new("TAI64N", regex, flags, Kind::Tai64n)
    }

    /// `_getPatternTemplate`.
    fn from_pattern(pattern: &str) -> Result<Self, DateError> {
        let key = if pattern.contains('%') {
            pattern.to_owned()
        } else {
            pattern.to_uppercase()
        };
        if key.contains("EPOCH") {
            let long = key.contains("LEPOCH");
            if is_match(&META.epoch_pattern, pattern) {
                return Self::epoch(Some(pattern), false, long);
            }
            match key.as_str() {
                "EPOCH" | "LEPOCH" => return Self::epoch(None, false, long),
                "{^LN-BEG}EPOCH" | "^EPOCH" | "{^LN-BEG}LEPOCH" | "^LEPOCH" => {
                    return Self::epoch(None, true, long)
                }
                _ => {}
            }
        }
        match key.as_str() {
            "TAI64N" => Self::tai64n(false),
            "{^LN-BEG}TAI64N" | "^TAI64N" => Self::tai64n(true),
            _ => Self::fields(pattern),
        }
    }

    /// The name fail2ban wraps for `{^LN-BEG}`/`{DATE}` copies of non-pattern templates.
    fn is_anchored_name(pattern: &str) -> bool {
        pattern.starts_with(LN_BEG) || pattern.starts_with('^')
    }

    /// Group 1 (2 for `{EPOCH}` patterns): the timestamp text.
    fn search(&self, line: &str) -> Option<(usize, usize, Captured)> {
        let found = self.regex.search(line).ok().flatten()?;
        let group = match self.kind {
            Kind::Epoch { group, .. } => group,
            _ => 1,
        };
        let (s, e) = found.spans.get(group).copied().flatten()?;
        Some((
            s,
            e,
            Captured {
                whole_start: found.start,
                groups: found.groups,
                value: line[s..e].to_owned(),
            },
        ))
    }

    fn time(&self, c: &Captured) -> Option<DateTime<Utc>> {
        match self.kind {
            Kind::Fields => fields_time(&c.groups),
            Kind::Epoch { long, .. } => {
                let mut v: f64 = c.value.parse().ok()?;
                if long && c.value.len() >= 13 {
                    v /= if c.value.len() >= 16 && !c.value.contains('.') {
                        1_000_000.0
                    } else {
                        1000.0
                    };
                }
                DateTime::from_timestamp(v.trunc() as i64, (v.fract() * 1e9) as u32)
            }
            Kind::Tai64n => {
                let secs = i64::from_str_radix(c.value.get(2..17)?, 16).ok()?;
                DateTime::from_timestamp(secs, 0)
            }
        }
    }
}

struct Captured {
    whole_start: usize,
    groups: std::collections::BTreeMap<String, String>,
    value: String,
}

/// `reGroupDictStrptime` for the fields fail2ban's templates use.
fn fields_time(g: &std::collections::BTreeMap<String, String>) -> Option<DateTime<Utc>> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let num = |k: &str| g.get(k).and_then(|v| v.trim().parse::<u32>().ok());
    let now = Local::now();
    let year_given = g.get("Y").or(g.get("y")).is_some();
    let year = match (num("Y"), num("y")) {
        (Some(y), _) => y as i32,
        (None, Some(y)) if y <= 2000 => y as i32 + 2000,
        (None, Some(y)) => y as i32,
        _ => chrono::Datelike::year(&now),
    };
    let month = num("m").or_else(|| {
        let b = g.get("b").or(g.get("B"))?.to_lowercase();
        MONTHS
            .iter()
            .position(|m| b.starts_with(m))
            .map(|i| i as u32 + 1)
    });
    let day = num("d");
    let (month, day) = match (month, day) {
        (Some(m), Some(d)) => (m, d),
        _ => (chrono::Datelike::month(&now), chrono::Datelike::day(&now)),
    };
    let mut hour = num("H").unwrap_or(0);
    if let Some(h) = num("I") {
        let pm = g.get("p").is_some_and(|p| p.eq_ignore_ascii_case("pm"));
        hour = match (h, pm) {
            (12, false) => 0,
            (h, true) if h != 12 => h + 12,
            (h, _) => h,
        };
    }
    let micros = g
        .get("f")
        .map(|f| format!("{f:0<6}").parse::<u32>().unwrap_or(0))
        .unwrap_or(0);
    let naive = NaiveDate::from_ymd_opt(year, month, day)?.and_hms_micro_opt(
        hour,
        num("M").unwrap_or(0),
        num("S").unwrap_or(0).min(59),
        micros,
    )?;
    let offset = match g.get("z").or(g.get("Z")) {
        Some(z) => Some(zone_offset_minutes(z)?),
        None => None,
    };
    let utc = match offset {
        Some(off) => naive.and_utc() - chrono::Duration::minutes(off.into()),
        None => Local
            .from_local_datetime(&naive)
            .earliest()?
            .with_timezone(&Utc),
    };
    // fail2ban: a year-less date more than a day ahead is last year's.
    if !year_given && utc > Utc::now() + chrono::Duration::days(1) {
        let naive = naive.with_year_minus_one()?;
        return Some(match offset {
            Some(off) => naive.and_utc() - chrono::Duration::minutes(off.into()),
            None => Local
                .from_local_datetime(&naive)
                .earliest()?
                .with_timezone(&Utc),
        });
    }
    Some(utc)
}

trait MinusYear: Sized {
    fn with_year_minus_one(self) -> Option<Self>;
}

impl MinusYear for chrono::NaiveDateTime {
    fn with_year_minus_one(self) -> Option<Self> {
        chrono::Datelike::with_year(&self, chrono::Datelike::year(&self) - 1)
    }
}

/// `Z`, `UTC`, `GMT`, `+hh`, `+hhmm`, `+hh:mm` (fail2ban also knows a few zone names).
fn zone_offset_minutes(z: &str) -> Option<i32> {
    let z = z.trim();
    if matches!(z, "Z" | "UTC" | "GMT") {
        return Some(0);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(char::is_ascii_digit).collect();
    let hours: i32 = digits.get(..2)?.parse().ok()?;
    let minutes: i32 = digits
        .get(2..4)
        .map(|m| m.parse().ok())
        .unwrap_or(Some(0))?;
    Some(sign * (hours * 60 + minutes))
}

impl DateDetector {
    /// The detector for a filter's `datepattern` (one pattern per line); `None` gives
    /// fail2ban's defaults.
    pub fn new(datepattern: Option<&str>) -> Result<Self, DateError> {
        let patterns: Vec<&str> = datepattern
            .map(|d| {
                d.split('\n')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let mut templates = Vec::new();
        if patterns.is_empty() {
            templates = Self::defaults(|_| true)?;
        }
        for p in patterns {
            let key = if p.contains('%') {
                p.to_owned()
            } else {
                p.to_uppercase()
            };
            match key.as_str() {
                "{^LN-BEG}" => templates.extend(Self::defaults(|t| t.flags & LINE_BEGIN != 0)?),
                "{DEFAULT}" => templates.extend(Self::defaults(|_| true)?),
                // `{UNB}^`: an empty match at the line start, nothing is cut out.
                "{NONE}" => templates.push(Arc::new(Template::fields("{UNB}^")?)),
                _ if is_match(&META.date_prematch, p) => {
                    for dt in DEFAULT_TEMPLATES {
                        let inner = if dt.contains('%') {
                            unbound(dt)
                        } else {
                            // Non-pattern templates are wrapped by their name.
                            match *dt {
                                "EPOCH" => "Epoch".to_owned(),
                                other => other.to_owned(),
                            }
                        };
                        let wrapped = META
                            .date_prematch
                            .replace_all(p, fancy_regex::NoExpand(&inner))
                            .into_owned();
                        templates.push(Arc::new(Template::from_pattern(&wrapped)?));
                    }
                }
                _ => templates.push(Arc::new(Template::from_pattern(p)?)),
            }
        }
        Ok(Self { templates })
    }

    /// The default templates that `keep` selects.
    fn defaults(keep: impl Fn(&Template) -> bool) -> Result<Vec<Arc<Template>>, DateError> {
        let all = DEFAULTS.as_ref().map_err(Clone::clone)?;
        Ok(all.iter().filter(|t| keep(t)).cloned().collect())
    }

    /// `DateDetectorCache.templates`: the `{^LN-BEG}` copies first, then the defaults.
    fn build_defaults() -> Result<Vec<Arc<Template>>, DateError> {
        let mut anchored = Vec::new();
        let mut plain = Vec::new();
        for dt in DEFAULT_TEMPLATES {
            if !Template::is_anchored_name(dt) {
                let copy = match *dt {
                    "EPOCH" => format!("{LN_BEG}EPOCH"),
                    other => format!("{LN_BEG}{other}"),
                };
                anchored.push(Arc::new(Template::from_pattern(&copy)?));
            }
            plain.push(Arc::new(Template::from_pattern(dt)?));
        }
        Ok(anchored.into_iter().chain(plain).collect())
    }

    /// `DateDetector.matchTime` on a fresh detector: an anchored template wins at once, any
    /// other wins when it matches at the line start (position 0 or 1); otherwise the match
    /// nearest the line start.
    pub fn find(&self, line: &str) -> Option<FoundDate> {
        let mut best: Option<(usize, &Arc<Template>, usize, usize, Captured)> = None;
        let last = self.templates.len().saturating_sub(1);
        for (i, t) in self.templates.iter().enumerate() {
            let Some((s, e, c)) = t.search(line) else {
                continue;
            };
            let distance = c.whole_start;
            let anchored = t.flags & (LINE_BEGIN | LINE_END) != 0;
            if i == last || anchored || distance <= 1 {
                best = Some((distance, t, s, e, c));
                break;
            }
            if best.as_ref().is_none_or(|b| distance < b.0) {
                best = Some((distance, t, s, e, c));
            }
        }
        let (_, t, start, end, c) = best?;
        Some(FoundDate {
            start,
            end,
            time: t.time(&c),
            text: c.value,
        })
    }
}

/// `DateTemplate.unboundPattern`.
fn unbound(pattern: &str) -> String {
    let p = pattern.strip_prefix("{UNB}").unwrap_or(pattern);
    let p = p.strip_prefix(LN_BEG).unwrap_or(p);
    let p = replace_first(&META.start_anchor, p, "");
    replace_first(&META.end_anchor, &p, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn find(dp: Option<&str>, line: &str) -> Option<FoundDate> {
        DateDetector::new(dp).unwrap().find(line)
    }

    #[test]
    fn default_templates_build_and_find_common_formats() {
        let d = find(None, "Nov 24 19:40:01 host sshd[1]: Failed x").unwrap();
        assert_eq!(d.text, "Nov 24 19:40:01");
        assert_eq!((d.start, d.end), (0, 15));
        assert!(d.time.is_some());
        let d = find(None, "2026-11-24 19:40:01,123 fail2ban.x").unwrap();
        assert_eq!(d.text, "2026-11-24 19:40:01,123");
        let d = find(
            None,
            r#"192.0.2.1 - - [24/Nov/2026:19:40:01 +0100] "GET / HTTP/1.1" 401"#,
        )
        .unwrap();
        assert_eq!(d.text, "24/Nov/2026:19:40:01 +0100");
        assert_eq!(d.time.unwrap().to_rfc3339(), "2026-11-24T18:40:01+00:00");
        let d = find(None, "1795549201 login failed").unwrap();
        assert_eq!(d.text, "1795549201");
        assert_eq!(d.time.unwrap().timestamp(), 1795549201);
        let d = find(None, "@4000000050d506482dbdf024 x").unwrap();
        assert_eq!(d.text, "@4000000050d506482dbdf024");
    }

    #[test]
    fn line_begin_only_ignores_dates_later_in_the_line() {
        assert!(find(Some("{^LN-BEG}"), "user x at 2026-11-24 19:40:01").is_none());
        assert!(find(None, "user x at 2026-11-24 19:40:01").is_some());
        assert!(find(Some("{^LN-BEG}"), "[2026-11-24 19:40:01] x").is_some());
    }

    #[test]
    fn custom_patterns() {
        let d = find(Some("^%Y-%m-%d %H:%M:%S"), "2026-01-02 03:04:05 x").unwrap();
        assert_eq!(d.text, "2026-01-02 03:04:05");
        let d = find(
            Some("^t=%Y-%m-%dT%H:%M:%S%z"),
            "t=2026-01-02T03:04:05+0200 x",
        )
        .unwrap();
        assert_eq!(d.time.unwrap().to_rfc3339(), "2026-01-02T01:04:05+00:00");
        let d = find(Some(r"^[^\[]*\[({DATE})"), "x [Nov 24 19:40:01] y").unwrap();
        assert_eq!(d.text, "Nov 24 19:40:01");
        assert!(find(Some("{NONE}"), "Nov 24 19:40:01 x").is_none_or(|d| d.text.is_empty()));
        let d = find(Some("{^LN-BEG}Epoch"), "[1795549201] x").unwrap();
        assert_eq!(d.text, "1795549201");
        // As in Python, the optional `square` group gives way when no `]` follows.
        let d = find(Some("{^LN-BEG}Epoch"), "[1795549201 x").unwrap();
        assert_eq!(d.text, "1795549201");
        let d = find(None, "type=USER_AUTH msg=audit(1795549201.123:5): x").unwrap();
        assert_eq!(d.text, "1795549201.123");
        assert!(matches!(
            DateDetector::new(Some("%Q")),
            Err(DateError::UnknownField { .. })
        ));
    }
}
