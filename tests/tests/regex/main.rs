//! End-to-end tests of `POST /api/v1/config/regex-test` and `POST /api/v1/config/preview-log`
//! against a real agent and fail2ban sandbox: statuses per the spec, the bounds on patterns and
//! backtracking, path confinement of the preview, and the oracle — the tester's matches against
//! `fail2ban-regex` on fail2ban's own sample logs.

mod common;
mod oracle;
mod preview;
mod tester;
