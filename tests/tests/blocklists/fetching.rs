//! The SSRF guard end to end (loopback targets only) and failed downloads: 404, slow, huge,
//! flaky, redirects.

use std::time::Duration;

use serde_json::json;

use bangui_tests::{assert_error, assert_status};

use crate::common::{self, create, import};
use crate::server::{ListServer, Route};

#[tokio::test]
async fn loopback_targets_are_refused_while_the_allowlist_is_off() {
    let lists = ListServer::start("127.0.0.1");
    lists.route("/a.txt", Route::Body("192.0.2.1\n".into()));
    let v6 = std::net::TcpListener::bind("[::1]:0").ok();
    let port = lists.port();
    let (_f2b, agent) = common::start(&[], "");
    let mut urls = vec![
        "file:///etc/passwd".to_owned(),
        format!("http://127.0.0.1:{port}/a.txt"),
        format!("http://localhost:{port}/a.txt"),
        format!("http://127.1:{port}/a.txt"),
        format!("http://2130706433:{port}/a.txt"),
        format!("http://0x7f000001:{port}/a.txt"),
        format!("https://127.0.0.1:{port}/a.txt"),
        "http://[::1]:9/a.txt".to_owned(),
        "http://[::ffff:127.0.0.1]:9/a.txt".to_owned(),
    ];
    if let Some(l) = &v6 {
        urls.push(format!(
            "http://[::1]:{}/a.txt",
            l.local_addr().unwrap().port()
        ));
    }
    for url in &urls {
        let r = agent
            .post_json("/api/v1/blocklists", &json!({"name": url, "url": url}))
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["field"], "url", "{url}");
    }
    assert_eq!(agent.get("/api/v1/blocklists").await.json["total"], 0);
    assert_eq!(lists.total_hits(), 0, "a refused URL was fetched");
}

#[tokio::test]
async fn redirects_are_checked_hop_by_hop() {
    let lists = ListServer::start("127.0.0.1");
    // A second loopback server that is not allowlisted: it must never be reached.
    let other = ListServer::start("127.0.0.2");
    other.route("/a.txt", Route::Body("192.0.2.66\n".into()));
    lists.route("/a.txt", Route::Body("192.0.2.1\n".into()));
    lists.route("/moved", Route::Redirect("/a.txt".into()));
    lists.route("/to-other", Route::Redirect(other.url("/a.txt")));
    lists.route(
        "/to-v6",
        Route::Redirect(format!("http://[::1]:{}/a.txt", other.port())),
    );
    lists.route("/to-file", Route::Redirect("file:///etc/passwd".into()));
    lists.route("/loop", Route::Redirect("/loop".into()));
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "");

    let ok = create(&agent, "moved", &lists.url("/moved"), json!({})).await;
    let r = import(&agent, ok).await;
    assert_status(&r, 200);
    assert!(f2b.is_banned(common::JAIL, "192.0.2.1"));

    for (path, needle) in [
        ("/to-other", "loopback"),
        ("/to-v6", "loopback"),
        ("/to-file", "http"),
    ] {
        let id = create(&agent, path, &lists.url(path), json!({})).await;
        let r = import(&agent, id).await;
        assert_error(&r, 400, "invalid_input");
        assert!(
            r.json["detail"].as_str().unwrap().contains(needle),
            "{path}: {}",
            r.text
        );
        let r = agent.get(&format!("/api/v1/blocklists/{id}/preview")).await;
        assert_error(&r, 400, "invalid_input");
    }
    let id = create(&agent, "loop", &lists.url("/loop"), json!({})).await;
    let r = import(&agent, id).await;
    assert_error(&r, 502, "upstream_unreachable");
    assert!(r.text.contains("redirects"), "{}", r.text);
    assert_eq!(
        other.total_hits(),
        0,
        "a redirect reached a non-allowlisted address"
    );
    assert!(!f2b.is_banned(common::JAIL, "192.0.2.66"));
}

#[tokio::test]
async fn failed_downloads_are_502_with_the_reason() {
    let lists = ListServer::start("127.0.0.1");
    // Over the 64 KiB cap set below.
    let huge: String = (0..10_000)
        .map(|i| format!("10.0.{}.{}\n", i / 250, i % 250))
        .collect();
    lists.route("/huge.txt", Route::Body(huge));
    lists.route(
        "/slow.txt",
        Route::Slow(Duration::from_secs(6), "192.0.2.1\n".into()),
    );
    lists.route("/gone.txt", Route::Status(404));
    lists.route("/flaky.txt", Route::Flaky(1, "192.0.2.7\n".into()));
    let (f2b, agent) = common::start(&["127.0.0.1/32"], "max_body_bytes = 65536");
    for (path, needle) in [
        ("/huge.txt", "larger than"),
        ("/slow.txt", "timed out"),
        ("/gone.txt", "404"),
    ] {
        let id = create(&agent, path, &lists.url(path), json!({})).await;
        let r = import(&agent, id).await;
        assert_error(&r, 502, "upstream_unreachable");
        assert!(
            r.json["detail"].as_str().unwrap().contains(needle),
            "{path}: {}",
            r.text
        );
    }
    // 404 is not retried; the slow one is (retries = 1).
    assert_eq!(lists.hits("/gone.txt"), 1);
    assert_eq!(lists.hits("/slow.txt"), 2);
    // A 503 is retried and the second attempt succeeds.
    let id = create(&agent, "flaky", &lists.url("/flaky.txt"), json!({})).await;
    let r = import(&agent, id).await;
    assert_status(&r, 200);
    assert_eq!(lists.hits("/flaky.txt"), 2);
    assert!(f2b.is_banned(common::JAIL, "192.0.2.7"));
    // All failures are in the log.
    let log = agent.get("/api/v1/blocklists/log").await;
    let failed = log.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["status"] == "failed")
        .count();
    assert_eq!(failed, 3);
}
