//! `POST /api/v1/config/preview-log`: the tail of an allowed log file with the lines a regex
//! matches, and every way out of the allowlist refused with a 400 before anything is read.

use std::fs;
use std::os::unix::fs::symlink;
use std::process::Command;

use bangui_tests::{assert_error, assert_status, Fail2ban};
use serde_json::json;

use crate::common::{start, start_with, PREVIEW_LOG};

#[tokio::test]
async fn tail_with_highlighted_matches() {
    let (f2b, agent) = start();
    let log = f2b.log_dir().join("app.log");
    let text: String = (0..300)
        .map(|i| {
            if i % 3 == 0 {
                format!(
                    "Nov 24 19:40:01 LOGIN FAILED for user u{i} from 192.0.2.{}\n",
                    i % 250
                )
            } else {
                format!("Nov 24 19:40:01 all good {i}\n")
            }
        })
        .collect();
    fs::write(&log, text).unwrap();

    let r = agent
        .post_json(PREVIEW_LOG, &json!({"path": log, "lines": 6, "failregex": r"LOGIN FAILED for user \S+ from <HOST>"}))
        .await;
    assert_status(&r, 200);
    let lines = r.json["lines"].as_array().unwrap();
    assert_eq!(lines.len(), 6);
    assert_eq!(r.json["total_lines"], 6);
    assert_eq!(r.json["matched_count"], 2);
    assert_eq!(r.json["truncated"], true);
    assert_eq!(
        r.json["path"],
        log.canonicalize().unwrap().to_string_lossy().as_ref()
    );
    assert_eq!(lines[5]["line"], "Nov 24 19:40:01 all good 299");
    let hit = &lines[3];
    assert_eq!(hit["matched"], true, "{}", r.text);
    let text = hit["line"].as_str().unwrap();
    let span = hit["spans"][0].as_array().unwrap();
    let (s, e) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "LOGIN FAILED for user u297 from 192.0.2.47");
    assert_eq!(lines[4]["matched"], false);
    assert_eq!(lines[4]["spans"], json!([]));

    // Default line count, `pattern` alias, no regex at all.
    let r = agent.post_json(PREVIEW_LOG, &json!({"path": log})).await;
    assert_status(&r, 200);
    assert_eq!(r.json["total_lines"], 200);
    assert_eq!(r.json["matched_count"], 0);
    let r = agent
        .post_json(
            PREVIEW_LOG,
            &json!({"path": log, "pattern": "all good 29[0-9]$"}),
        )
        .await;
    assert_status(&r, 200);
    // 290..=299 without the failures at 291, 294 and 297.
    assert_eq!(r.json["matched_count"], 7);

    // Bad regex: 422; bad line counts: 400.
    let r = agent
        .post_json(PREVIEW_LOG, &json!({"path": log, "pattern": "(oops"}))
        .await;
    assert_error(&r, 422, "invalid_regex");
    for n in [0, 5001] {
        let r = agent
            .post_json(PREVIEW_LOG, &json!({"path": log, "lines": n}))
            .await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["field"], "lines");
    }
    let r = agent
        .send(
            agent
                .http()
                .post(agent.url(PREVIEW_LOG))
                .json(&json!({"path": log})),
        )
        .await;
    assert_error(&r, 401, "authentication_required");
}

#[tokio::test]
async fn reads_only_the_tail_of_a_large_file() {
    let (f2b, agent) = start();
    let log = f2b.log_dir().join("big.log");
    // 3 MiB of lines, the last one marked: only the last MiB is read.
    let line = format!("{}\n", "x".repeat(1023));
    let mut text = line.repeat(3 * 1024);
    text.push_str("the end\n");
    fs::write(&log, text).unwrap();
    let r = agent
        .post_json(PREVIEW_LOG, &json!({"path": log, "lines": 5000}))
        .await;
    assert_status(&r, 200);
    let lines = r.json["lines"].as_array().unwrap();
    assert!(lines.len() <= 1024, "{}", lines.len());
    assert_eq!(lines.last().unwrap()["line"], "the end");
    assert_eq!(r.json["truncated"], true);
}

#[tokio::test]
async fn a_file_a_jail_reads_is_allowed_outside_the_log_dirs() {
    let f2b = Fail2ban::builder()
        .jail_local_extra(
            "[webapp]\nenabled = true\nfilter = f2btest\nlogpath = @DIR@/app/web.log\n",
        )
        .start();
    let agent = start_with(&f2b);
    let web = f2b.dir().join("app/web.log");
    fs::write(
        &web,
        "Nov 24 19:40:01 LOGIN FAILED for user x from 192.0.2.1\n",
    )
    .unwrap();
    let sibling = f2b.dir().join("app/other.log");
    fs::write(&sibling, "secret\n").unwrap();
    let r = agent.post_json(PREVIEW_LOG, &json!({"path": web})).await;
    assert_status(&r, 200);
    assert_eq!(r.json["total_lines"], 1);
    let r = agent
        .post_json(PREVIEW_LOG, &json!({"path": sibling}))
        .await;
    assert_error(&r, 400, "invalid_input");
    assert!(!r.text.contains("secret"));
    // The same file through `..` still resolves to the jail's file.
    let dotted = f2b.dir().join("app/../app/web.log");
    assert_status(
        &agent.post_json(PREVIEW_LOG, &json!({"path": dotted})).await,
        200,
    );
}

#[tokio::test]
async fn every_way_out_is_refused() {
    let (f2b, agent) = start();
    let logs = f2b.log_dir();
    let outside = tempfile::tempdir().unwrap();
    let secret = outside.path().join("shadow");
    fs::write(&secret, "root:SECRET-HASH:19000:0:99999:7:::\n").unwrap();
    symlink(&secret, logs.join("to-secret.log")).unwrap();
    symlink("/etc/shadow", logs.join("to-shadow.log")).unwrap();
    symlink("/dev/zero", logs.join("zero.log")).unwrap();
    symlink(outside.path(), logs.join("outdir")).unwrap();
    let fifo = logs.join("pipe.log");
    let st = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(st.success());
    fs::create_dir(logs.join("subdir")).unwrap();

    let l = logs.display().to_string();
    let cases = [
        format!("{l}/../../../../../../etc/passwd"),
        format!("{l}/../etc/fail2ban.conf"),
        format!("{l}/to-secret.log"),
        format!("{l}/to-shadow.log"),
        format!("{l}/outdir/shadow"),
        format!("{l}/zero.log"),
        format!("{l}/pipe.log"),
        format!("{l}/subdir"),
        l.clone(),
        format!("{l}/missing.log"),
        format!("{l}/app.log\0/etc/passwd"),
        "/etc/shadow".to_owned(),
        "/etc/passwd".to_owned(),
        "/dev/zero".to_owned(),
        "/proc/self/environ".to_owned(),
        secret.display().to_string(),
        "relative/app.log".to_owned(),
        String::new(),
    ];
    for path in &cases {
        let r = agent.post_json(PREVIEW_LOG, &json!({"path": path})).await;
        assert_error(&r, 400, "invalid_input");
        assert_eq!(r.json["metadata"]["field"], "path", "{path}: {}", r.text);
        assert!(
            !r.text.contains("SECRET-HASH") && !r.text.contains("root:"),
            "{path}: {}",
            r.text
        );
    }
    let r = agent
        .post_json(PREVIEW_LOG, &json!({"path": format!("{l}/missing.log")}))
        .await;
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains("does not exist"),
        "{}",
        r.text
    );
    // A regular file in the allowed directory still works afterwards.
    fs::write(logs.join("ok.log"), "fine\n").unwrap();
    let r = agent
        .post_json(PREVIEW_LOG, &json!({"path": logs.join("ok.log")}))
        .await;
    assert_status(&r, 200);
}
