//! Helpers shared by the API tests: start a sandbox with its agent, drive and query fail2ban
//! through `fail2ban-client`, poll with deadlines, and check error bodies.

use std::time::Duration;

use bangui_tests::{assert_error, Fail2ban, Response};
pub use bangui_tests::{assert_field_error, poll_until, POLL_TIMEOUT};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// How long a ban from log failures may take (polling backend, 1 s cycles).
pub const BAN_TIMEOUT: Duration = Duration::from_secs(15);

/// A private fail2ban and an agent talking to it.
pub use bangui_tests::sandbox_with_agent as start;

/// Bans `ip` in `jail` through `fail2ban-client` (not through the agent).
pub fn ban(f2b: &Fail2ban, jail: &str, ip: &str) {
    let out = f2b.client_ok(&["set", jail, "banip", ip]);
    assert!(
        f2b.is_banned(jail, ip),
        "{ip} not banned in {jail} after banip: {out}"
    );
}

/// The ignore list of `jail` as fail2ban reports it (`get JAIL ignoreip`), sorted.
pub fn ignore_list(f2b: &Fail2ban, jail: &str) -> Vec<String> {
    let out = f2b.client_ok(&["get", jail, "ignoreip"]);
    let mut entries: Vec<String> = out
        .lines()
        .filter_map(|line| {
            let line = line.trim();
            line.strip_prefix("|- ")
                .or_else(|| line.strip_prefix("`- "))
                .map(|entry| entry.trim().to_owned())
        })
        .collect();
    entries.sort();
    entries
}

/// `get JAIL ignoreself` as a bool.
pub fn ignore_self(f2b: &Fail2ban, jail: &str) -> bool {
    let out = f2b.client_ok(&["get", jail, "ignoreself"]);
    match out.trim() {
        "True" => true,
        "False" => false,
        other => panic!("unexpected `get {jail} ignoreself` output {other:?}"),
    }
}

/// The single value of a `get` whose output ends in `` `- VALUE `` (logtarget, dbpurgeage, ...)
/// or is the bare value (dbmaxmatches).
pub fn server_value(f2b: &Fail2ban, key: &str) -> String {
    f2b.get_value(&["get", key])
}

/// Appends `text` to the sandbox's `jail.local`.
pub fn append_jail_local(f2b: &Fail2ban, text: &str) {
    use std::io::Write;
    let path = f2b.config_dir().join("jail.local");
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    file.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("cannot append to {}: {e}", path.display()));
}

/// Writes `jail.d/NAME` in the sandbox's config (read after `jail.local`).
pub fn write_jail_d(f2b: &Fail2ban, name: &str, text: &str) {
    let path = f2b.config_dir().join("jail.d").join(name);
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// Asserts the 502 every fail2ban-backed route answers when fail2ban is down.
#[track_caller]
pub fn assert_unreachable(response: &Response) {
    assert_error(response, 502, "fail2ban_unreachable");
}

/// A successful command body: `success: true` and a non-empty message.
#[track_caller]
pub fn assert_command_ok(response: &Response, status: u16) {
    bangui_tests::assert_status(response, status);
    assert_eq!(response.json["success"], true, "{}", response.text);
    let message = response.json["message"].as_str().unwrap_or_default();
    assert!(!message.is_empty(), "empty message in {}", response.text);
}

/// An RFC 3339 timestamp field.
#[track_caller]
pub fn time(value: &Value) -> DateTime<Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a timestamp string"));
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text:?} is not RFC 3339: {e}"))
        .with_timezone(&Utc)
}

/// Checks a ban entry's times: banned within the last minutes, and for a timed ban
/// `expires_at - banned_at == ban_seconds`.
#[track_caller]
pub fn assert_ban_times(item: &Value, ban_seconds: i64) {
    assert_eq!(item["ban_seconds"], ban_seconds, "{item}");
    let banned_at = time(&item["banned_at"]);
    let age = Utc::now() - banned_at;
    assert!(
        age.num_seconds().abs() < 300,
        "banned_at {banned_at} is not recent: {item}"
    );
    if ban_seconds < 0 {
        assert_eq!(item["permanent"], true, "{item}");
        assert!(item["expires_at"].is_null(), "{item}");
    } else {
        assert_eq!(item["permanent"], false, "{item}");
        let expires_at = time(&item["expires_at"]);
        assert_eq!(
            (expires_at - banned_at).num_seconds(),
            ban_seconds,
            "expires_at - banned_at != ban_seconds in {item}"
        );
    }
}

/// The items of a list body, or a panic showing the body.
#[track_caller]
pub fn items(response: &Response) -> &Vec<Value> {
    response.json["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items array in {}", response.text))
}

/// A sorted list of the string field `key` of every item.
pub fn field_of_items(response: &Response, key: &str) -> Vec<String> {
    let mut out: Vec<String> = items(response)
        .iter()
        .map(|item| {
            item[key]
                .as_str()
                .unwrap_or_else(|| panic!("item without string {key:?}: {item}"))
                .to_owned()
        })
        .collect();
    out.sort();
    out
}

/// Owned, sorted strings.
pub fn sorted(values: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = values.iter().map(|v| (*v).to_owned()).collect();
    out.sort();
    out
}
