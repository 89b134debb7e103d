//! `GET /api/v1/config/fail2ban-log`: the tail of the real server log, filters, cursors,
//! rotation, and the targets that are not files.

use std::io::Write;
use std::os::unix::net::UnixDatagram;

use bangui_tests::{assert_error, assert_status, Agent, Fail2ban, Response};
use serde_json::Value;

use crate::common::{assert_field_error, start};

const LOG: &str = "/api/v1/config/fail2ban-log";

fn append(f2b: &Fail2ban, text: &str) {
    std::fs::OpenOptions::new()
        .append(true)
        .open(f2b.server_log_path())
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
}

fn texts(r: &Response) -> Vec<String> {
    r.json["lines"]
        .as_array()
        .unwrap_or_else(|| panic!("no lines in {}", r.text))
        .iter()
        .map(|l| l["text"].as_str().unwrap().to_owned())
        .collect()
}

fn levels(r: &Response) -> Vec<Value> {
    r.json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["level"].clone())
        .collect()
}

fn cursor(r: &Response) -> String {
    r.json["cursor"].as_str().unwrap().to_owned()
}

const ENTRIES: &str = concat!(
    "2026-11-29 09:00:00,001 fail2ban.test            [1]: WARNING test warning one\n",
    "2026-11-29 09:00:00,002 fail2ban.test            [1]: INFO    test info two\n",
    "2026-11-29 09:00:00,003 fail2ban.test            [1]: ERROR   test error three\n",
    "Traceback (most recent call last):\n",
    "  test continuation four\n",
);

#[tokio::test]
async fn the_tail_of_the_server_log_with_levels_filters_and_a_cursor() {
    let (f2b, agent) = start();
    let r = agent.get(LOG).await;
    assert_status(&r, 200);
    assert_eq!(
        r.json["log_target"],
        f2b.server_log_path().display().to_string()
    );
    let all = texts(&r);
    assert!(
        all.iter().any(|l| l.contains("Jail 'sshd' started")),
        "{all:?}"
    );
    assert_eq!(r.json["reset"], false);

    let r = agent.get(&format!("{LOG}?lines=2")).await;
    assert_status(&r, 200);
    assert_eq!(texts(&r).len(), 2);
    assert_eq!(r.json["truncated"], true);
    assert_eq!(texts(&r), all[all.len() - 2..].to_vec());

    // Poll: only what was written after the cursor.
    let start_cursor = cursor(&r);
    append(&f2b, ENTRIES);
    let r = agent.get(&format!("{LOG}?cursor={start_cursor}")).await;
    assert_status(&r, 200);
    let new = texts(&r);
    let at = new
        .iter()
        .position(|l| l.ends_with("test warning one"))
        .unwrap_or_else(|| panic!("{}", r.text));
    assert_eq!(new[at..].join("\n") + "\n", ENTRIES, "{}", r.text);
    let next = cursor(&r);
    let r = agent.get(&format!("{LOG}?cursor={next}")).await;
    assert!(
        texts(&r).iter().all(|l| !l.contains("test ")),
        "nothing new is repeated: {}",
        r.text
    );

    // Minimum level: WARNING and worse, continuation lines with their entry.
    let r = agent
        .get(&format!("{LOG}?cursor={start_cursor}&level=warning"))
        .await;
    assert_status(&r, 200);
    let kept = texts(&r);
    assert!(
        kept.iter().any(|l| l.ends_with("test warning one")),
        "{kept:?}"
    );
    assert!(
        kept.iter().any(|l| l.ends_with("test continuation four")),
        "{kept:?}"
    );
    assert!(
        !kept.iter().any(|l| l.contains("test info two")),
        "{kept:?}"
    );
    let lv = levels(&r);
    assert!(lv
        .iter()
        .all(|l| ["WARNING", "ERROR", "CRITICAL"].contains(&l.as_str().unwrap())));

    // Text filter.
    let r = agent.get(&format!("{LOG}?filter=TEST%20ERROR")).await;
    assert_eq!(texts(&r).len(), 1, "{}", r.text);
}

#[tokio::test]
async fn a_rotated_log_resets_the_cursor() {
    let (f2b, agent) = start();
    let r = agent.get(LOG).await;
    let old = cursor(&r);
    let log = f2b.server_log_path();
    std::fs::rename(&log, log.with_extension("log.1")).unwrap();
    // fail2ban reopens its log target on flushlogs (what logrotate triggers).
    f2b.client_ok(&["flushlogs"]);
    append(
        &f2b,
        "2026-11-29 09:00:00,001 fail2ban.test            [1]: INFO    after rotation\n",
    );
    let r = agent.get(&format!("{LOG}?cursor={old}")).await;
    assert_status(&r, 200);
    assert_eq!(r.json["reset"], true, "{}", r.text);
    let lines = texts(&r);
    assert!(
        lines.iter().any(|l| l.ends_with("after rotation")),
        "{lines:?}"
    );
    assert!(
        !lines.iter().any(|l| l.contains("Jail 'sshd' started")),
        "only the new file: {lines:?}"
    );
}

#[tokio::test]
async fn bad_parameters_are_400_naming_them() {
    let (_f2b, agent) = start();
    for (query, field) in [
        ("lines=0", "lines"),
        ("lines=5001", "lines"),
        ("lines=ten", "lines"),
        ("level=LOUD", "level"),
        ("cursor=abc", "cursor"),
        ("cursor=1.2", "cursor"),
    ] {
        let r = agent.get(&format!("{LOG}?{query}")).await;
        assert_field_error(&r, 400, "invalid_input", field);
    }
}

#[tokio::test]
async fn a_syslog_or_stream_target_is_400() {
    let (f2b, agent) = start();
    // A real syslog socket inside the sandbox, so fail2ban accepts the SYSLOG target.
    let syslog = f2b.dir().join("run").join("syslog.sock");
    let _listener = UnixDatagram::bind(&syslog).unwrap();
    f2b.client_ok(&["set", "syslogsocket", &syslog.display().to_string()]);
    f2b.client_ok(&["set", "logtarget", "SYSLOG"]);
    let r = agent.get(LOG).await;
    assert_field_error(&r, 400, "invalid_input", "log_target");
    assert!(
        r.json["detail"].as_str().unwrap().contains("SYSLOG"),
        "{}",
        r.text
    );

    f2b.client_ok(&["set", "logtarget", "STDERR"]);
    let r = agent.get(LOG).await;
    assert_field_error(&r, 400, "invalid_input", "log_target");
}

#[tokio::test]
async fn a_log_outside_the_allowed_dirs_is_400() {
    let f2b = Fail2ban::start();
    let elsewhere = tempfile::tempdir().unwrap();
    let agent = Agent::start_with(&f2b, |c| c.log_dirs = vec![elsewhere.path().to_owned()]);
    let r = agent.get(LOG).await;
    assert_field_error(&r, 400, "invalid_input", "log_target");
    assert!(
        r.json["detail"].as_str().unwrap().contains("outside"),
        "{}",
        r.text
    );

    // A symlink inside an allowed dir that points at the real log does not help either.
    let link = elsewhere.path().join("f2b.log");
    std::os::unix::fs::symlink(f2b.server_log_path(), &link).unwrap();
    f2b.client_ok(&["set", "logtarget", &link.display().to_string()]);
    let r = agent.get(LOG).await;
    assert_field_error(&r, 400, "invalid_input", "log_target");
}

#[tokio::test]
async fn fail2ban_down_is_502() {
    let (mut f2b, agent) = start();
    f2b.stop();
    assert_error(&agent.get(LOG).await, 502, "fail2ban_unreachable");
}
