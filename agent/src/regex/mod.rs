//! fail2ban's regex dialect run in Rust, for the regex tester and the log preview: a regex
//! compiled with the linear-time `regex` crate or, when it needs look-around or
//! backreferences, with `fancy-regex` under a backtracking limit ([`compile`]); Python `re`
//! semantics ([`dialect`]); fail2ban's date detection ([`dates`]); and a filter run on sample
//! lines the way `fail2ban-regex` runs it, `maxlines` buffer and `<F-MLFID>` merging included
//! ([`tester`]).
//!
//! Tag expansion (`<HOST>`, `<F-USER>`...) is shared with the config validator
//! ([`crate::f2bconf::regex::translate`]).

pub mod compile;
pub mod dates;
pub mod dialect;
pub mod tester;
