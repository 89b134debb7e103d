//! fail2ban's regex dialect, compiled with `fancy-regex` to refuse a broken filter before it
//! reaches fail2ban: the `<HOST>`-style tags are expanded as `server/failregex.py` expands them,
//! and the few Python-only spellings are rewritten (`(?<=:):` → `:`, `{,n}` → `{0,n}`, a `{` that
//! is not a quantifier → `\{`, `[^[]` → `[^\[]`, `\Z` → `\z`). fail2ban (Python `re`) stays the
//! authority: a commit is still checked by the server itself.

use fancy_regex::Regex;

/// The longest regex the API accepts.
pub const MAX_REGEX_LEN: usize = 4096;

const IP4: &str = r"(?:\d{1,3}\.){3}\d{1,3}";
/// `IP_6_RE` with the look-behind `(?<=:):` replaced by the equivalent `:`.
const IP6: &str = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("regex {regex:?} does not compile: {message}")]
pub struct RegexError {
    pub regex: String,
    pub message: String,
}

/// Expands fail2ban's tags and Python-only syntax into a pattern `fancy-regex` compiles.
pub fn translate(regex: &str, use_dns: bool) -> String {
    let ipv4 = format!("(?:::f{{4,6}}:)?(?P<ip4>{IP4})");
    let ipv6 = format!("(?P<ip6>{IP6})");
    let dns = r"(?P<dns>[\w\-.^_]*\w)";
    let addr = format!(r"\[?(?:{ipv4}|{ipv6})\]?");
    let host = format!("(?:{addr}|{dns})");
    let cidr = r"(?P<cidr>\d+)";
    let subnet = format!(r"\[?(?:{ipv4}|{ipv6})(?:/{cidr})?\]?");
    let mut out = String::with_capacity(regex.len() * 2);
    let mut open: Vec<String> = Vec::new();
    let mut skiplines = 0;
    let mut rest = regex;
    while let Some(p) = rest.find('<') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        let Some(end) = rest[1..]
            .find(['>', '<'])
            .map(|e| e + 1)
            .filter(|e| rest.as_bytes()[*e] == b'>')
        else {
            out.push('<');
            rest = &rest[1..];
            continue;
        };
        let tag = &rest[1..end];
        let replacement = match tag {
            "HOST" => Some(if use_dns { host.clone() } else { addr.clone() }),
            "SKIPLINES" => {
                skiplines += 1;
                Some(format!(r"\n(?P<skiplines{}>(?:(?:.*\n)*?))", skiplines - 1))
            }
            "IP4" | "F-IP4/" => Some(ipv4.clone()),
            "IP6" | "F-IP6/" => Some(ipv6.clone()),
            "ADDR" | "F-ADDR/" => Some(addr.clone()),
            "CIDR" | "F-CIDR/" => Some(cidr.to_owned()),
            "SUBNET" | "F-SUBNET/" => Some(subnet.clone()),
            "DNS" | "F-DNS/" => Some(dns.to_owned()),
            "F-ID/" => Some(r"(?P<fid>\S+)".to_owned()),
            "F-PORT/" => Some(r"(?P<fport>\w+)".to_owned()),
            t => {
                let (close, name) = match t.strip_prefix('/') {
                    Some(n) => (true, n),
                    None => (false, t),
                };
                match name.strip_prefix("F-") {
                    Some(n)
                        if !n.is_empty()
                            && n.chars()
                                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') =>
                    {
                        if close {
                            if open.iter().any(|o| o == n) {
                                Some(")".to_owned())
                            } else {
                                None
                            }
                        } else {
                            open.push(n.to_owned());
                            let group = match n {
                                "ID" => "fid".to_owned(),
                                "PORT" => "fport".to_owned(),
                                other => other.to_lowercase().replace('-', "_"),
                            };
                            Some(format!("(?P<{group}>"))
                        }
                    }
                    _ => None,
                }
            }
        };
        match replacement {
            Some(r) => out.push_str(&r),
            None => out.push_str(&rest[..=end]),
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    python_syntax(&out)
}

/// Rewrites Python-only spellings.
fn python_syntax(re: &str) -> String {
    let chars: Vec<char> = re.chars().collect();
    let mut out = String::with_capacity(re.len());
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            if let Some(&n) = chars.get(i + 1) {
                if n == 'Z' && !in_class {
                    out.push_str("\\z");
                } else {
                    out.push(c);
                    out.push(n);
                }
                i += 2;
                continue;
            }
        }
        if in_class {
            if c == ']' {
                in_class = false;
            } else if c == '[' {
                out.push('\\');
            }
            out.push(c);
            i += 1;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                out.push('[');
                i += 1;
                // `[^]...]` / `[]...]`: a leading `]` is literal.
                if chars.get(i) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i) == Some(&']') {
                    out.push_str("\\]");
                    i += 1;
                }
            }
            '{' => {
                // A quantifier is {n}, {n,}, {n,m} or Python's {,m}.
                let close = chars[i..].iter().position(|&x| x == '}').map(|p| p + i);
                let body: Option<String> = close.map(|e| chars[i + 1..e].iter().collect());
                match body {
                    Some(b) if is_quantifier(&b) => {
                        let b = if b.starts_with(',') {
                            format!("0{b}")
                        } else {
                            b
                        };
                        out.push('{');
                        out.push_str(&b);
                        out.push('}');
                        i = close.unwrap_or(i) + 1;
                    }
                    _ => {
                        out.push_str("\\{");
                        i += 1;
                    }
                }
            }
            '}' => {
                out.push_str("\\}");
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

fn is_quantifier(body: &str) -> bool {
    let (a, b) = match body.split_once(',') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    match b {
        None => !a.is_empty() && digits(a),
        Some(b) => digits(a) && digits(b) && !(a.is_empty() && b.is_empty()),
    }
}

/// Compiles one fail2ban regex (after tag expansion).
pub fn compile(regex: &str, use_dns: bool) -> Result<(), RegexError> {
    if regex.trim().is_empty() {
        return Err(RegexError {
            regex: regex.to_owned(),
            message: "empty regex".into(),
        });
    }
    if regex.len() > MAX_REGEX_LEN {
        return Err(RegexError {
            regex: regex.chars().take(80).collect(),
            message: format!("longer than {MAX_REGEX_LEN} characters"),
        });
    }
    let translated = translate(regex, use_dns);
    // Python refuses a group name used twice (fancy-regex accepts it).
    let mut names: Vec<&str> = Vec::new();
    for part in translated.split("(?P<").skip(1) {
        if let Some(name) = part.split('>').next() {
            if names.contains(&name) {
                return Err(RegexError {
                    regex: regex.to_owned(),
                    message: format!("redefinition of group name '{name}'"),
                });
            }
            names.push(name);
        }
    }
    Regex::new(&translated).map(|_| ()).map_err(|e| RegexError {
        regex: regex.to_owned(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_style_regexes_compile() {
        for re in [
            r"^\s*LOGIN FAILED for user <F-USER>\S+</F-USER> from <HOST>\s*$",
            r"^Failed (?:<F-NOFAIL>publickey</F-NOFAIL>|\S+) for (?P<cond_inv>invalid user )?<F-USER>(?P<cond_user>\S+)|(?(cond_inv)(?:(?! from ).)*?|[^:]+)</F-USER> from <HOST>(?: (?:port \d+|on \S+)){0,2}(?: ssh\d*)?(?(cond_user): |(?:(?:(?! from ).)*)$)",
            r"^\s+\[conn(?P<__connid>\d+)\] Failed to authenticate [^\n]+<SKIPLINES>\s+\[conn(?P=__connid)\] end connection <HOST>",
            r"^x\d{,3} {{(?:\d+,){3} [^[]+ <ADDR>\Z",
        ] {
            compile(re, false).unwrap_or_else(|e| panic!("{e}"));
        }
    }

    #[test]
    fn broken_regexes_are_refused() {
        for re in ["^(unclosed <HOST>", "<HOST> <HOST>", "", "a[b"] {
            assert!(compile(re, false).is_err(), "{re}");
        }
    }
}
