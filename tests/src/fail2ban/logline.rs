//! Failure lines in the formats the sandbox's filters match.

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{DateTime, TimeZone};

/// sshd pids for generated lines. The stock `sshd` filter ties lines with the same
/// `host sshd[PID]:` prefix to one connection (`<F-MLFID>`) and reports the address of the first
/// one, so every line gets a pid of its own, as every real connection has.
static NEXT_PID: AtomicU32 = AtomicU32::new(10_000);

fn next_pid() -> u32 {
    10_000 + NEXT_PID.fetch_add(1, Ordering::Relaxed) % 4_000_000
}

/// The log format a jail's filter reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// syslog-style sshd lines for the stock `sshd` filter:
    /// `Nov 24 19:43:14 bghost sshd[PID]: Failed password for invalid user admin from IP port 4242 ssh2`.
    Sshd,
    /// ISO-dated lines for the sandbox's `f2btest` filter:
    /// `2026-11-24 19:43:14 LOGIN FAILED for user bob from IP`.
    F2bTest,
}

impl LogFormat {
    /// `sshd` reads [`LogFormat::Sshd`]; every other sandbox jail uses the `f2btest` filter.
    pub fn for_jail(jail: &str) -> Self {
        if jail == "sshd" {
            Self::Sshd
        } else {
            Self::F2bTest
        }
    }

    /// One failure line (with its newline) for `ip` at `now`, in the time zone of `now`
    /// (fail2ban reads these timestamps in the host's local time). `pid` is the sshd process id
    /// (ignored by [`LogFormat::F2bTest`]); give every line its own.
    pub fn line<Tz: TimeZone>(self, ip: &str, now: &DateTime<Tz>, pid: u32) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        match self {
            Self::Sshd => format!(
                "{} bghost sshd[{pid}]: Failed password for invalid user admin from {ip} port 4242 ssh2\n",
                now.format("%b %e %H:%M:%S")
            ),
            Self::F2bTest => format!(
                "{} LOGIN FAILED for user bob from {ip}\n",
                now.format("%Y-%m-%d %H:%M:%S")
            ),
        }
    }

    /// `n` failure lines for `ip` at `now`, each with a new sshd pid.
    pub fn lines<Tz: TimeZone>(self, ip: &str, n: u32, now: &DateTime<Tz>) -> String
    where
        Tz::Offset: std::fmt::Display,
    {
        (0..n).map(|_| self.line(ip, now, next_pid())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn lines_have_the_documented_shape() {
        let now = Utc.with_ymd_and_hms(2026, 11, 4, 9, 3, 14).unwrap();
        assert_eq!(
            LogFormat::Sshd.line("192.0.2.1", &now, 4242),
            "Nov  4 09:03:14 bghost sshd[4242]: Failed password for invalid user admin from 192.0.2.1 port 4242 ssh2\n"
        );
        assert_eq!(
            LogFormat::F2bTest.line("2001:db8::1", &now, 1),
            "2026-11-04 09:03:14 LOGIN FAILED for user bob from 2001:db8::1\n"
        );
        assert_eq!(
            LogFormat::F2bTest
                .lines("192.0.2.1", 3, &now)
                .lines()
                .count(),
            3
        );
    }

    #[test]
    fn jails_map_to_formats() {
        assert_eq!(LogFormat::for_jail("sshd"), LogFormat::Sshd);
        assert_eq!(LogFormat::for_jail("f2btest"), LogFormat::F2bTest);
        assert_eq!(LogFormat::for_jail("dormant"), LogFormat::F2bTest);
    }
}
