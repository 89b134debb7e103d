//! The values of fail2ban's config stream (`str`, `int`, `bool`, `None`, lists, dicts) with
//! Python's `repr`, and a parser for the `repr` text that `fail2ban-client -d` prints, so the
//! stream built here can be compared with fail2ban's own.

use std::fmt::{self, Write as _};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PyVal {
    None,
    Bool(bool),
    Int(i64),
    Str(String),
    List(Vec<PyVal>),
    Dict(Vec<(PyVal, PyVal)>),
}

impl PyVal {
    pub fn str(s: impl Into<String>) -> Self {
        Self::Str(s.into())
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Self::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python's `str(value)` (what a value becomes when it is used for interpolation).
    pub fn to_py_str(&self) -> Option<String> {
        match self {
            Self::None => None,
            Self::Bool(true) => Some("True".into()),
            Self::Bool(false) => Some("False".into()),
            Self::Int(i) => Some(i.to_string()),
            Self::Str(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }
}

/// Python's `repr`.
impl fmt::Display for PyVal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::None => f.write_str("None"),
            Self::Bool(true) => f.write_str("True"),
            Self::Bool(false) => f.write_str("False"),
            Self::Int(i) => write!(f, "{i}"),
            Self::Str(s) => f.write_str(&repr_str(s)),
            Self::List(items) => {
                f.write_char('[')?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_char(']')
            }
            Self::Dict(items) => {
                f.write_char('{')?;
                for (i, (k, v)) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{k}: {v}")?;
                }
                f.write_char('}')
            }
        }
    }
}

/// `repr(str)`: single quotes unless the text has `'` and no `"`.
pub fn repr_str(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Text that is not a Python literal of the supported kinds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a Python literal at byte {at}: {what}")]
pub struct ReprError {
    pub at: usize,
    pub what: &'static str,
}

/// Parses one `repr` (as printed by `fail2ban-client -d` per line).
pub fn parse_repr(text: &str) -> Result<PyVal, ReprError> {
    let mut p = Parser {
        s: text.as_bytes(),
        text,
        i: 0,
    };
    let v = p.value()?;
    p.ws();
    if p.i != p.s.len() {
        return Err(p.err("trailing text"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [u8],
    text: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn err(&self, what: &'static str) -> ReprError {
        ReprError { at: self.i, what }
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn value(&mut self) -> Result<PyVal, ReprError> {
        self.ws();
        match self.s.get(self.i) {
            Some(b'[') | Some(b'(') => {
                let close = if self.s[self.i] == b'[' { b']' } else { b')' };
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&close) {
                        self.i += 1;
                        return Ok(PyVal::List(items));
                    }
                    items.push(self.value()?);
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(c) if *c == close => {}
                        _ => return Err(self.err("expected ',' or closing bracket")),
                    }
                }
            }
            Some(b'{') => {
                self.i += 1;
                let mut items = Vec::new();
                loop {
                    self.ws();
                    if self.s.get(self.i) == Some(&b'}') {
                        self.i += 1;
                        return Ok(PyVal::Dict(items));
                    }
                    let k = self.value()?;
                    self.ws();
                    if self.s.get(self.i) != Some(&b':') {
                        return Err(self.err("expected ':'"));
                    }
                    self.i += 1;
                    let v = self.value()?;
                    items.push((k, v));
                    self.ws();
                    match self.s.get(self.i) {
                        Some(b',') => self.i += 1,
                        Some(b'}') => {}
                        _ => return Err(self.err("expected ',' or '}'")),
                    }
                }
            }
            Some(b'\'') | Some(b'"') => self.string(),
            Some(c) if c.is_ascii_digit() || *c == b'-' => {
                let start = self.i;
                self.i += 1;
                while self.s.get(self.i).is_some_and(u8::is_ascii_digit) {
                    self.i += 1;
                }
                self.text[start..self.i]
                    .parse()
                    .map(PyVal::Int)
                    .map_err(|_| self.err("bad integer"))
            }
            _ => {
                for (word, v) in [
                    ("None", PyVal::None),
                    ("True", PyVal::Bool(true)),
                    ("False", PyVal::Bool(false)),
                ] {
                    if self.text[self.i..].starts_with(word) {
                        self.i += word.len();
                        return Ok(v);
                    }
                }
                Err(self.err("unexpected character"))
            }
        }
    }

    fn string(&mut self) -> Result<PyVal, ReprError> {
        let quote = self.s[self.i];
        self.i += 1;
        let mut out = String::new();
        loop {
            let rest = &self.text[self.i..];
            let Some(c) = rest.chars().next() else {
                return Err(self.err("unterminated string"));
            };
            self.i += c.len_utf8();
            match c {
                c if c as u32 == quote as u32 => return Ok(PyVal::Str(out)),
                '\\' => {
                    let Some(e) = self.text[self.i..].chars().next() else {
                        return Err(self.err("unterminated escape"));
                    };
                    self.i += e.len_utf8();
                    match e {
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        '\\' | '\'' | '"' => out.push(e),
                        'x' | 'u' | 'U' => {
                            let n = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex = self
                                .text
                                .get(self.i..self.i + n)
                                .ok_or_else(|| self.err("short escape"))?;
                            let code =
                                u32::from_str_radix(hex, 16).map_err(|_| self.err("bad escape"))?;
                            out.push(char::from_u32(code).ok_or_else(|| self.err("bad escape"))?);
                            self.i += n;
                        }
                        _ => {
                            out.push('\\');
                            out.push(e);
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repr_round_trips() {
        let v = PyVal::List(vec![
            PyVal::str("set"),
            PyVal::str("it's"),
            PyVal::str("a\\b\n\"'"),
            PyVal::Int(-3),
            PyVal::Bool(true),
            PyVal::None,
            PyVal::Dict(vec![(PyVal::str("stacksize"), PyVal::Int(0))]),
        ]);
        let text = v.to_string();
        assert_eq!(
            text,
            r#"['set', "it's", 'a\\b\n"\'', -3, True, None, {'stacksize': 0}]"#
        );
        assert_eq!(parse_repr(&text).unwrap(), v);
    }
}
