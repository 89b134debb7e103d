//! Where everything of one sandbox lives, all under one short directory:
//!
//! ```text
//! DIR/etc   copy of /etc/fail2ban + fail2ban.local, jail.local, filter.d/f2btest.conf,
//!           action.d/dummy.local
//! DIR/run   f2b.sock, f2b.pid, fail2ban.dummy (the dummy action's target)
//! DIR/log   fail2ban.log (server log), server.out (server stdout/stderr),
//!           auth.log (sshd), app.log (f2btest), dormant.log (dormant), <jail>.log (others)
//! DIR/db    fail2ban.sqlite3
//! ```

use std::path::{Path, PathBuf};

/// Unix socket paths must fit `sockaddr_un.sun_path` (108 bytes with the terminating NUL).
pub(crate) const MAX_SOCKET_PATH: usize = 107;

/// The paths of one sandbox directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Layout {
    dir: PathBuf,
}

impl Layout {
    pub(crate) fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }

    pub(crate) fn etc(&self) -> PathBuf {
        self.dir.join("etc")
    }

    pub(crate) fn run(&self) -> PathBuf {
        self.dir.join("run")
    }

    pub(crate) fn log(&self) -> PathBuf {
        self.dir.join("log")
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.dir.join("db")
    }

    pub(crate) fn socket(&self) -> PathBuf {
        self.run().join("f2b.sock")
    }

    pub(crate) fn pidfile(&self) -> PathBuf {
        self.run().join("f2b.pid")
    }

    pub(crate) fn dummy_target(&self) -> PathBuf {
        self.run().join("fail2ban.dummy")
    }

    pub(crate) fn server_log(&self) -> PathBuf {
        self.log().join("fail2ban.log")
    }

    /// The server's own stdout and stderr (where `Server ready` appears).
    pub(crate) fn server_output(&self) -> PathBuf {
        self.log().join("server.out")
    }

    pub(crate) fn db_file(&self) -> PathBuf {
        self.db().join("fail2ban.sqlite3")
    }

    /// The log file a jail watches: `auth.log` for `sshd`, `app.log` for `f2btest`,
    /// `<jail>.log` for every other jail (`dormant.log`, and jails added by a test).
    pub(crate) fn jail_log(&self, jail: &str) -> PathBuf {
        let file = match jail {
            "sshd" => "auth.log".to_owned(),
            "f2btest" => "app.log".to_owned(),
            other => format!("{other}.log"),
        };
        self.log().join(file)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jail_logs_follow_the_naming_rule() {
        let layout = Layout::new("/tmp/bg-x");
        assert_eq!(layout.jail_log("sshd"), Path::new("/tmp/bg-x/log/auth.log"));
        assert_eq!(
            layout.jail_log("f2btest"),
            Path::new("/tmp/bg-x/log/app.log")
        );
        assert_eq!(
            layout.jail_log("dormant"),
            Path::new("/tmp/bg-x/log/dormant.log")
        );
        assert_eq!(layout.socket(), Path::new("/tmp/bg-x/run/f2b.sock"));
    }
}
