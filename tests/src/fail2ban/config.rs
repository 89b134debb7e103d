//! The sandbox's fail2ban configuration: a copy of the stock `/etc/fail2ban` plus our `.local`
//! overrides. Rendering is pure (strings from a [`Layout`]); [`write_config`] does the I/O.

use std::fs;
use std::io;
use std::path::Path;

use super::layout::Layout;

/// The stock configuration copied into every sandbox.
pub(crate) const STOCK_CONFIG_DIR: &str = "/etc/fail2ban";

/// Placeholder in extra `jail.local` text, replaced by the sandbox directory.
pub const DIR_PLACEHOLDER: &str = "@DIR@";

/// The custom filter of the `f2btest` and `dormant` jails.
pub(crate) const F2BTEST_FILTER: &str = r"[Definition]
failregex = ^\s*LOGIN FAILED for user <F-USER>\S+</F-USER> from <HOST>\s*$
ignoreregex =
";

/// The jails enabled by the base `jail.local`, in the order they start.
pub(crate) const ENABLED_JAILS: [&str; 2] = ["sshd", "f2btest"];

/// Server-level settings (`fail2ban.conf` is read first, `fail2ban.local` overrides it).
pub(crate) fn fail2ban_local(layout: &Layout) -> String {
    format!(
        "[Definition]\n\
         loglevel = INFO\n\
         logtarget = {log}\n\
         syslogsocket = auto\n\
         socket = {socket}\n\
         pidfile = {pid}\n\
         dbfile = {db}\n\
         dbpurgeage = 1d\n\
         dbmaxmatches = 10\n\
         allowipv6 = auto\n",
        log = layout.server_log().display(),
        socket = layout.socket().display(),
        pid = layout.pidfile().display(),
        db = layout.db_file().display(),
    )
}

/// The dummy action never touches a firewall; its state file stays inside the sandbox.
pub(crate) fn dummy_local(layout: &Layout) -> String {
    format!("[Init]\ntarget = {}\n", layout.dummy_target().display())
}

/// `jail.local`: defaults, the jails `sshd` and `f2btest` (enabled), `dormant` (configured but
/// disabled), then `extra` with [`DIR_PLACEHOLDER`] replaced by the sandbox directory.
pub(crate) fn jail_local(layout: &Layout, extra: &str) -> String {
    let mut text = format!(
        "[DEFAULT]\n\
         backend = polling\n\
         banaction = dummy\n\
         banaction_allports = dummy\n\
         usedns = no\n\
         ignoreself = true\n\
         ignoreip = 127.0.0.1/8 ::1\n\
         bantime = 10m\n\
         findtime = 10m\n\
         maxretry = 3\n\
         \n\
         [sshd]\n\
         enabled = true\n\
         backend = polling\n\
         logpath = {sshd}\n\
         \n\
         [f2btest]\n\
         enabled = true\n\
         filter = f2btest\n\
         logpath = {f2btest}\n\
         maxretry = 2\n\
         bantime = 1h\n\
         bantime.increment = true\n\
         bantime.maxtime = 1d\n\
         \n\
         [dormant]\n\
         enabled = false\n\
         filter = f2btest\n\
         logpath = {dormant}\n",
        sshd = layout.jail_log("sshd").display(),
        f2btest = layout.jail_log("f2btest").display(),
        dormant = layout.jail_log("dormant").display(),
    );
    let extra = expand_extra(layout, extra);
    if !extra.trim().is_empty() {
        text.push('\n');
        text.push_str(&extra);
        if !extra.ends_with('\n') {
            text.push('\n');
        }
    }
    text
}

/// Replaces [`DIR_PLACEHOLDER`] with the sandbox directory.
pub(crate) fn expand_extra(layout: &Layout, extra: &str) -> String {
    extra.replace(DIR_PLACEHOLDER, &layout.dir().display().to_string())
}

/// Every `logpath = …` of `text` that lies inside the sandbox, so it can be created up front
/// (fail2ban refuses to start a jail whose log file is missing).
pub(crate) fn sandbox_logpaths(layout: &Layout, text: &str) -> Vec<std::path::PathBuf> {
    text.lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == "logpath").then(|| value.trim())
        })
        .flat_map(|value| value.split_whitespace())
        .map(std::path::PathBuf::from)
        .filter(|path| path.starts_with(layout.dir()))
        .collect()
}

/// Writes `DIR/etc` from scratch: the stock configuration from `stock`, then our overrides.
/// Creates `DIR/run`, `DIR/log`, `DIR/db` and every jail log file that does not exist yet.
pub(crate) fn write_config(
    layout: &Layout,
    stock: &Path,
    jail_local_extra: &str,
) -> io::Result<()> {
    let etc = layout.etc();
    if etc.exists() {
        fs::remove_dir_all(&etc)?;
    }
    copy_stock(stock, &etc, true)?;
    for dir in [layout.run(), layout.log(), layout.db()] {
        fs::create_dir_all(dir)?;
    }
    fs::write(etc.join("fail2ban.local"), fail2ban_local(layout))?;
    fs::write(etc.join("action.d/dummy.local"), dummy_local(layout))?;
    fs::write(etc.join("filter.d/f2btest.conf"), F2BTEST_FILTER)?;
    let jail_local = jail_local(layout, jail_local_extra);
    fs::write(etc.join("jail.local"), &jail_local)?;
    for log in sandbox_logpaths(layout, &jail_local) {
        if let Some(parent) = log.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)?;
    }
    Ok(())
}

/// Copies the stock configuration, leaving out whatever the host added on top of it: every
/// `*.local` file and the contents of `jail.d/` and `fail2ban.d/` (Debian enables `sshd` there;
/// our `jail.local` says everything the sandbox needs).
fn copy_stock(src: &Path, dst: &Path, top: bool) -> io::Result<()> {
    fs::create_dir_all(dst)?;
    for entry in fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        let from = entry.path();
        let to = dst.join(&name);
        if from.is_dir() {
            if top && (name == "jail.d" || name == "fail2ban.d") {
                fs::create_dir_all(&to)?;
            } else {
                copy_stock(&from, &to, false)?;
            }
        } else if !name.to_string_lossy().ends_with(".local") {
            fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    #[test]
    fn jail_local_has_the_three_jails_and_expands_extra() {
        let layout = Layout::new("/tmp/bg-x");
        let text = jail_local(
            &layout,
            "[extra]\nenabled = false\nlogpath = @DIR@/log/extra.log",
        );
        assert!(text.contains(
            "[sshd]\nenabled = true\nbackend = polling\nlogpath = /tmp/bg-x/log/auth.log\n"
        ));
        assert!(text.contains(
            "[f2btest]\nenabled = true\nfilter = f2btest\nlogpath = /tmp/bg-x/log/app.log\n"
        ));
        assert!(text.contains("[dormant]\nenabled = false\n"));
        assert!(text.ends_with("[extra]\nenabled = false\nlogpath = /tmp/bg-x/log/extra.log\n"));
        assert_eq!(
            sandbox_logpaths(&layout, &text),
            [
                "/tmp/bg-x/log/auth.log",
                "/tmp/bg-x/log/app.log",
                "/tmp/bg-x/log/dormant.log",
                "/tmp/bg-x/log/extra.log"
            ]
            .map(PathBuf::from)
        );
    }

    #[test]
    fn logpaths_outside_the_sandbox_are_left_alone() {
        let layout = Layout::new("/tmp/bg-x");
        assert!(sandbox_logpaths(&layout, "logpath = /var/log/auth.log").is_empty());
    }

    #[test]
    fn fail2ban_local_points_everything_into_the_sandbox() {
        let text = fail2ban_local(&Layout::new("/tmp/bg-x"));
        assert!(text.contains("socket = /tmp/bg-x/run/f2b.sock\n"));
        assert!(text.contains("dbfile = /tmp/bg-x/db/fail2ban.sqlite3\n"));
        assert!(text.contains("logtarget = /tmp/bg-x/log/fail2ban.log\n"));
    }
}
