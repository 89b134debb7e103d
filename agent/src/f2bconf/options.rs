//! fail2ban's small text helpers used while reading jails: `extractOptions`
//! (`name[p1=v, p2="v"]`), `splitWithOptions` (the `action` list), `splitwords`, the recursive
//! `<tag>` substitution, `shlex.split` and `json.dumps` for the few places that use them.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use fancy_regex::Regex;
use indexmap::IndexMap;

/// `name[opts]`, as `OPTION_CRE` splits it.
static OPTION_CRE: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"(?s)^([^\[]+)(?:\[(.*)\])?\s*$").ok());
/// One `key=value` of the option list (`OPTION_EXTRACT_CRE`).
static OPTION_EXTRACT_CRE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)\s*([\w\-_\.]+)=(?:"([^"]*)"|'([^']*)'|([^,\]]*))(?:,|\]\s*\[|$|(?P<wrngA>.+))|,?\s*$|(?P<wrngB>.+)"#,
    )
    .ok()
});
/// One entry of a list of `name[opts]` entries (`OPTION_SPLIT_CRE`).
static OPTION_SPLIT_CRE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)(?:[^\[\s]+(?:\s*\[\s*(?:[\w\-_\.]+=(?:"[^"]*"|'[^']*'|[^,\]]*)\s*(?:,|\]\s*\[)?\s*)*\])?\s*|\S+)(?=\n\s*|\s+|$)"#,
    )
    .ok()
});

/// A `name[...]` that fail2ban cannot read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OptionSyntaxError(pub String);

/// `extractOptions`: `sshd[mode=aggressive]` → (`sshd`, {mode: aggressive}).
pub fn extract_options(
    option: &str,
) -> Result<(String, IndexMap<String, String>), OptionSyntaxError> {
    let bad = || OptionSyntaxError("unexpected option syntax".into());
    let re = OPTION_CRE.as_ref().ok_or_else(bad)?;
    let caps = re.captures(option).ok().flatten().ok_or_else(bad)?;
    let name = caps
        .get(1)
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let mut opts = IndexMap::new();
    if let Some(optstr) = caps.get(2).map(|m| m.as_str()).filter(|s| !s.is_empty()) {
        let extract = OPTION_EXTRACT_CRE.as_ref().ok_or_else(bad)?;
        for m in extract.captures_iter(optstr) {
            let m = m.map_err(|_| bad())?;
            if let Some(w) = m.name("wrngA") {
                return Err(OptionSyntaxError(format!(
                    "unexpected syntax at {} after option {:?}: {}",
                    w.start(),
                    m.get(1).map(|g| g.as_str()).unwrap_or_default(),
                    w.as_str().chars().take(25).collect::<String>()
                )));
            }
            if let Some(w) = m.name("wrngB") {
                return Err(OptionSyntaxError(format!(
                    "expected option, wrong syntax at {}: {}",
                    w.start(),
                    w.as_str().chars().take(25).collect::<String>()
                )));
            }
            let Some(key) = m.get(1).map(|g| g.as_str()).filter(|k| !k.is_empty()) else {
                continue;
            };
            let value = [2, 3, 4]
                .iter()
                .find_map(|i| m.get(*i))
                .map(|g| g.as_str())
                .unwrap_or_default();
            opts.insert(key.trim().to_owned(), value.trim().to_owned());
        }
    }
    Ok((name, opts))
}

/// `splitWithOptions`: the entries of an `action = ...` list.
pub fn split_with_options(option: &str) -> Vec<String> {
    let Some(re) = OPTION_SPLIT_CRE.as_ref() else {
        return Vec::new();
    };
    re.find_iter(option)
        .filter_map(Result::ok)
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// `splitwords`: split on commas, spaces and newlines, dropping empty words.
pub fn splitwords(s: &str) -> Vec<String> {
    s.split([' ', ',', '\n'])
        .map(|w| w.trim_matches(super::parser::py_space))
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

/// fail2ban's `_as_bool`.
pub fn as_bool(s: &str) -> bool {
    matches!(s.to_lowercase().as_str(), "1" | "on" | "true" | "yes")
}

/// Python's `int(s)` for the plain decimal forms config values use.
pub fn py_int(s: &str) -> Option<i64> {
    let t = s.trim_matches(super::parser::py_space);
    let t = if t.contains('_') {
        // Python accepts single underscores between digits.
        if t.starts_with('_') || t.ends_with('_') || t.contains("__") {
            return None;
        }
        t.replace('_', "")
    } else {
        t.to_owned()
    };
    t.parse().ok()
}

/// Tags are substituted at most this often per tag (`MAX_TAG_REPLACE_COUNT`).
const MAX_TAG_REPLACE_COUNT: usize = 25;

/// A `<tag>` definition that refers to itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("properties contain self referencing definitions and cannot be resolved, fail tag: {tag}, found: {found}")]
pub struct TagRecursionError {
    pub tag: String,
    pub found: String,
}

/// The first `<tag>` at or after byte `from`: (start, end, name) (`TAG_CRE = <([^ <>]+)>`).
pub fn find_tag(value: &str, from: usize) -> Option<(usize, usize, &str)> {
    let bytes = value.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let mut j = i + 1;
            while j < bytes.len() && !matches!(bytes[j], b' ' | b'<' | b'>') {
                j += 1;
            }
            if j > i + 1 && j < bytes.len() && bytes[j] == b'>' {
                return Some((i, j + 1, &value[i + 1..j]));
            }
        }
        i += 1;
    }
    None
}

/// `substituteRecursiveTags` without a condition: replaces `<tag>` by the value of option `tag`
/// (or what `addrepl` finds), repeatedly, leaving unknown tags alone.
pub fn substitute_recursive_tags<E: From<TagRecursionError>>(
    tags: &mut IndexMap<String, Option<String>>,
    ignore: &HashSet<String>,
    mut addrepl: impl FnMut(&str) -> Result<Option<String>, E>,
) -> Result<(), E> {
    let mut done: HashSet<String> = HashSet::new();
    let mut rep_counts: HashMap<String, HashMap<String, usize>> = HashMap::new();
    let keys: Vec<String> = tags.keys().cloned().collect();
    loop {
        let mut rep_flag = false;
        for tag in &keys {
            if ignore.contains(tag) || done.contains(tag) {
                continue;
            }
            let orgval = tags
                .get(tag)
                .cloned()
                .flatten()
                .unwrap_or_else(|| "None".to_owned());
            let mut value = orgval.clone();
            let stored = rep_counts.contains_key(tag);
            let mut rplc = rep_counts.get(tag).cloned().unwrap_or_default();
            let mut m = find_tag(&value, 0).map(|(s, e, t)| (s, e, t.to_owned()));
            while let Some((start, end, rtag)) = m {
                if ignore.contains(&rtag) {
                    m = find_tag(&value, end).map(|(s, e, t)| (s, e, t.to_owned()));
                    continue;
                }
                if rtag == *tag || rplc.get(&rtag).copied().unwrap_or(1) > MAX_TAG_REPLACE_COUNT {
                    return Err(TagRecursionError {
                        tag: tag.clone(),
                        found: rtag,
                    }
                    .into());
                }
                let mut repl = tags.get(&rtag).cloned().flatten();
                if repl.is_none() {
                    repl = addrepl(&rtag)?;
                }
                let Some(repl) = repl else {
                    m = find_tag(&value, end).map(|(s, e, t)| (s, e, t.to_owned()));
                    continue;
                };
                value = value.replace(&format!("<{rtag}>"), &repl);
                *rplc.entry(rtag).or_insert(0) += 1;
                m = find_tag(&value, start).map(|(s, e, t)| (s, e, t.to_owned()));
            }
            if stored {
                rep_counts.insert(tag.clone(), rplc.clone());
            }
            if orgval != value {
                if find_tag(&value, 0).is_some() {
                    rep_counts.insert(tag.clone(), rplc);
                    rep_flag = true;
                }
                tags.insert(tag.clone(), Some(value.clone()));
            }
            if !value.contains('<') {
                done.insert(tag.clone());
            }
        }
        if !rep_flag {
            return Ok(());
        }
    }
}

/// `shlex.split(s)` (POSIX mode, no comments).
pub fn shlex_split(s: &str) -> Result<Vec<String>, OptionSyntaxError> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                match chars.next() {
                    Some(n) => cur.push(n),
                    None => return Err(OptionSyntaxError("No escaped character".into())),
                }
            }
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(n) => cur.push(n),
                        None => return Err(OptionSyntaxError("No closing quotation".into())),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.peek() {
                            Some('"') | Some('\\') => {
                                if let Some(n) = chars.next() {
                                    cur.push(n);
                                }
                            }
                            _ => cur.push('\\'),
                        },
                        Some(n) => cur.push(n),
                        None => return Err(OptionSyntaxError("No closing quotation".into())),
                    }
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// `json.dumps(dict_of_str)` with Python's default separators and `ensure_ascii`.
pub fn json_dumps(map: &IndexMap<String, String>) -> String {
    fn s(text: &str) -> String {
        let mut out = String::from("\"");
        for c in text.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    }
    let parts: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("{}: {}", s(k), s(v)))
        .collect();
    format!("{{{}}}", parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extract_options_like_fail2ban() {
        let (name, opts) =
            extract_options(r#"iptables-multiport[name=SSH, port="ssh,sftp", protocol='tcp']"#)
                .unwrap();
        assert_eq!(name, "iptables-multiport");
        assert_eq!(opts["name"], "SSH");
        assert_eq!(opts["port"], "ssh,sftp");
        assert_eq!(opts["protocol"], "tcp");
        let (name, opts) = extract_options("sshd").unwrap();
        assert_eq!((name.as_str(), opts.len()), ("sshd", 0));
        let (_, opts) = extract_options("a[x=1][y=2]").unwrap();
        assert_eq!(opts.len(), 2);
        assert!(extract_options("a[x=1 junk=\"").is_err());
    }

    #[test]
    fn split_with_options_keeps_brackets_together() {
        let parts = split_with_options(
            "iptables[name=a, port=\"1, 2\"]\n           sendmail-whois[name=x, dest=root]\n dummy",
        );
        let parts: Vec<&str> = parts.iter().map(|p| p.trim()).collect();
        assert_eq!(
            parts,
            [
                "iptables[name=a, port=\"1, 2\"]",
                "sendmail-whois[name=x, dest=root]",
                "dummy"
            ]
        );
    }

    #[test]
    fn tags_are_substituted_recursively() {
        let mut tags: IndexMap<String, Option<String>> = IndexMap::new();
        tags.insert("a".into(), Some("<b>-<c>-<ip>".into()));
        tags.insert("b".into(), Some("<c>x".into()));
        tags.insert("c".into(), Some("3".into()));
        substitute_recursive_tags::<TagRecursionError>(&mut tags, &HashSet::new(), |_| Ok(None))
            .unwrap();
        assert_eq!(tags["a"].as_deref(), Some("3x-3-<ip>"));
        let mut bad: IndexMap<String, Option<String>> = IndexMap::new();
        bad.insert("a".into(), Some("<a>".into()));
        assert!(
            substitute_recursive_tags::<TagRecursionError>(&mut bad, &HashSet::new(), |_| Ok(None))
                .is_err()
        );
    }

    #[test]
    fn shlex_and_json() {
        assert_eq!(
            shlex_split(r#"_SYSTEMD_UNIT=sshd.service + "_COMM=a b" 'x\y'"#).unwrap(),
            ["_SYSTEMD_UNIT=sshd.service", "+", "_COMM=a b", "x\\y"]
        );
        let mut m = IndexMap::new();
        m.insert("a".to_owned(), "é\"".to_owned());
        assert_eq!(json_dumps(&m), r#"{"a": "\u00e9\""}"#);
    }
}
