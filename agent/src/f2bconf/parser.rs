//! A reader for one fail2ban config file with the semantics of Python's `configparser` as
//! fail2ban configures it (`inline_comment_prefixes=";"`, `strict=True`, no valueless keys):
//!
//! - lines are split the way Python's universal newlines split them (`\n`, `\r\n`, `\r`);
//! - full-line comments start with `#` or `;` after optional whitespace, also inside a
//!   multi-line value (they are skipped, the value goes on);
//! - an inline comment is a `;` at the start of the line or after whitespace (`#` inside a value
//!   is kept);
//! - a continuation line is indented deeper than its key line; it is stripped; blank lines inside
//!   a value are kept, trailing ones dropped;
//! - `key = value` and `key: value`; the key is everything before the first `=` or `:`,
//!   lower-cased;
//! - `[DEFAULT]` may appear more than once; any other section twice, or a key twice in a section,
//!   is an error, as is a line before the first section header or a line without `=`/`:`.
//!
//! [`parse_str`] is pure and returns the document plus every error with its line number, so one
//! bad line does not hide the others; a file with errors is refused as a whole by fail2ban.

use std::fmt;

/// The section that holds defaults for every other section.
pub const DEFAULT_SECTION: &str = "DEFAULT";

/// One parsed file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Document {
    /// Section headers in file order; `[DEFAULT]` may occur more than once.
    pub sections: Vec<Section>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The name as written between the brackets (case kept).
    pub name: String,
    /// 1-based line of the header.
    pub line: usize,
    pub entries: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Lower-cased key.
    pub key: String,
    /// The value with continuation lines joined by `\n`.
    pub value: String,
    /// 1-based line of the key.
    pub line: usize,
    /// 1-based last line holding a part of the value (the key line for one-line values).
    pub last_line: usize,
}

/// A line fail2ban would refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A key line before any section header.
    MissingSectionHeader,
    /// The section was already opened in this file.
    DuplicateSection(String),
    /// The key was already set in this section in this file.
    DuplicateOption { section: String, key: String },
    /// A line that is neither a header, a `key = value` line, a comment nor a continuation.
    NoDelimiter(String),
    /// `= value` without a key.
    EmptyKey,
    /// The file starts with a UTF-8 byte order mark, which Python does not skip.
    ByteOrderMark,
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingSectionHeader => f.write_str("no section header before this line"),
            Self::DuplicateSection(s) => write!(f, "section '{s}' already exists in this file"),
            Self::DuplicateOption { section, key } => {
                write!(f, "option '{key}' in section '{section}' already exists")
            }
            Self::NoDelimiter(text) => write!(f, "expected 'key = value', found {text:?}"),
            Self::EmptyKey => f.write_str("a value without a key"),
            Self::ByteOrderMark => f.write_str("the file starts with a byte order mark"),
        }
    }
}

// === impl Document ===

impl Document {
    /// The first section with this exact name (not `[DEFAULT]`, which may repeat).
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// Every `[DEFAULT]` entry in file order.
    pub fn defaults(&self) -> impl Iterator<Item = &Entry> {
        self.sections
            .iter()
            .filter(|s| s.name == DEFAULT_SECTION)
            .flat_map(|s| s.entries.iter())
    }
}

impl Section {
    pub fn get(&self, key: &str) -> Option<&Entry> {
        self.entries.iter().find(|e| e.key == key)
    }
}

/// Python's `str.isspace` for one character.
pub fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\x1c'..='\x1f').contains(&c)
}

/// Splits text into lines the way Python's text mode does (universal newlines); each line keeps
/// a trailing `\n` when it had a terminator.
pub fn py_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                cur.push('\n');
                lines.push(std::mem::take(&mut cur));
            }
            '\n' => {
                cur.push('\n');
                lines.push(std::mem::take(&mut cur));
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// Where the comment of a raw line starts (in bytes), as configparser decides it.
pub fn comment_start(line: &str) -> Option<usize> {
    let trimmed = line.trim_matches(py_space);
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Some(0);
    }
    let mut prev: Option<char> = None;
    for (i, c) in line.char_indices() {
        if c == ';' && prev.is_none_or(py_space) {
            return Some(i);
        }
        prev = Some(c);
    }
    None
}

/// Number of leading whitespace characters (Python's `NONSPACECRE.search(line).start()`).
fn indent_of(line: &str) -> usize {
    line.chars().take_while(|c| py_space(*c)).count()
}

/// Parses one file's text.
pub fn parse_str(text: &str) -> (Document, Vec<ParseError>) {
    let mut doc = Document::default();
    let mut errors = Vec::new();
    // Index into doc.sections of the open section, its name, the open entry.
    let mut cur: Option<usize> = None;
    let mut cur_name = String::new();
    let mut opt: Option<usize> = None;
    // Pieces of the open value; joined when the entry closes.
    let mut pieces: Vec<String> = Vec::new();
    let mut indent_level = 0usize;
    let mut added_sections: Vec<String> = Vec::new();
    let mut added_options: Vec<(String, String)> = Vec::new();

    let close =
        |doc: &mut Document, cur: Option<usize>, opt: Option<usize>, pieces: &mut Vec<String>| {
            if let (Some(s), Some(o)) = (cur, opt) {
                let value = pieces.join("\n");
                let value = value.trim_end_matches(py_space).to_owned();
                if let Some(e) = doc.sections.get_mut(s).and_then(|s| s.entries.get_mut(o)) {
                    e.value = value;
                }
            }
            pieces.clear();
        };

    for (idx, line) in py_lines(text).iter().enumerate() {
        let lineno = idx + 1;
        if idx == 0 && line.starts_with('\u{feff}') {
            errors.push(ParseError {
                line: lineno,
                kind: ParseErrorKind::ByteOrderMark,
            });
        }
        let cstart = comment_start(line);
        let value = line[..cstart.unwrap_or(line.len())].trim_matches(py_space);
        if value.is_empty() {
            // A blank line (not a comment) is part of an open value.
            if cstart.is_none() && cur.is_some() && opt.is_some() {
                pieces.push(String::new());
            }
            continue;
        }
        let indent = indent_of(line);
        if cur.is_some() && opt.is_some() && indent > indent_level {
            pieces.push(value.to_owned());
            if let (Some(s), Some(o)) = (cur, opt) {
                if let Some(e) = doc.sections.get_mut(s).and_then(|s| s.entries.get_mut(o)) {
                    e.last_line = lineno;
                }
            }
            continue;
        }
        indent_level = indent;
        if let Some(header) = section_header(value) {
            close(&mut doc, cur, opt, &mut pieces);
            opt = None;
            if header != DEFAULT_SECTION {
                if added_sections.iter().any(|s| s == header) {
                    errors.push(ParseError {
                        line: lineno,
                        kind: ParseErrorKind::DuplicateSection(header.to_owned()),
                    });
                } else {
                    added_sections.push(header.to_owned());
                }
            }
            doc.sections.push(Section {
                name: header.to_owned(),
                line: lineno,
                entries: Vec::new(),
            });
            cur = Some(doc.sections.len() - 1);
            cur_name = header.to_owned();
            continue;
        }
        let Some(s) = cur else {
            errors.push(ParseError {
                line: lineno,
                kind: ParseErrorKind::MissingSectionHeader,
            });
            continue;
        };
        let Some(pos) = value.find(['=', ':']) else {
            errors.push(ParseError {
                line: lineno,
                kind: ParseErrorKind::NoDelimiter(value.to_owned()),
            });
            continue;
        };
        close(&mut doc, cur, opt, &mut pieces);
        let key = value[..pos].trim_end_matches(py_space).to_lowercase();
        let val = value[pos + 1..].trim_matches(py_space);
        if key.is_empty() {
            errors.push(ParseError {
                line: lineno,
                kind: ParseErrorKind::EmptyKey,
            });
        }
        let pair = (cur_name.clone(), key.clone());
        if added_options.contains(&pair) {
            errors.push(ParseError {
                line: lineno,
                kind: ParseErrorKind::DuplicateOption {
                    section: cur_name.clone(),
                    key: key.clone(),
                },
            });
        } else {
            added_options.push(pair);
        }
        let section = &mut doc.sections[s];
        // A repeated key (an error anyway) replaces the earlier one, as Python's dict would.
        section.entries.retain(|e| e.key != key);
        section.entries.push(Entry {
            key,
            value: String::new(),
            line: lineno,
            last_line: lineno,
        });
        opt = Some(section.entries.len() - 1);
        pieces.push(val.to_owned());
    }
    close(&mut doc, cur, opt, &mut pieces);
    (doc, errors)
}

/// `[name]` → `name`: from the first `[` to the last `]`, as Python's greedy `\[(.+)\]` matches.
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    let name = &rest[..end];
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Document {
        let (doc, errors) = parse_str(text);
        assert!(errors.is_empty(), "{errors:?}");
        doc
    }

    fn value(doc: &Document, section: &str, key: &str) -> String {
        doc.section(section)
            .and_then(|s| s.get(key))
            .map(|e| e.value.clone())
            .unwrap_or_else(|| panic!("no {section}/{key}"))
    }

    #[test]
    fn multi_line_values_skip_comments_and_keep_inner_blank_lines() {
        let doc = parse_ok(
            "[Definition]\nfailregex = ^first <HOST>$\n    # a comment\n\n  ^second <HOST>$\n\n\nignoreregex =\n",
        );
        assert_eq!(
            value(&doc, "Definition", "failregex"),
            "^first <HOST>$\n\n^second <HOST>$"
        );
        assert_eq!(value(&doc, "Definition", "ignoreregex"), "");
        let e = doc.section("Definition").unwrap().get("failregex").unwrap();
        assert_eq!((e.line, e.last_line), (2, 5));
    }

    #[test]
    fn inline_comments_need_a_semicolon_after_whitespace() {
        let doc = parse_ok(
            "[x]\na = one ; comment\nb = two;three\nc = four # kept\nd: five\nKey_Upper = 6\n[y] # junk\n",
        );
        assert_eq!(value(&doc, "x", "a"), "one");
        assert_eq!(value(&doc, "x", "b"), "two;three");
        assert_eq!(value(&doc, "x", "c"), "four # kept");
        assert_eq!(value(&doc, "x", "d"), "five");
        assert_eq!(value(&doc, "x", "key_upper"), "6");
        assert!(doc.section("y").is_some());
    }

    #[test]
    fn key_ends_at_the_first_delimiter() {
        let doc = parse_ok("[x]\nurl = http://a=b\nt: a = b\n");
        assert_eq!(value(&doc, "x", "url"), "http://a=b");
        assert_eq!(value(&doc, "x", "t"), "a = b");
    }

    #[test]
    fn errors_carry_line_numbers() {
        let (_, errors) =
            parse_str("a = 1\n[x]\nk = 1\nk = 2\nnonsense\n[x]\n[DEFAULT]\n[DEFAULT]\n");
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [1, 4, 5, 6]);
        assert!(matches!(
            errors[1].kind,
            ParseErrorKind::DuplicateOption { .. }
        ));
    }

    #[test]
    fn carriage_returns_split_lines_and_bom_is_an_error() {
        let doc = parse_ok("[x]\r\na = 1\rb = 2\r\n");
        assert_eq!(value(&doc, "x", "b"), "2");
        let (_, errors) = parse_str("\u{feff}[x]\na = 1\n");
        assert!(errors
            .iter()
            .any(|e| e.kind == ParseErrorKind::ByteOrderMark));
    }

    #[test]
    fn indented_header_after_a_key_is_a_continuation() {
        let doc = parse_ok("[x]\na = 1\n  [y]\n");
        assert_eq!(value(&doc, "x", "a"), "1\n[y]");
    }
}
