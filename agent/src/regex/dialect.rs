//! Python `re` matching semantics in Rust syntax, for patterns whose tags and Python-only
//! spellings were already rewritten by [`crate::f2bconf::regex::translate`]:
//!
//! - fail2ban searches `line + "\n"`, where Python's `$` matches before that final newline and
//!   Rust's does not: `$` becomes `(?m:$)` (the buffer holds one line, so "before any newline"
//!   and "before the final newline" are the same place);
//! - `\ ` (an escaped space) is a plain space, and `\<`/`\>` are the literal `<`/`>` (Rust reads
//!   them as word boundaries);
//! - inside a class, `&&`, `--` and `~~` are set operations in Rust but literals in Python;
//! - a conditional on a named group, `(?(name)yes|no)`, is `(?(<name>)yes|no)` for `fancy-regex`
//!   (which reads a bare `(?(name)` as a look-ahead for the text `name`).

/// Rewrites the remaining Python spellings of a translated fail2ban regex.
pub fn python_to_rust(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    // Just opened a class: a `]` (after an optional `^`) is a literal there.
    let mut class_start = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(' ') => out.push(' '),
                Some(l @ ('<' | '>')) => out.push(l),
                Some(n) => {
                    out.push('\\');
                    out.push(n);
                }
                None => out.push('\\'),
            },
            '[' if !in_class => {
                in_class = true;
                class_start = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    out.push('^');
                    chars.next();
                }
                continue;
            }
            ']' if in_class && !class_start => {
                in_class = false;
                out.push(']');
            }
            '&' | '-' | '~' if in_class && chars.peek() == Some(&c) => {
                out.push(c);
                out.push('\\');
                out.push(c);
                chars.next();
            }
            '$' if !in_class => out.push_str("(?m:$)"),
            '(' if !in_class && chars.clone().take(2).eq(['?', '(']) => {
                chars.nth(1);
                let name: String = chars
                    .clone()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                let named = !name.is_empty()
                    && !name.starts_with(|c: char| c.is_ascii_digit())
                    && chars.clone().nth(name.chars().count()) == Some(')');
                if named {
                    out.push_str(&format!("(?(<{name}>)"));
                    chars.nth(name.chars().count());
                } else {
                    out.push_str("(?(");
                }
            }
            other => out.push(other),
        }
        class_start = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dollar_matches_before_the_final_newline() {
        assert_eq!(python_to_rust(r"^a$"), r"^a(?m:$)");
        assert_eq!(python_to_rust(r"^a\$[$]"), r"^a\$[$]");
        let re = regex::Regex::new(&python_to_rust(r"^a b$")).unwrap();
        assert!(re.is_match("a b\n"));
        assert!(!re.is_match("a bc\n"));
    }

    #[test]
    fn named_conditionals_test_the_group() {
        assert_eq!(
            python_to_rust(r"(?P<a>x)?(?(a)y|z)"),
            r"(?P<a>x)?(?(<a>)y|z)"
        );
        assert_eq!(python_to_rust(r"(x)?(?(1)y|z)"), r"(x)?(?(1)y|z)");
        let re = fancy_regex::Regex::new(&python_to_rust(r"^(?P<a>x)?(?(a)y|z)$")).unwrap();
        assert!(re.is_match("xy").unwrap() && re.is_match("z").unwrap());
        assert!(!re.is_match("ay").unwrap());
    }

    #[test]
    fn classes_keep_python_literals() {
        assert_eq!(python_to_rust(r"[]$]"), r"[]$]");
        assert_eq!(python_to_rust(r"[^]x]$"), r"[^]x](?m:$)");
        assert_eq!(python_to_rust(r"[a--]"), r"[a-\-]");
        assert_eq!(python_to_rust(r"a\ b"), "a b");
        assert_eq!(python_to_rust(r"\<W\>"), "<W>");
        assert!(regex::Regex::new(&python_to_rust(r"[&&x]")).is_ok());
    }
}
