//! `POST /api/v1/config/preview-log`: the tail of a log file, with the lines a fail2ban regex
//! matches (same compile path and date handling as the regex tester).
//!
//! Only two kinds of file may be read: one a configured (enabled) jail reads — its `logpath`
//! globs resolved from the effective config — or one inside the agent's `server.log_dirs`.
//! The requested path is resolved (symlinks, `..`) before the check and must be a regular file,
//! so neither a symlink nor a FIFO or device can lead anywhere else; anything else is
//! `400 invalid_input`. Only the last [`MAX_BYTES`] are read.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bangui_shared::models::regex::{LogPreviewLine, LogPreviewRequest, LogPreviewResponse};
use bangui_shared::ApiError;

use super::jail_config::{blocking, config_dir};
use super::regex_test::{filter_error, MAX_PATTERN_BYTES, TIME_BUDGET};
use crate::f2bconf::pyrepr::PyVal;
use crate::f2bconf::stream::Reader;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::regex::tester::{Filter, FilterSpec};
use crate::state::AppState;
use crate::tail::{allowed_log_path, read_tail, PathError};

pub const DEFAULT_LINES: usize = 200;
pub const MAX_LINES: usize = 5_000;
/// Bytes read from the end of the file.
pub const MAX_BYTES: u64 = 1024 * 1024;

fn refuse(path: &str, why: impl std::fmt::Display) -> ApiError {
    ApiError::invalid_field("path", format!("{path:?} cannot be previewed: {why}"))
}

/// The files the enabled jails read (their `addlogpath` commands), resolved.
fn jail_log_files(config_dir: &Path) -> Vec<PathBuf> {
    let mut reader = Reader::new(config_dir);
    let names = reader.jail_names().unwrap_or_default();
    let mut files = Vec::new();
    for name in names {
        let Ok(jail) = reader.read_jail(&name, false) else {
            continue;
        };
        for cmd in &jail.stream {
            let PyVal::List(v) = cmd else { continue };
            if v.get(2).and_then(PyVal::as_str) == Some("addlogpath") {
                if let Some(p) = v.get(3).and_then(PyVal::as_str) {
                    files.extend(Path::new(p).canonicalize().ok());
                }
            }
        }
    }
    files
}

/// The real path of `raw` when the API may read it.
fn resolve(raw: &str, log_dirs: &[PathBuf], config_dir: &Path) -> Result<PathBuf, ApiError> {
    if raw.is_empty() || raw.contains('\0') {
        return Err(refuse(raw, "empty or contains a NUL byte"));
    }
    match allowed_log_path(Path::new(raw), log_dirs) {
        Ok(real) => Ok(real),
        Err(PathError::Outside { .. }) => {
            // Resolved the same way as the allowlist entries, then compared exactly.
            let real = Path::new(raw).canonicalize().map_err(|e| refuse(raw, e))?;
            if !jail_log_files(config_dir).contains(&real) {
                return Err(refuse(
                    raw,
                    "no configured jail reads it and it is outside the allowed log directories",
                ));
            }
            if !real.metadata().is_ok_and(|m| m.is_file()) {
                return Err(refuse(raw, "not a regular file"));
            }
            Ok(real)
        }
        Err(PathError::Unresolvable { source, .. })
            if source.kind() == std::io::ErrorKind::NotFound =>
        {
            Err(refuse(raw, "the file does not exist"))
        }
        Err(e) => Err(refuse(raw, e)),
    }
}

pub async fn preview(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let body: LogPreviewRequest = req.json()?;
    let lines = body.lines.unwrap_or(DEFAULT_LINES);
    if !(1..=MAX_LINES).contains(&lines) {
        return Err(ApiError::invalid_field(
            "lines",
            format!("lines must be between 1 and {MAX_LINES}"),
        ));
    }
    let patterns: Vec<String> = body
        .failregex
        .map(|f| f.into_vec())
        .into_iter()
        .flatten()
        .chain(body.pattern)
        .collect();
    let size: usize = patterns.iter().map(String::len).sum();
    if size > MAX_PATTERN_BYTES {
        return Err(ApiError::invalid_body(format!(
            "the patterns take {size} bytes; at most {MAX_PATTERN_BYTES} in total"
        ))
        .with("field", "failregex"));
    }
    let log_dirs = state.config.server.log_dirs.clone();
    let dir = config_dir(state);
    let raw = body.path;
    let response = blocking(move || {
        // Compiled first: a broken pattern is a 422 whatever the path.
        let filter = if patterns.is_empty() {
            None
        } else {
            Some(
                Filter::new(&FilterSpec {
                    failregex: &patterns,
                    any_pattern: true,
                    maxlines: 1,
                    ..FilterSpec::default()
                })
                .map_err(filter_error)?,
            )
        };
        let real = resolve(&raw, &log_dirs, &dir)?;
        let tail = read_tail(&real, lines, MAX_BYTES).map_err(|e| refuse(&raw, e))?;
        let deadline = Instant::now() + TIME_BUDGET;
        let outcomes = filter.as_ref().map(|f| f.test_lines(&tail.lines, deadline));
        let lines: Vec<LogPreviewLine> = tail
            .lines
            .into_iter()
            .enumerate()
            .map(|(i, line)| {
                let o = outcomes.as_ref().map(|o| &o[i]);
                let span = o.and_then(|o| o.span);
                LogPreviewLine {
                    matched: span.is_some(),
                    spans: span.map(|(s, e)| vec![[s, e]]).unwrap_or_default(),
                    line,
                }
            })
            .collect();
        Ok(LogPreviewResponse {
            path: real.to_string_lossy().into_owned(),
            total_lines: lines.len(),
            matched_count: lines.iter().filter(|l| l.matched).count(),
            truncated: tail.truncated,
            lines,
        })
    })
    .await?;
    Reply::ok(&response)
}
