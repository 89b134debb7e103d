//! fail2ban's time values (`MyTime.str2seconds`): `600`, `-1`, `10m`, `1h 30m`, `1d12h`,
//! `1.5d`, `2weeks`, `1hour+30min`, `1year-6mo`.
//!
//! fail2ban rewrites the text with three regexes and hands the result to Python's `eval`:
//! 1. a space goes between a letter and a digit (`1d12h` → `1d 12h`);
//! 2. a unit word after a digit or a space becomes `*<seconds>` (`12h` → `12*3600`);
//! 3. `<digit><spaces><digit>` becomes `<digit>+<digit>`, so parts side by side add up.
//!
//! This module reads the same sums of `[sign] <number> [unit]` parts, joined by spaces or by
//! `+`/`-`, without evaluating anything, and gives the number fail2ban computes (same unit
//! values, same left-to-right float arithmetic, fractions cut off like Python's `int()`). It
//! also refuses what that rewrite turns into a Python syntax error: `1 2 3` (step 3 does not
//! overlap, so the middle `2` is eaten), `007`, `5.m`, `1h .5m`, `10 parsecs`, `1e9`.
//!
//! Deliberately narrower than `eval`: other Python (`2*60`, `(1)`, `1e+3`, `1_000`, `5.`,
//! `True`, `1j`, a unit with no number before it) is refused, so every value accepted here
//! means the same to fail2ban.

/// A value fail2ban would not read as a time (or one this module does not read).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a fail2ban time (e.g. 600, 10m, 1h 30m, 1d, -1): {why}")]
pub struct DurationError {
    pub value: String,
    pub why: &'static str,
}

/// Seconds of one month and one year as fail2ban counts them: a year is 365.25 days
/// (`(365*3+366)*24*60*60/4`), a month a twelfth of it (30.4375 days).
const YEAR: f64 = 31_557_600.0;
const MONTH: f64 = YEAR / 12.0;

/// The largest part accepted, in seconds (about 35,000 years): every sum of at most
/// [`MAX_PARTS`] such parts stays exact in an `f64`, as Python's integers are.
const MAX_PART: f64 = (1u64 << 40) as f64;
const MAX_PARTS: usize = 64;

/// Seconds per unit word, as fail2ban's regexes spell them (case-insensitive).
fn unit_seconds(unit: &str) -> Option<f64> {
    const MINUTE: f64 = 60.0;
    const HOUR: f64 = 3600.0;
    const DAY: f64 = 86_400.0;
    Some(match unit.to_ascii_lowercase().as_str() {
        "s" | "ss" | "se" | "sec" | "second" | "seconds" => 1.0,
        "m" | "mm" | "mi" | "min" | "minute" | "minutes" => MINUTE,
        "h" | "hh" | "ho" | "hou" | "hour" | "hours" => HOUR,
        "d" | "dd" | "da" | "day" | "days" => DAY,
        "w" | "ww" | "we" | "wee" | "week" | "weeks" => 7.0 * DAY,
        "mo" | "mon" | "month" | "months" => MONTH,
        "y" | "yy" | "ye" | "yea" | "year" | "years" => YEAR,
        _ => return None,
    })
}

/// How a part is joined to the one before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Join {
    /// The first part.
    Start,
    /// `+` or `-` (and any further signs).
    Operator,
    /// Only space (or a letter then a digit), which fail2ban turns into `+`.
    Side,
}

/// A cursor over the (ASCII) text.
struct Scanner<'a> {
    text: &'a [u8],
    pos: usize,
}

impl Scanner<'_> {
    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    /// Skips spaces and tabs; true when there were any.
    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        self.pos > start
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &str {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        // Only ASCII is ever scanned (checked up front), so this never fails.
        std::str::from_utf8(&self.text[start..self.pos]).unwrap_or_default()
    }
}

/// Reads a Python number literal as fail2ban's values use them: `12`, `0`, `1.5`, `.5`,
/// `01.5` (Python refuses `01` but not `01.5` or `00`).
fn number(s: &mut Scanner<'_>) -> Result<(f64, usize), &'static str> {
    let start = s.pos;
    let int = s.take_while(|c| c.is_ascii_digit()).to_owned();
    let frac = if s.peek() == Some(b'.') {
        s.pos += 1;
        let frac = s.take_while(|c| c.is_ascii_digit());
        if frac.is_empty() {
            return Err("a number must not end with '.'");
        }
        Some(frac.to_owned())
    } else {
        None
    };
    if int.is_empty() && frac.is_none() {
        return Err("each part must start with a number");
    }
    if frac.is_none() && int.len() > 1 && int.starts_with('0') && int.bytes().any(|c| c != b'0') {
        return Err("a whole number must not start with 0 (Python reads 010 as an error)");
    }
    let text = std::str::from_utf8(&s.text[start..s.pos]).unwrap_or_default();
    let value: f64 = text.parse().map_err(|_| "a number is malformed")?;
    Ok((value, s.pos - start))
}

/// Parses a fail2ban time into whole seconds, cut towards zero like fail2ban's `int()`
/// (negative values mean "forever" for `bantime`). Surrounding whitespace is ignored, as in a
/// config file.
pub fn parse_seconds(value: &str) -> Result<i64, DurationError> {
    let bad = |why| DurationError {
        value: value.chars().take(80).collect(),
        why,
    };
    let text = value.trim_matches(|c: char| c.is_ascii_whitespace());
    if text.is_empty() {
        return Err(bad("it is empty"));
    }
    if let Some(c) = text
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '\t' | '.' | '+' | '-')))
    {
        return Err(bad(if c.is_whitespace() {
            "only spaces may separate the parts"
        } else {
            "only digits, '.', unit words, '+', '-' and spaces are allowed"
        }));
    }
    let mut s = Scanner {
        text: text.as_bytes(),
        pos: 0,
    };
    let mut total = 0.0_f64;
    let mut parts = 0;
    let mut join = Join::Start;
    // The previous part was one digit with no unit, joined by space: fail2ban's step 3 has
    // used that digit up, so a next part joined by space is a syntax error there.
    let mut lone_digit = false;
    loop {
        // Signs: after a part the first is the operator and the others are unary; at the
        // start all are unary. Only their product matters.
        let mut sign = 1.0;
        loop {
            s.skip_space();
            match s.peek() {
                Some(b'+') => {}
                Some(b'-') => sign = -sign,
                _ => break,
            }
            s.pos += 1;
        }
        match s.peek() {
            None => return Err(bad("a sign must be followed by a number")),
            Some(b'.') if join == Join::Side => {
                return Err(bad("a part after a space must start with a digit"))
            }
            Some(_) if join == Join::Side && lone_digit => {
                return Err(bad(
                    "fail2ban cannot read a single digit between two parts joined by spaces \
                     (as in 1 2 3): give it a unit or join with +",
                ))
            }
            Some(_) => {}
        }
        let (number, len) = number(&mut s).map_err(bad)?;
        let space_before_unit = s.skip_space();
        let unit = s.take_while(|c| c.is_ascii_alphabetic());
        let has_unit = !unit.is_empty();
        let per_unit = if has_unit {
            unit_seconds(unit).ok_or_else(|| {
                bad("unknown unit (use s, m, h, d, w, mo or y, or their long forms)")
            })?
        } else {
            1.0
        };
        // Python: unary signs bind to the number, then `*unit`, then left-to-right sums.
        let part = sign * number * per_unit;
        parts += 1;
        if part.abs() > MAX_PART {
            return Err(bad("it is too large"));
        }
        if parts > MAX_PARTS {
            return Err(bad("it has too many parts"));
        }
        total += part;
        lone_digit = join == Join::Side && !has_unit && len == 1;

        // What joins the next part: signs, spaces, or a digit right after a unit (`1h30m`).
        let space_after = if has_unit {
            s.skip_space()
        } else {
            space_before_unit
        };
        join = match s.peek() {
            None => break,
            Some(b'+' | b'-') => Join::Operator,
            Some(c) if c.is_ascii_digit() => Join::Side,
            Some(b'.') if space_after => Join::Side,
            Some(_) if space_after => {
                return Err(bad("a unit must follow a number (as in 10m or 10 m)"))
            }
            Some(_) => return Err(bad("a number is malformed")),
        };
    }
    Ok(total.trunc() as i64)
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::process::{Command, Stdio};

    use super::*;

    #[test]
    fn fail2ban_forms_parse() {
        // Values from fail2ban 1.0.2's `MyTime.str2seconds`, cut with `int()`.
        for (text, secs) in [
            ("600", 600),
            ("-1", -1),
            ("0", 0),
            ("00", 0),
            ("10m", 600),
            ("1h 30m", 5400),
            ("1d12h", 129_600),
            ("1.5d", 129_600),
            ("2weeks", 1_209_600),
            (" 5 ", 5),
            ("1H", 3600),
            ("1HOUR", 3600),
            ("1w", 604_800),
            ("1wee", 604_800),
            ("1mi", 60),
            ("1mm", 60),
            ("1ss", 1),
            ("1hou", 3600),
            ("1da", 86_400),
            ("2 days", 172_800),
            ("1d12h30m15s", 131_415),
            ("1h\t30m", 5400),
            ("1.5", 1),
            ("-1.5", -1),
            ("-0.5", 0),
            ("0.1h", 360),
            ("01.5", 1),
            ("1 - 2 3", 2),
            ("1 -1 2", 2),
            ("1 23 4", 28),
            ("1 2 h 3", 7204),
            ("1h - -2", 3602),
            ("+-+1", -1),
            ("- - 5", 5),
        ] {
            assert_eq!(parse_seconds(text), Ok(secs), "{text:?}");
        }
    }

    /// Where the old check in the jail config handler and this parser disagreed, fail2ban
    /// decides (values and refusals checked against fail2ban 1.0.2).
    #[test]
    fn fail2ban_decides_where_the_old_validators_disagreed() {
        for (text, fail2ban) in [
            // Refused by the old jail check, read by fail2ban.
            ("1d12h", Some(129_600)),
            ("1h30m", Some(5400)),
            ("1h30", Some(3630)),
            ("10 m", Some(600)),
            ("3 sec", Some(3)),
            ("-5", Some(-5)),
            ("-1h", Some(-3600)),
            ("1hour+30min", Some(5400)),
            ("1year-6mo", Some(15_778_800)),
            (".5m", Some(30)),
            ("1h -30m", Some(1800)),
            // The sign belongs to the first part only (the loose parser negated the sum).
            ("-1h 30m", Some(-1800)),
            // A month is 30.4375 days and a year 365.25 days (not 30.5 and 365).
            ("1mo", Some(2_629_800)),
            ("1 month", Some(2_629_800)),
            ("1y", Some(31_557_600)),
            ("1year", Some(31_557_600)),
            // Accepted by the old jail check (any letters after digits), refused by fail2ban.
            ("10parsecs", None),
            ("1x", None),
            ("1ms", None),
            ("1hx", None),
            ("1.5.2h", None),
            ("1..2", None),
            ("007", None),
            ("07m", None),
            ("1 2 3", None),
            ("1h 2 3m", None),
            ("1h2 3", None),
            ("0 0 0", None),
            // Refused by both old checks and by fail2ban.
            ("10 parsecs", None),
            ("1e9", None),
            ("1h .5m", None),
            ("5.m", None),
            ("1h;rm", None),
            ("h", None),
            ("1h-", None),
            ("-", None),
            ("", None),
            ("   ", None),
        ] {
            assert_eq!(parse_seconds(text).ok(), fail2ban, "{text:?}");
        }
    }

    #[test]
    fn refusals_explain_themselves() {
        for (text, why) in [
            ("", "it is empty"),
            ("-", "a sign must be followed by a number"),
            ("ten", "each part must start with a number"),
            ("10 parsecs", "unknown unit"),
            ("1h;rm", "only digits"),
            ("1\n2h", "only spaces may separate the parts"),
            ("5.", "must not end with '.'"),
            ("010", "must not start with 0"),
            ("1 2 3", "single digit between two parts"),
            ("1h .5m", "after a space must start with a digit"),
            ("1h h", "a unit must follow a number"),
            ("1h.5m", "a number is malformed"),
            ("99999999999999999999", "too large"),
        ] {
            let err = parse_seconds(text).unwrap_err();
            let shown = err.to_string();
            assert!(
                shown.contains("is not a fail2ban time"),
                "{text:?}: {shown}"
            );
            assert!(shown.contains(why), "{text:?}: {shown}");
        }
        let long = "1s ".repeat(65);
        assert!(parse_seconds(&long)
            .unwrap_err()
            .to_string()
            .contains("too many parts"));
    }

    /// A small deterministic generator (xorshift), so failures reproduce.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
        fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
            items[self.below(items.len())]
        }
    }

    /// A value in the grammar this module reads: parts joined by spaces, signs or a digit
    /// right after a unit.
    fn grammar_value(rng: &mut Rng) -> String {
        const NUMBERS: &[&str] = &[
            "0", "00", "1", "2", "5", "9", "10", "12", "30", "90", "600", "1.5", ".5", "0.25",
            "01.5", "007", "3.75",
        ];
        const UNITS: &[&str] = &[
            "s", "S", "sec", "seconds", "m", "mi", "Min", "minutes", "h", "hh", "Hour", "d", "DA",
            "days", "w", "we", "weeks", "mo", "mon", "Months", "y", "ye", "years",
        ];
        let mut out = String::new();
        let mut unit_before = false;
        for i in 0..1 + rng.below(5) {
            let number = rng.pick(NUMBERS);
            let join = if i == 0 {
                rng.pick(&["", "", "-", "+", "- ", "--"])
            } else if unit_before && !number.starts_with('.') {
                rng.pick(&[" ", "  ", "", "+", "-", " - ", " + ", "\t", " -- "])
            } else {
                rng.pick(&[" ", "  ", "+", "-", " - ", " + ", "\t", " +- "])
            };
            out.push_str(join);
            out.push_str(number);
            unit_before = rng.below(3) > 0;
            if unit_before {
                out.push_str(rng.pick(&["", "", " "]));
                out.push_str(rng.pick(UNITS));
            }
        }
        out
    }

    /// Anything from the characters time values use.
    fn noise_value(rng: &mut Rng) -> String {
        const CHARS: &[u8] = b"0123456789 .+-hmsdwoyinaeuctr\t";
        (0..1 + rng.below(10))
            .map(|_| CHARS[rng.below(CHARS.len())] as char)
            .collect()
    }

    /// fail2ban's own `str2seconds` on each line, cut with `int()` (`None`: it raises or
    /// gives something other than a number). python3 and fail2ban are the oracle: if they
    /// are missing, the test fails.
    fn fail2ban_values(values: &[String]) -> Vec<Option<i64>> {
        const SCRIPT: &str = r#"
import sys, json, warnings
warnings.simplefilter("ignore")
from fail2ban.server.mytime import MyTime
out = []
for v in json.load(sys.stdin):
    try:
        r = MyTime.str2seconds(v)
        ok = isinstance(r, (int, float)) and not isinstance(r, bool)
        out.append(int(r) if ok else None)
    except BaseException:
        out.append(None)
print(json.dumps(out))
"#;
        let mut child = Command::new("/usr/bin/python3")
            .args(["-c", SCRIPT])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("/usr/bin/python3 with fail2ban is required for this test");
        let input = serde_json::to_vec(values).unwrap();
        child.stdin.take().unwrap().write_all(&input).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "python3 failed");
        serde_json::from_slice(&out.stdout).unwrap()
    }

    #[test]
    fn agrees_with_fail2ban_itself() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let grammar: Vec<String> = (0..1500).map(|_| grammar_value(&mut rng)).collect();
        let noise: Vec<String> = (0..1500).map(|_| noise_value(&mut rng)).collect();
        let all: Vec<String> = grammar.iter().chain(&noise).cloned().collect();
        let theirs = fail2ban_values(&all);
        assert_eq!(theirs.len(), all.len());
        // [grammar, noise] x [accepted, refused] by fail2ban.
        let mut seen = [[0; 2]; 2];
        for (i, (text, theirs)) in all.iter().zip(&theirs).enumerate() {
            let ours = parse_seconds(text).ok();
            let in_grammar = i < grammar.len();
            if in_grammar {
                // In the grammar: the same verdict and the same number.
                assert_eq!(ours, *theirs, "{text:?}");
            } else if ours.is_some() {
                // Anything else: never accept what fail2ban refuses or reads differently.
                assert_eq!(ours, *theirs, "{text:?}");
            }
            seen[usize::from(!in_grammar)][usize::from(theirs.is_none())] += 1;
        }
        // Every kind occurs often, so the comparisons above mean something.
        assert!(seen.iter().flatten().all(|&n| n > 100), "{seen:?}");
    }
}
