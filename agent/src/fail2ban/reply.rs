//! Typed views of fail2ban's replies. Each parser names what it expected when a reply does not fit.

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};

use super::codec::Value;
use super::error::Fail2banError;

fn unexpected(what: &str, v: &Value) -> Fail2banError {
    Fail2banError::UnexpectedReply(format!("expected {what}, got {v}"))
}

pub fn string(v: Value) -> Result<String, Fail2banError> {
    match v {
        Value::Str(s) => Ok(s),
        other => Err(unexpected("a string", &other)),
    }
}

/// A string that fail2ban may also report as `None`.
pub fn opt_string(v: Value) -> Result<Option<String>, Fail2banError> {
    match v {
        Value::None => Ok(None),
        Value::Str(s) => Ok(Some(s)),
        other => Ok(Some(other.to_string())),
    }
}

pub fn int(v: Value) -> Result<i64, Fail2banError> {
    v.as_i64().ok_or_else(|| unexpected("an integer", &v))
}

pub fn opt_int(v: Value) -> Result<Option<i64>, Fail2banError> {
    match v {
        Value::None => Ok(None),
        other => int(other).map(Some),
    }
}

pub fn boolean(v: Value) -> Result<bool, Fail2banError> {
    match v {
        Value::Bool(b) => Ok(b),
        Value::Int(i) => Ok(i != 0),
        other => Err(unexpected("a boolean", &other)),
    }
}

/// `bantime.increment` answers `None` until it was ever set, which means off.
pub fn opt_bool(v: Value) -> Result<bool, Fail2banError> {
    match v {
        Value::None => Ok(false),
        other => boolean(other),
    }
}

pub fn strings(v: Value) -> Result<Vec<String>, Fail2banError> {
    match v {
        Value::List(items) | Value::Tuple(items) | Value::Set(items) => items
            .into_iter()
            .map(|item| match item {
                Value::Str(s) => Ok(s),
                other => Ok(other.to_string()),
            })
            .collect(),
        Value::None => Ok(Vec::new()),
        other => Err(unexpected("a list", &other)),
    }
}

/// Walks fail2ban's `[(label, value), ...]` status lists.
fn pairs(v: Value) -> Result<Vec<(String, Value)>, Fail2banError> {
    let items = match v {
        Value::List(items) | Value::Tuple(items) => items,
        other => return Err(unexpected("a list of (label, value) pairs", &other)),
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::Tuple(mut kv) | Value::List(mut kv) if kv.len() == 2 => {
                let value = kv.pop().unwrap_or(Value::None);
                let label = kv.pop().unwrap_or(Value::None);
                Ok((label.as_str().unwrap_or_default().to_owned(), value))
            }
            other => Err(unexpected("a (label, value) pair", &other)),
        })
        .collect()
}

/// `status`: the names of the running jails.
pub fn jail_list(v: Value) -> Result<Vec<String>, Fail2banError> {
    for (label, value) in pairs(v)? {
        if label == "Jail list" {
            let joined = string(value)?;
            return Ok(joined
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect());
        }
    }
    Ok(Vec::new())
}

/// `status <jail>` counters (and the banned list when asked for the basic flavour).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JailStatus {
    pub currently_failed: u64,
    pub total_failed: u64,
    pub files: Vec<String>,
    pub currently_banned: u64,
    pub total_banned: u64,
    pub banned: Vec<String>,
}

pub fn jail_status(v: Value) -> Result<JailStatus, Fail2banError> {
    let mut status = JailStatus::default();
    for (_section, inner) in pairs(v)? {
        for (label, value) in pairs(inner)? {
            let count = || value.as_i64().map(|n| n.max(0) as u64).unwrap_or(0);
            match label.as_str() {
                "Currently failed" => status.currently_failed = count(),
                "Total failed" => status.total_failed = count(),
                "Currently banned" => status.currently_banned = count(),
                "Total banned" => status.total_banned = count(),
                "File list" | "Journal matches" => status.files = strings(value)?,
                "Banned IP list" => status.banned = strings(value)?,
                _ => {}
            }
        }
    }
    Ok(status)
}

/// One active ban from `get <jail> banip --with-time`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanEntry {
    pub ip: String,
    pub banned_at: Option<DateTime<Utc>>,
    /// Ban duration in seconds; negative means permanent.
    pub ban_seconds: i64,
    pub expires_at: Option<DateTime<Utc>>,
}

/// Parses `"192.0.2.7 \t2026-11-29 05:43:32 + 600 = 2026-11-29 05:53:32"`. fail2ban renders the
/// times in the server's local time zone, which is the agent's (they share the host).
pub fn ban_entry(line: &str) -> Result<BanEntry, Fail2banError> {
    let bad = || Fail2banError::UnexpectedReply(format!("unreadable ban entry {line:?}"));
    let (ip, rest) = line.split_once(" \t").ok_or_else(bad)?;
    let (start, rest) = rest.split_once(" + ").ok_or_else(bad)?;
    let (seconds, _end) = rest.split_once(" = ").ok_or_else(bad)?;
    let ban_seconds: i64 = seconds.trim().parse().map_err(|_| bad())?;
    let banned_at = local_time(start.trim())
        .and_then(|naive| Local.from_local_datetime(&naive).earliest())
        .map(|t| t.with_timezone(&Utc));
    let expires_at = match (banned_at, ban_seconds) {
        (Some(at), secs) if secs >= 0 => Some(at + chrono::Duration::seconds(secs)),
        _ => None,
    };
    Ok(BanEntry {
        ip: ip.trim().to_owned(),
        banned_at,
        ban_seconds,
        expires_at,
    })
}

/// fail2ban's `%Y-%m-%d %H:%M:%S`. The common shape is read here, once per ban of a list, since
/// chrono's `parse_from_str` parses its format string on every call (an eighth of the agent's CPU
/// for a 1,000-ban list); anything else goes to chrono, so the result is chrono's either way.
fn local_time(text: &str) -> Option<NaiveDateTime> {
    padded_local_time(text)
        .or_else(|| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").ok())
}

/// `YYYY-MM-DD HH:MM:SS`, every field zero-padded and valid, else `None`.
fn padded_local_time(text: &str) -> Option<NaiveDateTime> {
    let b = text.as_bytes();
    let shaped = b.len() == 19
        && [(4, b'-'), (7, b'-'), (10, b' '), (13, b':'), (16, b':')]
            .iter()
            .all(|&(at, sep)| b[at] == sep);
    if !shaped {
        return None;
    }
    let number = |from: usize, to: usize| {
        b[from..to].iter().try_fold(0u32, |n, &c| {
            c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
        })
    };
    let year = i32::try_from(number(0, 4)?).ok()?;
    NaiveDate::from_ymd_opt(year, number(5, 7)?, number(8, 10)?)?.and_hms_opt(
        number(11, 13)?,
        number(14, 16)?,
        number(17, 19)?,
    )
}

pub fn ban_entries(v: Value) -> Result<Vec<BanEntry>, Fail2banError> {
    strings(v)?.iter().map(|line| ban_entry(line)).collect()
}

/// `get <jail> datepattern`: `(pattern, description)`, or `None`.
pub fn date_pattern(v: Value) -> Result<Option<String>, Fail2banError> {
    match v {
        Value::None => Ok(None),
        Value::Tuple(items) | Value::List(items) => Ok(items
            .into_iter()
            .next()
            .and_then(|p| p.as_str().map(str::to_owned))),
        Value::Str(s) => Ok(Some(s)),
        other => Err(unexpected("a date pattern", &other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(label: &str, v: Value) -> Value {
        Value::Tuple(vec![Value::Str(label.into()), v])
    }

    #[test]
    fn local_time_reads_what_chrono_reads() {
        let chrono = |t: &str| NaiveDateTime::parse_from_str(t, "%Y-%m-%d %H:%M:%S").ok();
        let mut texts: Vec<String> = [
            "2026-11-29 05:43:32",
            "0000-01-01 00:00:00",
            "9999-12-31 23:59:59",
            "2024-02-29 12:00:00",
            "2025-02-29 12:00:00",
            "2026-13-01 00:00:00",
            "2026-00-10 00:00:00",
            "2026-11-31 00:00:00",
            "2026-11-29 24:00:00",
            "2026-11-29 23:60:00",
            "2016-12-31 23:59:60",
            "2026-1-29 05:43:32",
            "2026-11-29 5:43:32",
            "2026-11-29T05:43:32",
            "2026-11-29 05:43:3x",
            "+2026-11-29 05:43:32",
            "2026-11-29 05:43:32 ",
            "",
        ]
        .map(str::to_owned)
        .to_vec();
        let mut at = NaiveDate::from_ymd_opt(2023, 12, 30)
            .unwrap()
            .and_hms_opt(0, 0, 0)
            .unwrap();
        for _ in 0..1_500 {
            texts.push(at.format("%Y-%m-%d %H:%M:%S").to_string());
            at += chrono::Duration::seconds(86_400 + 3_599);
        }
        for text in &texts {
            assert_eq!(local_time(text), chrono(text), "{text:?}");
        }
        // The common shape is read without chrono's parser.
        assert!(padded_local_time("2026-11-29 05:43:32").is_some());
    }

    #[test]
    fn jail_list_splits_names() {
        let v = Value::List(vec![
            pair("Number of jail", Value::Int(2)),
            pair("Jail list", Value::Str("f2btest, sshd".into())),
        ]);
        assert_eq!(jail_list(v).unwrap(), ["f2btest", "sshd"]);
        let empty = Value::List(vec![
            pair("Number of jail", Value::Int(0)),
            pair("Jail list", Value::Str(String::new())),
        ]);
        assert!(jail_list(empty).unwrap().is_empty());
    }

    #[test]
    fn jail_status_reads_counters_and_ips() {
        let v = Value::List(vec![
            pair(
                "Filter",
                Value::List(vec![
                    pair("Currently failed", Value::Int(1)),
                    pair("Total failed", Value::Int(3)),
                    pair(
                        "File list",
                        Value::List(vec![Value::Str("/x/auth.log".into())]),
                    ),
                ]),
            ),
            pair(
                "Actions",
                Value::List(vec![
                    pair("Currently banned", Value::Int(1)),
                    pair("Total banned", Value::Int(2)),
                    pair(
                        "Banned IP list",
                        Value::List(vec![Value::Str("192.0.2.10".into())]),
                    ),
                ]),
            ),
        ]);
        let s = jail_status(v).unwrap();
        assert_eq!(
            s,
            JailStatus {
                currently_failed: 1,
                total_failed: 3,
                files: vec!["/x/auth.log".into()],
                currently_banned: 1,
                total_banned: 2,
                banned: vec!["192.0.2.10".into()],
            }
        );
    }

    #[test]
    fn ban_entries_with_time() {
        let e = ban_entry("192.0.2.8 \t2026-11-29 05:43:32 + 600 = 2026-11-29 05:53:32").unwrap();
        assert_eq!(e.ip, "192.0.2.8");
        assert_eq!(e.ban_seconds, 600);
        let (at, exp) = (e.banned_at.unwrap(), e.expires_at.unwrap());
        assert_eq!((exp - at).num_seconds(), 600);

        let p = ban_entry("2001:db8::7 \t2026-11-29 05:43:32 + -1 = 9999-12-31 23:59:59").unwrap();
        assert_eq!(p.ip, "2001:db8::7");
        assert_eq!(p.ban_seconds, -1);
        assert!(p.banned_at.is_some());
        assert_eq!(p.expires_at, None);

        assert!(ban_entry("garbage").is_err());
    }

    #[test]
    fn unset_increment_means_off() {
        assert!(!opt_bool(Value::None).unwrap());
        assert!(opt_bool(Value::Bool(true)).unwrap());
    }
}
