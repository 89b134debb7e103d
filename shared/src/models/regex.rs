//! Bodies of `POST /api/v1/config/regex-test` (fail2ban's regex dialect run against sample
//! lines, the way `fail2ban-regex` runs it) and `POST /api/v1/config/preview-log` (the tail of a
//! log file a jail reads, with the lines a regex matches).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One regex or a list of them (`"failregex": "..."` or `"failregex": ["...", "..."]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn into_vec(self) -> Vec<String> {
        match self {
            Self::One(s) => vec![s],
            Self::Many(v) => v,
        }
    }
}

impl Default for OneOrMany {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegexTestRequest {
    /// fail2ban failregex lines, with `<HOST>`-style tags (already `%(...)s`-interpolated).
    pub failregex: OneOrMany,
    #[serde(default)]
    pub ignoreregex: Option<OneOrMany>,
    /// Runs first; the failregexes then see its `<F-CONTENT>` group.
    #[serde(default)]
    pub prefregex: Option<String>,
    /// Sample lines; or `log`, one string split on newlines.
    #[serde(default)]
    pub lines: Option<Vec<String>>,
    #[serde(default)]
    pub log: Option<String>,
    /// fail2ban `datepattern` (`%Y-%m-%d %H:%M:%S`, `{^LN-BEG}`, `EPOCH`, `{NONE}`...); none
    /// uses fail2ban's default date templates.
    #[serde(default)]
    pub datepattern: Option<String>,
    /// `<HOST>` also matches host names (fail2ban's `usedns` other than `no`). Default false.
    #[serde(default)]
    pub use_dns: bool,
    /// fail2ban's `maxlines`: how many consecutive lines the failregexes see at once (1–1000,
    /// default 1).
    #[serde(default)]
    pub maxlines: Option<usize>,
}

/// What one sample line gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegexTestLine {
    /// 1-based position among the lines sent.
    pub line_number: usize,
    pub line: String,
    /// A failregex matched (this line, or a multi-line match that took it in) and neither an
    /// ignoreregex nor an `<F-NOFAIL>` group vetoed it.
    pub matched: bool,
    /// An ignoreregex (or an `<F-NOFAIL>` group) matched: fail2ban does not count the line.
    pub ignored: bool,
    /// Index of the first failregex that matched.
    pub regex_index: Option<usize>,
    /// The failure id fail2ban would use: `ip4`, `ip6`, `dns` or `fid`.
    pub host: Option<String>,
    /// The timestamp text found by the date detector (removed before matching).
    pub date_text: Option<String>,
    /// That timestamp in RFC 3339 (UTC when the log gives no zone), when it can be read.
    pub date: Option<String>,
    /// Named groups that took part in the match (prefregex groups included).
    pub captures: BTreeMap<String, String>,
    /// The line could not be decided: the backtracking limit or the request's time budget ran
    /// out (see `error`).
    pub timed_out: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegexTestResponse {
    pub lines: Vec<RegexTestLine>,
    pub total: usize,
    pub matched: usize,
    pub ignored: usize,
    pub missed: usize,
    pub timed_out: usize,
    /// The engine that compiled each failregex: `regex` (linear) or `fancy-regex` (look-around,
    /// backreferences; bounded backtracking).
    pub engines: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogPreviewRequest {
    /// A log file a configured jail reads, or a file under the agent's `server.log_dirs`.
    pub path: String,
    /// How many lines of the tail to return.
    #[serde(default)]
    pub lines: Option<usize>,
    /// A fail2ban regex (tags allowed) to highlight; `pattern` is an alias.
    #[serde(default)]
    pub failregex: Option<OneOrMany>,
    #[serde(default)]
    pub pattern: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPreviewLine {
    pub line: String,
    pub matched: bool,
    /// Byte ranges `[start, end)` of `line` matched by the regex (whole matches).
    pub spans: Vec<[usize; 2]>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogPreviewResponse {
    /// The file read, symlinks and `..` resolved.
    pub path: String,
    pub lines: Vec<LogPreviewLine>,
    pub total_lines: usize,
    pub matched_count: usize,
    /// The file had more than was read (lines or bytes).
    pub truncated: bool,
}
