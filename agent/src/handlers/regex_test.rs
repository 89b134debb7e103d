//! `POST /api/v1/config/regex-test`: fail2ban regexes run on sample lines the way
//! `fail2ban-regex` runs them ([`crate::regex::tester`]). A regex that does not compile is a
//! `422 invalid_regex` naming the field, the index and the position. Matching runs off the async
//! runtime, bounded per line (backtracking limit) and per request (time budget).

use std::time::{Duration, Instant};

use bangui_shared::models::regex::{RegexTestLine, RegexTestRequest, RegexTestResponse};
use bangui_shared::{ApiError, ErrorCode};

use super::jail_config::blocking;
use crate::http::request::ApiRequest;
use crate::http::respond::Reply;
use crate::regex::compile::{CompileError, MatchError};
use crate::regex::tester::{Filter, FilterError, FilterSpec, LineError, Outcome};

/// All regexes of a request together.
pub const MAX_PATTERN_BYTES: usize = 16 * 1024;
/// Sample lines per request.
pub const MAX_LINES: usize = 10_000;
/// One sample line.
pub const MAX_LINE_BYTES: usize = 16 * 1024;
/// fail2ban's `maxlines`, at most.
pub const MAX_MAXLINES: usize = 1000;
/// Wall-clock budget for matching; lines left when it runs out are marked `timed_out`.
pub const TIME_BUDGET: Duration = Duration::from_secs(10);

/// The 422 for a filter that does not compile, with where and why.
pub(super) fn filter_error(e: FilterError) -> ApiError {
    let mut err = ApiError::new(ErrorCode::InvalidRegex, e.to_string()).with("field", e.field());
    match &e {
        FilterError::Regex { index, error, .. } => {
            err = err.with("index", *index as u64);
            if let CompileError::Syntax {
                position: Some(p),
                expanded,
                ..
            } = error
            {
                // The offset counts in the pattern as sent unless the error only exists after
                // the tags were expanded.
                err = err.with("position", *p as u64).with(
                    "position_in",
                    if *expanded { "expanded" } else { "pattern" },
                );
            }
        }
        FilterError::NoFailureId(index) => err = err.with("index", *index as u64),
        FilterError::NoFailregex | FilterError::Date(_) => {}
    }
    err
}

/// A 422 naming the request field that is out of bounds.
fn unprocessable(field: &str, detail: String) -> ApiError {
    ApiError::invalid_body(detail).with("field", field)
}

/// The sample lines of the request, within the limits.
fn sample_lines(body: &mut RegexTestRequest) -> Result<Vec<String>, ApiError> {
    let lines = match (body.lines.take(), body.log.take()) {
        (Some(_), Some(_)) => {
            return Err(
                ApiError::invalid_body("give either `lines` or `log`, not both")
                    .with("field", "lines"),
            )
        }
        (Some(lines), None) => lines,
        (None, Some(log)) => log
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
            .collect(),
        (None, None) => Vec::new(),
    };
    if lines.len() > MAX_LINES {
        return Err(unprocessable(
            "lines",
            format!("{} lines; at most {MAX_LINES} per request", lines.len()),
        ));
    }
    if let Some(i) = lines.iter().position(|l| l.len() > MAX_LINE_BYTES) {
        return Err(unprocessable(
            "lines",
            format!("line {} is longer than {MAX_LINE_BYTES} bytes", i + 1),
        )
        .with("line_number", (i + 1) as u64));
    }
    if let Some(i) = lines.iter().position(|l| l.contains('\n')) {
        return Err(unprocessable(
            "lines",
            format!("line {} contains a line break: one line per entry", i + 1),
        ));
    }
    Ok(lines)
}

fn line_result(n: usize, line: String, o: Outcome) -> RegexTestLine {
    RegexTestLine {
        line_number: n + 1,
        line,
        matched: o.matched,
        ignored: o.ignored,
        regex_index: o.regex_index,
        host: o.host,
        date_text: o.date.as_ref().map(|d| d.text.clone()),
        date: o.date.and_then(|d| d.time).map(|t| t.to_rfc3339()),
        captures: o.captures,
        timed_out: matches!(
            o.error,
            Some(LineError::Budget | LineError::Match(MatchError::BacktrackLimit))
        ),
        error: o.error.map(|e| e.to_string()),
    }
}

pub async fn test(req: &ApiRequest) -> Result<Reply, ApiError> {
    let mut body: RegexTestRequest = req.json()?;
    let lines = sample_lines(&mut body)?;
    let failregex = std::mem::take(&mut body.failregex).into_vec();
    let ignoreregex = body
        .ignoreregex
        .take()
        .map(|i| i.into_vec())
        .unwrap_or_default();
    let size: usize = failregex
        .iter()
        .chain(&ignoreregex)
        .chain(&body.prefregex)
        .chain(&body.datepattern)
        .map(String::len)
        .sum();
    if size > MAX_PATTERN_BYTES {
        return Err(unprocessable(
            "failregex",
            format!("the patterns take {size} bytes; at most {MAX_PATTERN_BYTES} in total"),
        ));
    }
    let maxlines = body.maxlines.unwrap_or(1);
    if !(1..=MAX_MAXLINES).contains(&maxlines) {
        return Err(unprocessable(
            "maxlines",
            format!("maxlines must be between 1 and {MAX_MAXLINES}"),
        ));
    }
    let response = blocking(move || {
        let filter = Filter::new(&FilterSpec {
            failregex: &failregex,
            ignoreregex: &ignoreregex,
            prefregex: body.prefregex.as_deref(),
            datepattern: body.datepattern.as_deref(),
            use_dns: body.use_dns,
            maxlines,
            any_pattern: false,
        })
        .map_err(filter_error)?;
        let outcomes = filter.test_lines(&lines, Instant::now() + TIME_BUDGET);
        let lines: Vec<RegexTestLine> = lines
            .into_iter()
            .zip(outcomes)
            .enumerate()
            .map(|(n, (line, o))| line_result(n, line, o))
            .collect();
        let count = |f: fn(&RegexTestLine) -> bool| lines.iter().filter(|l| f(l)).count();
        Ok(RegexTestResponse {
            total: lines.len(),
            matched: count(|l| l.matched),
            ignored: count(|l| l.ignored),
            missed: count(|l| !l.matched && !l.ignored && !l.timed_out),
            timed_out: count(|l| l.timed_out),
            engines: filter
                .engines()
                .iter()
                .map(|e| e.as_str().to_owned())
                .collect(),
            lines,
        })
    })
    .await?;
    Reply::ok(&response)
}
