//! `GET /api/v1/dashboard/status`: fail2ban's counters summed over the running jails.

use bangui_tests::assert_status;
use serde_json::json;

use crate::common::{assert_unreachable, ban, poll_until, start, POLL_TIMEOUT};

#[tokio::test]
async fn status_lists_the_running_jails_with_zero_counters() {
    let (f2b, agent) = start();
    let version = f2b.client_ok(&["version"]).trim().to_owned();

    let r = agent.get("/api/v1/dashboard/status").await;
    assert_status(&r, 200);
    assert_eq!(
        r.json,
        json!({"status": {
            "online": true,
            "version": version,
            "active_jails": 2,
            "jails": ["f2btest", "sshd"],
            "currently_banned": 0,
            "total_banned": 0,
            "currently_failed": 0,
            "total_failed": 0,
        }}),
        "{}",
        r.text
    );
}

#[tokio::test]
async fn status_counts_bans_in_all_jails() {
    let (f2b, agent) = start();
    ban(&f2b, "sshd", "192.0.2.21");
    ban(&f2b, "f2btest", "2001:db8::21");

    let r = agent.get("/api/v1/dashboard/status").await;
    assert_status(&r, 200);
    let s = &r.json["status"];
    assert_eq!(s["currently_banned"], 2, "{}", r.text);
    assert_eq!(s["total_banned"], 2, "{}", r.text);

    f2b.client_ok(&["set", "sshd", "unbanip", "192.0.2.21"]);
    let r = agent.get("/api/v1/dashboard/status").await;
    let s = &r.json["status"];
    assert_eq!(
        s["currently_banned"], 1,
        "an unban lowers the current count: {}",
        r.text
    );
    assert_eq!(s["total_banned"], 2, "the total keeps counting: {}", r.text);
}

#[tokio::test]
async fn status_counts_failures_from_the_logs() {
    let (f2b, agent) = start();
    // One failure each, below both jails' maxretry: counted, nobody banned.
    f2b.fail("sshd", "198.51.100.22", 1);
    f2b.fail("f2btest", "2001:db8:2::22", 1);

    let status = poll_until("currently_failed to reach 2", POLL_TIMEOUT, || async {
        let r = agent.get("/api/v1/dashboard/status").await;
        assert_status(&r, 200);
        let s = r.json["status"].clone();
        (s["currently_failed"].as_u64() >= Some(2)).then_some(s)
    })
    .await;
    assert_eq!(status["currently_failed"], 2, "{status}");
    assert_eq!(status["total_failed"], 2, "{status}");
    assert_eq!(status["currently_banned"], 0, "{status}");
    assert!(f2b.banned("sshd").is_empty() && f2b.banned("f2btest").is_empty());
}

#[tokio::test]
async fn status_is_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    assert_status(&agent.get("/api/v1/dashboard/status").await, 200);
    f2b.kill();
    assert_unreachable(&agent.get("/api/v1/dashboard/status").await);
}
