//! fail2ban's `data` column: a JSON object stored as a BLOB (sometimes TEXT), or `null`, or
//! anything a broken or older server left there. Whatever it holds, parsing yields a value.

use rusqlite::types::ValueRef;
use serde_json::Value;

/// What the archive keeps of a ban's `data`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BanData {
    pub failures: u64,
    /// The matched lines as a JSON array, `None` when there are none.
    pub matches: Option<String>,
    pub service: Option<String>,
}

/// Parses the column value; unusable content gives the empty [`BanData`].
pub fn parse(value: ValueRef<'_>) -> BanData {
    let bytes = match value {
        ValueRef::Text(b) | ValueRef::Blob(b) => b,
        _ => return BanData::default(),
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(&String::from_utf8_lossy(bytes))
    else {
        return BanData::default();
    };
    let failures = map
        .get("failures")
        .and_then(|f| f.as_u64().or_else(|| f.as_f64().map(|x| x.max(0.0) as u64)))
        .unwrap_or(0);
    let lines: Vec<String> = match map.get("matches") {
        Some(Value::Array(items)) => items.iter().filter_map(line).collect(),
        _ => Vec::new(),
    };
    let matches = if lines.is_empty() {
        None
    } else {
        serde_json::to_string(&lines).ok()
    };
    let service = map
        .get("service")
        .and_then(Value::as_str)
        .map(str::to_owned);
    BanData {
        failures,
        matches,
        service,
    }
}

/// One matched line: fail2ban stores the first as `[prefix, date, rest]` (the date cut out
/// for matching) and the rest as strings.
fn line(item: &Value) -> Option<String> {
    match item {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect(),
        ),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The stored JSON array back as lines.
pub fn lines(matches: Option<&str>) -> Vec<String> {
    matches
        .and_then(|m| serde_json::from_str(m).ok())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blob(s: &str) -> BanData {
        parse(ValueRef::Blob(s.as_bytes()))
    }

    #[test]
    fn real_fail2ban_data_is_read() {
        let d = blob(
            r#"{"matches": [["", "Nov 24 19:46:08", " vm sshd[101]: Failed password"], "Nov 24 19:46:09 vm sshd[102]: Failed"], "failures": 3, "ip4": "192.0.2.10"}"#,
        );
        assert_eq!(d.failures, 3);
        assert_eq!(
            lines(d.matches.as_deref()),
            [
                "Nov 24 19:46:08 vm sshd[101]: Failed password",
                "Nov 24 19:46:09 vm sshd[102]: Failed"
            ]
        );
        let manual = blob(r#"{"matches": [], "failures": 0}"#);
        assert_eq!(manual, BanData::default());
    }

    #[test]
    fn null_and_odd_values_give_empty_data() {
        for odd in [
            "null",
            "",
            "[1,2]",
            "\"x\"",
            "{",
            "{\"failures\": \"many\"}",
        ] {
            assert_eq!(blob(odd), BanData::default(), "{odd:?}");
        }
        assert_eq!(parse(ValueRef::Null), BanData::default());
        assert_eq!(parse(ValueRef::Integer(4)), BanData::default());
        assert_eq!(parse(ValueRef::Blob(b"\xff\xfe")), BanData::default());
        let text = parse(ValueRef::Text(br#"{"failures": 2.0, "service": "nginx"}"#));
        assert_eq!((text.failures, text.service.as_deref()), (2, Some("nginx")));
    }
}
