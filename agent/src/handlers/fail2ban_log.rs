//! `GET /api/v1/config/fail2ban-log`: the tail of fail2ban's own log file (its `logtarget`),
//! with a minimum-level filter, a text filter and a cursor for polling.

use std::path::PathBuf;

use bangui_shared::models::server::LogLevel;
use bangui_shared::models::service::{Fail2BanLogResponse, LogLine};
use bangui_shared::ApiError;

use super::jail_config::blocking;
use crate::fail2ban::{reply, Command, ServerKey};
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::state::AppState;
use crate::tail::{allowed_log_path, read_since, read_tail, Cursor, PathError};

const DEFAULT_LINES: usize = 200;
const MAX_LINES: usize = 5_000;
/// At most this much of the file is read per request.
const MAX_BYTES: u64 = 4 * 1024 * 1024;
const MAX_FILTER_LEN: usize = 200;
const NON_FILE_TARGETS: [&str; 4] = ["STDOUT", "STDERR", "SYSLOG", "SYSTEMD-JOURNAL"];

/// Python logging's numeric levels for fail2ban's level names.
fn rank(level: &str) -> Option<u8> {
    Some(match level {
        "CRITICAL" => 50,
        "ERROR" => 40,
        "WARNING" => 30,
        "NOTICE" => 25,
        "INFO" => 20,
        "DEBUG" => 10,
        "TRACEDEBUG" => 7,
        "HEAVYDEBUG" => 5,
        _ => return None,
    })
}

/// The level of a log entry's first line (`2026-11-29 05:43:22,478 fail2ban.server  [5798]:
/// INFO    Starting ...`); `None` for continuation lines.
fn entry_level(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let dated = b.len() > 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[10] == b' '
        && b[13] == b':';
    if !dated {
        return None;
    }
    let (_, rest) = line.split_once("]: ")?;
    let word = rest.split_whitespace().next()?;
    rank(word).map(|_| word)
}

/// Gives every line the level of the entry it belongs to.
fn with_levels(lines: Vec<String>) -> Vec<LogLine> {
    let mut current: Option<String> = None;
    lines
        .into_iter()
        .map(|text| {
            if let Some(level) = entry_level(&text) {
                current = Some(level.to_owned());
            }
            LogLine {
                level: current.clone(),
                text,
            }
        })
        .collect()
}

/// Query parameters, checked.
struct LogQuery {
    lines: usize,
    min_level: Option<LogLevel>,
    filter: Option<String>,
    cursor: Option<Cursor>,
}

fn parse_query(req: &ApiRequest) -> Result<LogQuery, ApiError> {
    let lines = match req.query("lines") {
        None => DEFAULT_LINES,
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=MAX_LINES).contains(n))
            .ok_or_else(|| {
                ApiError::invalid_field(
                    "lines",
                    format!("lines must be a whole number from 1 to {MAX_LINES}, got {raw:?}"),
                )
            })?,
    };
    let min_level = match req.query("level").filter(|l| !l.is_empty()) {
        None => None,
        Some(raw) => Some(LogLevel::parse(raw).ok_or_else(|| {
            let names: Vec<&str> = LogLevel::ALL.iter().map(|l| l.as_str()).collect();
            ApiError::invalid_field(
                "level",
                format!("level must be one of {}", names.join(", ")),
            )
        })?),
    };
    let filter = req
        .query("filter")
        .filter(|f| !f.is_empty())
        .map(|f| {
            if f.chars().count() > MAX_FILTER_LEN {
                Err(ApiError::invalid_field(
                    "filter",
                    format!("filter is longer than {MAX_FILTER_LEN} characters"),
                ))
            } else {
                Ok(f.to_lowercase())
            }
        })
        .transpose()?;
    let cursor = req
        .query("cursor")
        .filter(|c| !c.is_empty())
        .map(|raw| {
            raw.parse::<Cursor>().map_err(|()| {
                ApiError::invalid_field(
                    "cursor",
                    "cursor is not one this API returned (pass back the `cursor` of a reply)",
                )
            })
        })
        .transpose()?;
    Ok(LogQuery {
        lines,
        min_level,
        filter,
        cursor,
    })
}

fn keep(line: &LogLine, q: &LogQuery) -> bool {
    let level_ok = match q.min_level {
        None => true,
        Some(min) => line
            .level
            .as_deref()
            .and_then(rank)
            .zip(rank(min.as_str()))
            .is_some_and(|(have, want)| have >= want),
    };
    level_ok
        && q.filter
            .as_deref()
            .is_none_or(|f| line.text.to_lowercase().contains(f))
}

fn path_error(target: &str, e: PathError) -> ApiError {
    ApiError::invalid_input(format!("fail2ban's log target cannot be read: {e}"))
        .with("field", "log_target")
        .with("log_target", target)
}

pub async fn get(state: &AppState, req: &ApiRequest) -> Result<Reply, ApiError> {
    let q = parse_query(req)?;
    let target = reply::string(
        state
            .fail2ban()
            .call(Command::GetServer(ServerKey::LogTarget))
            .await?,
    )?;
    if NON_FILE_TARGETS.contains(&target.to_ascii_uppercase().as_str()) {
        return Err(ApiError::invalid_input(format!(
            "fail2ban logs to {target}, not to a file: set a file log target to read it here"
        ))
        .with("field", "log_target")
        .with("log_target", target.as_str()));
    }
    let dirs = state.config.server.log_dirs.clone();
    let t = target.clone();
    let (tail, q) = blocking(move || {
        let path = allowed_log_path(&PathBuf::from(&t), &dirs).map_err(|e| path_error(&t, e))?;
        // Read every line within the byte cap: the filters run before the line count.
        let tail = match q.cursor {
            Some(c) => read_since(&path, c, usize::MAX, MAX_BYTES),
            None => read_tail(&path, usize::MAX, MAX_BYTES),
        }
        .map_err(|e| ApiError::internal(format!("cannot read {}: {e}", path.display())))?;
        Ok((tail, q))
    })
    .await?;
    let mut lines: Vec<LogLine> = with_levels(tail.lines)
        .into_iter()
        .filter(|l| keep(l, &q))
        .collect();
    let mut truncated = tail.truncated;
    if lines.len() > q.lines {
        lines.drain(..lines.len() - q.lines);
        truncated = true;
    }
    Reply::ok(&Fail2BanLogResponse {
        log_target: target,
        lines,
        truncated,
        cursor: tail.cursor.to_string(),
        reset: tail.reset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: [&str; 6] = [
        "2026-11-29 05:43:22,478 fail2ban.server         [5798]: INFO    Starting Fail2ban v1.0.2",
        "2026-11-29 05:43:22,500 fail2ban.jail           [5798]: WARNING Jail 'x' uses polling",
        "2026-11-29 05:43:23,001 fail2ban.transmitter    [5798]: ERROR   Command failed",
        "Traceback (most recent call last):",
        "  File \"x.py\", line 1",
        "2026-11-29 05:43:24,000 fail2ban.filter         [5798]: DEBUG   details",
    ];

    fn query(min: Option<LogLevel>, filter: Option<&str>) -> LogQuery {
        LogQuery {
            lines: 100,
            min_level: min,
            filter: filter.map(str::to_owned),
            cursor: None,
        }
    }

    fn kept(q: &LogQuery) -> Vec<String> {
        with_levels(LOG.iter().map(|s| s.to_string()).collect())
            .into_iter()
            .filter(|l| keep(l, q))
            .map(|l| l.text)
            .collect()
    }

    #[test]
    fn continuation_lines_follow_their_entry() {
        let lines = with_levels(LOG.iter().map(|s| s.to_string()).collect());
        let levels: Vec<_> = lines.iter().map(|l| l.level.as_deref()).collect();
        assert_eq!(
            levels,
            [
                Some("INFO"),
                Some("WARNING"),
                Some("ERROR"),
                Some("ERROR"),
                Some("ERROR"),
                Some("DEBUG")
            ]
        );
    }

    #[test]
    fn the_level_filter_keeps_that_level_and_above() {
        let warn = kept(&query(Some(LogLevel::Warning), None));
        assert_eq!(warn.len(), 4);
        assert!(warn[0].contains("WARNING") && warn[3].starts_with("  File"));
        assert_eq!(kept(&query(Some(LogLevel::Debug), None)).len(), 6);
        assert_eq!(kept(&query(Some(LogLevel::Critical), None)).len(), 0);
        assert_eq!(kept(&query(None, Some("traceback"))).len(), 1);
    }

    #[test]
    fn only_dated_lines_start_entries() {
        assert_eq!(entry_level(LOG[0]), Some("INFO"));
        assert_eq!(entry_level("INFO something"), None);
        assert_eq!(entry_level("2026-11-29 05:43:22,478 x [1]: LOUD y"), None);
    }
}
