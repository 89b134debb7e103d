//! `POST /api/v1/config/regex-test`: results per line, the spec's statuses and the bounds.

use bangui_tests::{assert_error, assert_status};
use serde_json::json;

use crate::common::{start, REGEX_TEST};

#[tokio::test]
async fn matches_lines_like_fail2ban() {
    let (_f2b, agent) = start();
    let body = json!({
        "failregex": [
            r"^\s*LOGIN FAILED for user <F-USER>\S+</F-USER> from <HOST>\s*$",
            r"^\s*refused <F-ID/>$"
        ],
        "ignoreregex": r"from 192\.0\.2\.99\b",
        "lines": [
            "Nov 24 19:40:01 LOGIN FAILED for user bob from 192.0.2.9",
            "2026-11-24T19:40:02+01:00 LOGIN FAILED for user eve from 2001:db8::5",
            "Nov 24 19:40:03 LOGIN FAILED for user mallory from 192.0.2.99",
            "2026-11-24 19:40:04Z refused token-17",
            "Nov 24 19:40:05 LOGIN OK for user bob from 192.0.2.9"
        ]
    });
    let r = agent.post_json(REGEX_TEST, &body).await;
    assert_status(&r, 200);
    let lines = r.json["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 5);
    assert_eq!(r.json["total"], 5);
    assert_eq!(r.json["matched"], 3);
    assert_eq!(r.json["ignored"], 1);
    assert_eq!(r.json["missed"], 1);
    assert_eq!(r.json["engines"], json!(["regex", "regex"]));

    assert_eq!(lines[0]["matched"], true);
    assert_eq!(lines[0]["host"], "192.0.2.9");
    assert_eq!(lines[0]["captures"]["user"], "bob");
    assert_eq!(lines[0]["regex_index"], 0);
    assert_eq!(lines[0]["date_text"], "Nov 24 19:40:01");
    assert_eq!(lines[0]["line_number"], 1);

    assert_eq!(lines[1]["host"], "2001:db8::5");
    assert_eq!(lines[1]["date"], "2026-11-24T18:40:02+00:00");

    assert_eq!(lines[2]["matched"], false);
    assert_eq!(lines[2]["ignored"], true);

    assert_eq!(lines[3]["regex_index"], 1);
    assert_eq!(lines[3]["host"], "token-17");
    assert_eq!(lines[3]["date"], "2026-11-24T19:40:04+00:00");

    assert_eq!(lines[4]["matched"], false);
    assert_eq!(lines[4]["ignored"], false);
}

#[tokio::test]
async fn log_excerpt_prefregex_and_datepattern() {
    let (_f2b, agent) = start();
    let body = json!({
        "prefregex": r"^\s*<F-MLFID>app\[\d+\]:</F-MLFID> <F-CONTENT>.+</F-CONTENT>$",
        "failregex": r"^bad password for <F-USER>\S+</F-USER> from <ADDR>$",
        "datepattern": "^%Y-%m-%d %H:%M:%S",
        "log": "2026-01-02 03:04:05 app[7]: bad password for eve from 192.0.2.7\r\n2026-01-02 03:04:06 other[8]: bad password for eve from 192.0.2.7\n"
    });
    let r = agent.post_json(REGEX_TEST, &body).await;
    assert_status(&r, 200);
    let lines = r.json["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 3, "{}", r.text);
    assert_eq!(lines[0]["matched"], true, "{}", r.text);
    assert_eq!(lines[0]["captures"]["mlfid"], "app[7]:");
    assert_eq!(lines[0]["date_text"], "2026-01-02 03:04:05");
    assert_eq!(lines[1]["matched"], false);
    assert_eq!(lines[2]["line"], "");
}

#[tokio::test]
async fn needs_a_session() {
    let (_f2b, agent) = start();
    let r = agent
        .send(
            agent
                .http()
                .post(agent.url(REGEX_TEST))
                .json(&json!({"failregex": "^<HOST>$", "lines": []})),
        )
        .await;
    assert_error(&r, 401, "authentication_required");
}

#[tokio::test]
async fn invalid_patterns_are_422_with_position_and_reason() {
    let (_f2b, agent) = start();
    let r = agent
        .post_json(
            REGEX_TEST,
            &json!({"failregex": ["^ok <HOST>$", "^(unclosed <HOST>"], "lines": ["x"]}),
        )
        .await;
    assert_error(&r, 422, "invalid_regex");
    assert_eq!(r.json["metadata"]["field"], "failregex");
    assert_eq!(r.json["metadata"]["index"], 1);
    // fancy-regex places an unclosed group at the end of the pattern as written.
    assert_eq!(r.json["metadata"]["position"], 17, "{}", r.text);
    assert_eq!(r.json["metadata"]["position_in"], "pattern");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("failregex[1]") && detail.contains("position"),
        "{detail}"
    );

    for (body, field) in [
        (json!({"failregex": "^no failure id$"}), "failregex"),
        (json!({"failregex": "^<HOST> [a-$"}), "failregex"),
        (
            json!({"failregex": "^<HOST>", "ignoreregex": ["(?P<x>a)(?P<x>b)"]}),
            "ignoreregex",
        ),
        (
            json!({"failregex": "^<F-CONTENT>", "prefregex": "^(x"}),
            "prefregex",
        ),
        (
            json!({"failregex": "^<HOST>", "datepattern": "%Q"}),
            "datepattern",
        ),
        (json!({"failregex": ""}), "failregex"),
    ] {
        let r = agent.post_json(REGEX_TEST, &body).await;
        assert_error(&r, 422, "invalid_regex");
        assert_eq!(r.json["metadata"]["field"], field, "{body}: {}", r.text);
    }
    // Not a regex problem: the body itself.
    assert_error(
        &agent
            .post_raw(REGEX_TEST, "{not json", "application/json")
            .await,
        422,
        "invalid_body",
    );
    assert_error(
        &agent
            .post_json(REGEX_TEST, &json!({"failregex": "^<HOST>", "bogus": 1}))
            .await,
        422,
        "invalid_body",
    );
    assert_error(
        &agent.post_json(REGEX_TEST, &json!({"lines": ["x"]})).await,
        422,
        "invalid_body",
    );
}

#[tokio::test]
async fn size_limits() {
    let (_f2b, agent) = start();
    let huge = format!("^<HOST> {}", "a".repeat(17 * 1024));
    let r = agent
        .post_json(REGEX_TEST, &json!({"failregex": huge}))
        .await;
    assert_error(&r, 422, "invalid_body");
    let lines: Vec<String> = (0..10_001).map(|i| format!("line {i}")).collect();
    let r = agent
        .post_json(REGEX_TEST, &json!({"failregex": "^<HOST>", "lines": lines}))
        .await;
    assert_error(&r, 422, "invalid_body");
    assert_eq!(r.json["metadata"]["field"], "lines");
    let r = agent
        .post_json(
            REGEX_TEST,
            &json!({"failregex": "^<HOST>", "lines": ["x".repeat(17 * 1024)]}),
        )
        .await;
    assert_error(&r, 422, "invalid_body");
    let r = agent
        .post_json(
            REGEX_TEST,
            &json!({"failregex": "^<HOST>", "lines": ["a"], "log": "b"}),
        )
        .await;
    assert_error(&r, 422, "invalid_body");
}

/// A pattern built to backtrack forever returns within the bounds: every line is marked, the
/// agent keeps answering.
#[tokio::test]
async fn catastrophic_backtracking_is_bounded() {
    let (_f2b, agent) = start();
    // The backreference needs fancy-regex; `((a+)+)+` then explodes on the non-matching tail.
    let evil = r"^<HOST> (?P<x>a)((a+)+)+(?P=x)?b$";
    let line = format!("192.0.2.1 {}c", "a".repeat(40));
    let lines = vec![line; 3000];
    let r = agent
        .post_json(REGEX_TEST, &json!({"failregex": evil, "lines": lines}))
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["engines"], json!(["fancy-regex"]));
    assert_eq!(
        r.json["timed_out"],
        3000,
        "{}",
        &r.text[..r.text.len().min(500)]
    );
    assert_eq!(r.json["matched"], 0);
    for l in r.json["lines"].as_array().unwrap() {
        assert_eq!(l["timed_out"], true);
        let e = l["error"].as_str().unwrap();
        assert!(
            e.contains("backtracking limit") || e.contains("time budget"),
            "{e}"
        );
    }
    // The same explosive shape without a backreference runs on the linear engine: no limit hit.
    let r = agent
        .post_json(
            REGEX_TEST,
            &json!({"failregex": r"^<HOST> ((a+)+)+b$", "lines": [format!("192.0.2.1 {}c", "a".repeat(40))]}),
        )
        .await;
    assert_status(&r, 200);
    assert_eq!(r.json["engines"], json!(["regex"]));
    assert_eq!(r.json["timed_out"], 0);
    assert_eq!(r.json["missed"], 1);
    // Still serving.
    assert_status(&agent.get("/api/v1/health").await, 200);
}
