//! The oracle: the stream the agent's reader builds must equal what `fail2ban-client -c DIR -d`
//! prints, command for command, on the Debian tree, on the Debian tree with every jail enabled
//! (every shipped filter and action read), and on fixture trees with tricky files.

use std::fs;
use std::path::Path;

use bangui_agent::f2bconf::stream::Reader;
use bangui_agent::f2bconf::validate::{compare, dump, Agreement};
use bangui_agent::f2bconf::{pyrepr::PyVal, regex};

const CLIENT: &str = "fail2ban-client";

fn agreement(dir: &Path) -> (Agreement, Vec<PyVal>) {
    let theirs = dump(Path::new(CLIENT), dir).expect("fail2ban-client -d");
    assert!(
        theirs.success,
        "fail2ban-client -d failed: {:?}",
        theirs.messages
    );
    let (ours, _) = Reader::new(dir).full_stream().expect("agent reader");
    let a = compare(&ours, &theirs.stream);
    eprintln!(
        "oracle {}: {} of {} commands equal ({} built by the agent)",
        dir.display(),
        a.equal,
        a.theirs,
        a.ours
    );
    for (i, x, y) in &a.differences {
        eprintln!("  #{i}\n    agent:    {x}\n    fail2ban: {y}");
    }
    (a, ours)
}

#[test]
fn debian_default_tree_matches_fail2ban() {
    let (a, _) = agreement(Path::new("/etc/fail2ban"));
    assert!(a.is_exact());
}

#[test]
fn every_shipped_jail_filter_and_action_matches_fail2ban() {
    let tmp = tempfile::tempdir().unwrap();
    bangui_tests::copy_dir(Path::new("/etc/fail2ban"), tmp.path());
    fs::write(tmp.path().join("jail.local"), "[DEFAULT]\nenabled = true\n").unwrap();
    let (a, ours) = agreement(tmp.path());
    assert!(
        a.theirs > 1000,
        "expected the whole tree, got {} commands",
        a.theirs
    );
    assert!(a.is_exact());
    // Every shipped regex, as fail2ban sends it, compiles with the agent's regex check.
    let mut total = 0;
    let mut failed = Vec::new();
    for cmd in &ours {
        let PyVal::List(v) = cmd else { continue };
        let what = v.get(2).and_then(PyVal::as_str).unwrap_or_default();
        if what != "addfailregex" && what != "addignoreregex" && what != "prefregex" {
            continue;
        }
        let list: Vec<&str> = match v.get(3) {
            Some(PyVal::List(items)) => items.iter().filter_map(PyVal::as_str).collect(),
            Some(PyVal::Str(s)) => vec![s.as_str()],
            _ => vec![],
        };
        for re in list {
            total += 1;
            if let Err(e) = regex::compile(re, true) {
                failed.push(e.to_string());
            }
        }
    }
    eprintln!(
        "regex check: {} of {total} shipped regexes compile",
        total - failed.len()
    );
    assert!(failed.is_empty(), "{failed:#?}");
}

/// Multi-line values with comments and blank lines, inline `;` comments, `#` inside values,
/// `%(known/..)s` extension of a shipped filter, jail.d ordering, `[INCLUDES]` before/after,
/// `[Init]` parameters, conditional sections and `%(__name__)s`.
#[test]
fn tricky_fixture_tree_matches_fail2ban() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    bangui_tests::copy_dir(Path::new("/etc/fail2ban"), d);
    let log = d.join("app.log");
    fs::write(&log, "").unwrap();
    let log = log.display();
    fs::write(
        d.join("jail.d/10-first.conf"),
        format!("[sshd]\nenabled = true\nmaxretry = 9 ; inline comment\nlogpath = {log}\n    # a comment inside the value\n\n    /nonexistent/*.log  tail\nport = ssh#kept\n"),
    )
    .unwrap();
    fs::write(
        d.join("jail.d/20-second.conf"),
        "[sshd]\nmaxretry = 4\nbantime = 1h\n",
    )
    .unwrap();
    fs::write(d.join("jail.d/05-last.local"), "[sshd]\nmaxretry = 6\nbantime.increment = true\nbantime.factor = 2\nignoreip = 127.0.0.1/8 ::1,\n   192.0.2.0/24\n").unwrap();
    fs::write(
        d.join("filter.d/sshd.local"),
        "[Definition]\nfailregex = %(known/failregex)s\n            ^Extra #hash kept for <F-USER>\\S+</F-USER> from <HOST>$\n",
    )
    .unwrap();
    fs::write(
        d.join("filter.d/tricky-common.conf"),
        "[DEFAULT]\n_pfx = ^\\s*\n[Definition]\n_who = user\n",
    )
    .unwrap();
    fs::write(
        d.join("filter.d/tricky-after.conf"),
        "[Definition]\nignoreregex = ^ignored <HOST>$\n",
    )
    .unwrap();
    fs::write(
        d.join("filter.d/tricky.conf"),
        "[INCLUDES]\nbefore = tricky-common.conf\nafter = tricky-after.conf\n\n[Init]\nmode = normal\n\n[Definition]\nnormal = LOGIN FAILED\naggressive = (?:LOGIN|AUTH) FAILED\nfailregex = %(_pfx)s<<mode>> for %(_who)s <F-USER>\\S+</F-USER> from <HOST>\n\n            %(_pfx)sBAD <mode> from <HOST>\ndatepattern = {^LN-BEG}\nmaxlines = 2\n",
    )
    .unwrap();
    fs::write(
        d.join("action.d/tricky-act.conf"),
        "[Definition]\nactionban = echo <name> <ip> <port> >> <target>\nactionunban = echo unban <ip>\n[Init]\ntarget = /tmp/x\nport = 22\n[Init?family=inet6]\ntarget = /tmp/x6\n",
    )
    .unwrap();
    fs::write(
        d.join("jail.local"),
        format!("[DEFAULT]\nbanaction = dummy\n\n[tricky]\nenabled = true\nfilter = %(__name__)s[mode=aggressive]\nlogpath = {log}\naction = tricky-act[name=%(__name__)s-x, port=\"1, 2\"]\n         dummy\nfindtime = 5m\n\n[off]\nenabled = false\nfilter = nosuch\n"),
    )
    .unwrap();
    let (a, _) = agreement(d);
    assert!(a.is_exact());
}
