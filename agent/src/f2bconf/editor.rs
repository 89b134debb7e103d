//! Editing a `.local` file the agent owns without losing what it does not touch: keys are set or
//! removed in place, every other line (comments, blank lines, other keys and sections) stays as
//! it was. The result is rendered as a `String` and checked by parsing it back, so a value that
//! configparser would read differently (an inline `;` comment, a line starting with `#`) is
//! refused instead of being written wrong.

use super::parser::{parse_str, py_lines, ParseError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EditError {
    /// The existing file is not valid for fail2ban; it is not edited blindly.
    #[error("the existing file cannot be read: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Unreadable(Vec<ParseError>),
    #[error("invalid key {0:?}: use letters, digits and . _ - / ? =")]
    BadKey(String),
    #[error("invalid section name {0:?}")]
    BadSection(String),
    #[error("value of '{key}' cannot be written as fail2ban would read it back: {why}")]
    Unrepresentable { key: String, why: String },
}

/// A `.local` document being edited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Editor {
    lines: Vec<String>,
}

impl Editor {
    /// Starts from the current text (empty for a new file); refuses text fail2ban cannot read.
    pub fn new(text: &str) -> Result<Self, EditError> {
        let (_, errors) = parse_str(text);
        if !errors.is_empty() {
            return Err(EditError::Unreadable(errors));
        }
        Ok(Self {
            lines: py_lines(text),
        })
    }

    pub fn render(&self) -> String {
        self.lines.concat()
    }

    /// Sets `key` in `section` (created at the end when missing).
    pub fn set(&mut self, section: &str, key: &str, value: &str) -> Result<(), EditError> {
        check_section(section)?;
        let key = check_key(key)?;
        let rendered = render_entry(&key, value)?;
        let (doc, _) = parse_str(&self.render());
        self.ensure_newline();
        match doc.section(section) {
            Some(sec) => match sec.get(&key) {
                Some(e) => {
                    self.lines.splice(e.line - 1..e.last_line, rendered);
                }
                None => {
                    let at = sec
                        .entries
                        .iter()
                        .map(|e| e.last_line)
                        .max()
                        .unwrap_or(sec.line);
                    self.lines.splice(at..at, rendered);
                }
            },
            None => {
                if self.lines.iter().any(|l| !l.trim().is_empty()) {
                    self.lines.push("\n".into());
                }
                self.lines.push(format!("[{section}]\n"));
                self.lines.extend(rendered);
            }
        }
        // Check that fail2ban reads back exactly what was meant.
        let (doc, errors) = parse_str(&self.render());
        let expected = normalise(value);
        let got = doc
            .section(section)
            .and_then(|s| s.get(&key))
            .map(|e| e.value.clone());
        if !errors.is_empty() || got.as_deref() != Some(expected.as_str()) {
            return Err(EditError::Unrepresentable {
                key,
                why: format!("it would read back as {got:?}"),
            });
        }
        Ok(())
    }

    /// Removes `key` from `section`; false when it was not there.
    pub fn remove(&mut self, section: &str, key: &str) -> bool {
        let key = key.to_lowercase();
        let (doc, _) = parse_str(&self.render());
        let Some(e) = doc.section(section).and_then(|s| s.get(&key)) else {
            return false;
        };
        self.lines.drain(e.line - 1..e.last_line);
        true
    }

    /// The value of `key` in `section` as fail2ban reads it.
    pub fn get(&self, section: &str, key: &str) -> Option<String> {
        let (doc, _) = parse_str(&self.render());
        doc.section(section)
            .and_then(|s| s.get(&key.to_lowercase()))
            .map(|e| e.value.clone())
    }

    fn ensure_newline(&mut self) {
        if let Some(last) = self.lines.last_mut() {
            if !last.ends_with('\n') {
                last.push('\n');
            }
        }
    }
}

fn check_section(section: &str) -> Result<(), EditError> {
    let ok = !section.is_empty()
        && section.len() <= 128
        && !section.contains([']', '[', '\n', '\r'])
        && section.trim() == section;
    if ok {
        Ok(())
    } else {
        Err(EditError::BadSection(section.to_owned()))
    }
}

fn check_key(key: &str) -> Result<String, EditError> {
    let ok = !key.is_empty()
        && key.len() <= 128
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | '?'))
        && !key.starts_with(['#', ';', '[']);
    if ok {
        Ok(key.to_lowercase())
    } else {
        Err(EditError::BadKey(key.to_owned()))
    }
}

/// What configparser makes of a value: lines trimmed, trailing blank lines dropped.
pub fn normalise(value: &str) -> String {
    let lines: Vec<&str> = value
        .split('\n')
        .map(|l| l.trim_matches(super::parser::py_space))
        .collect();
    lines
        .join("\n")
        .trim_end_matches(super::parser::py_space)
        .to_owned()
}

/// `key = first` plus indented continuation lines.
fn render_entry(key: &str, value: &str) -> Result<Vec<String>, EditError> {
    let bad = |why: &str| EditError::Unrepresentable {
        key: key.to_owned(),
        why: why.to_owned(),
    };
    if value.contains('\r') {
        return Err(bad("it contains a carriage return"));
    }
    let value = normalise(value);
    let mut out = Vec::new();
    for (i, line) in value.split('\n').enumerate() {
        if line.contains(" ;") || line.contains("\t;") || line.starts_with(';') {
            return Err(bad("';' after whitespace starts a comment"));
        }
        if i == 0 {
            out.push(if line.is_empty() {
                format!("{key} =\n")
            } else {
                format!("{key} = {line}\n")
            });
        } else if line.is_empty() {
            out.push("\n".into());
        } else {
            if line.starts_with('#') {
                return Err(bad("a continuation line starting with '#' is a comment"));
            }
            out.push(format!("    {line}\n"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOLDEN_IN: &str = "# managed file\n[sshd]\n# keep me\nenabled = true ; inline\nmaxretry = 3\nlogpath = /a\n    /b\n\n[other]\nx = 1\n";

    #[test]
    fn set_replaces_in_place_and_keeps_comments() {
        let mut e = Editor::new(GOLDEN_IN).unwrap();
        e.set("sshd", "maxretry", "5").unwrap();
        e.set("sshd", "logpath", "/c\n/d\n/e").unwrap();
        e.set("sshd", "bantime", "1h").unwrap();
        e.set("new", "k", "v").unwrap();
        assert_eq!(
            e.render(),
            "# managed file\n[sshd]\n# keep me\nenabled = true ; inline\nmaxretry = 5\nlogpath = /c\n    /d\n    /e\nbantime = 1h\n\n[other]\nx = 1\n\n[new]\nk = v\n"
        );
        assert!(e.remove("sshd", "LOGPATH"));
        assert!(!e.remove("sshd", "nosuch"));
        assert_eq!(e.get("sshd", "enabled").as_deref(), Some("true"));
        assert_eq!(e.get("sshd", "logpath"), None);
    }

    #[test]
    fn values_that_would_read_back_differently_are_refused() {
        let mut e = Editor::new("").unwrap();
        assert!(e.set("x", "a", "one ; two").is_err());
        assert!(e.set("x", "a", "one\n# two").is_err());
        assert!(e.set("x", "a b", "1").is_err());
        assert!(e.set("x]", "a", "1").is_err());
        e.set("x", "failregex", "^a#b <HOST>$\n\n^c <HOST>$")
            .unwrap();
        assert_eq!(
            e.render(),
            "[x]\nfailregex = ^a#b <HOST>$\n\n    ^c <HOST>$\n"
        );
    }

    #[test]
    fn unreadable_files_are_not_edited() {
        assert!(matches!(
            Editor::new("[a]\nk = 1\nk = 2\n"),
            Err(EditError::Unreadable(_))
        ));
    }
}
