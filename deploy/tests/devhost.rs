//! End-to-end tests of the real `bangui-devhost` binary running the fixture component
//! (`deploy/testdata/probe-component`, built for wasm32-wasip2 beforehand).

mod support;

use std::sync::atomic::Ordering;
use std::time::Instant;

use serde_json::Value;
use support::{upstream, DevHost, Pki};

fn header<'a>(report: &'a Value, name: &str) -> Option<&'a str> {
    report["headers"][name].as_str()
}

const ROUTES: &str = r#"
spin_manifest_version = 2
[application]
name = "routes"
[[trigger.http]]
route = "/api/..."
component = "probe"
[[trigger.http]]
route = "/api/v1/auth/..."
component = "probe"
[[trigger.http]]
route = "/api/v1/auth/login"
component = "probe"
[[trigger.http]]
route = "/users/:userid/cart/..."
component = "probe"
[[trigger.http]]
route = "/exact"
component = "probe"
[[trigger.http]]
route = { private = true }
component = "probe"
[component.probe]
source = "{wasm}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routing_precedence_spin_headers_and_clean_shutdown() {
    let mut host = DevHost::start(ROUTES, None, &[], &["--workers", "3"]);
    let workers: Vec<String> = host
        .thread_names()
        .into_iter()
        .filter(|n| n.starts_with("worker-"))
        .collect();
    assert_eq!(workers, ["worker-0", "worker-1", "worker-2"]);
    for (path, matched, path_info) in [
        ("/api/x/y", "/api/...", "/x/y"),
        ("/api", "/api/...", ""),
        ("/api/", "/api/...", "/"),
        ("/api/v1/auth/logout", "/api/v1/auth/...", "/logout"),
        ("/api/v1/auth", "/api/v1/auth/...", ""),
        ("/api/v1/auth/login", "/api/v1/auth/login", ""),
        ("/exact", "/exact", ""),
    ] {
        let r = host.probe(path, &[]).await;
        assert_eq!(header(&r, "spin-matched-route"), Some(matched), "{path}");
        assert_eq!(header(&r, "spin-path-info"), Some(path_info), "{path}");
    }
    // Every request gets an instance nobody has used, also when instances are made ahead.
    for _ in 0..5 {
        assert_eq!(host.probe("/exact", &[]).await["calls"], 1);
    }
    for path in ["/exact/more", "/nothing", "/"] {
        assert_eq!(host.get(path, &[]).await.0, 404, "{path}");
    }

    let r = host
        .probe("/users/42/cart/items/3/edit?theme=pink", &[])
        .await;
    let full_url = format!("http://{}/users/42/cart/items/3/edit?theme=pink", host.addr);
    assert_eq!(header(&r, "spin-full-url"), Some(full_url.as_str()));
    assert_eq!(r["uri"].as_str(), Some(full_url.as_str()));
    assert_eq!(header(&r, "spin-path-info"), Some("/items/3/edit"));
    assert_eq!(
        header(&r, "spin-matched-route"),
        Some("/users/:userid/cart/...")
    );
    assert_eq!(
        header(&r, "spin-raw-component-route"),
        Some("/users/:userid/cart/...")
    );
    assert_eq!(
        header(&r, "spin-component-route"),
        Some("/users/:userid/cart")
    );
    assert_eq!(header(&r, "spin-path-match-userid"), Some("42"));
    assert_eq!(header(&r, "spin-base-path"), Some("/"));
    let client = header(&r, "spin-client-addr").unwrap();
    assert!(client.starts_with("127.0.0.1:"), "{client}");
    assert!(r["headers"].get("connection").is_none());

    assert_eq!(
        host.get("/.well-known/spin/health", &[]).await,
        (200, "OK".to_string())
    );
    let (status, info) = host.get("/.well-known/spin/info", &[]).await;
    assert_eq!(status, 200);
    assert_eq!(
        serde_json::from_str::<Value>(&info).unwrap()["name"],
        "routes"
    );

    let status = host.terminate();
    assert!(status.success(), "exit status {status:?}");
    assert_eq!(
        host.stdout_after_ready(),
        "",
        "stdout must hold only the readiness line"
    );
    assert!(host.stderr_text().contains("SIGTERM"));
}

const VARIABLES: &str = r#"
spin_manifest_version = 2
[application]
name = "variables"
[variables]
greeting = { default = "hello" }
region = { default = "eu" }
api_token = { required = true, secret = true }
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{wasm}"
[component.probe.variables]
message = "{{ greeting }}, {{ region }}!"
token = "{{ api_token }}"
literal = "plain"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_templates_env_and_cli_overrides() {
    let secret = "s3cret-value-never-logged";
    let mut host = DevHost::start(
        VARIABLES,
        None,
        &[
            ("SPIN_VARIABLE_API_TOKEN", secret),
            ("SPIN_VARIABLE_REGION", "us"),
            ("SPIN_VARIABLE_GREETING", "from-env"),
            ("RUST_LOG", "debug"),
        ],
        &["--variable", "greeting=from-cli"],
    );
    let r = host
        .probe(
            "/",
            &[("x-probe-vars", "message,token,literal,missing,Bad-Name")],
        )
        .await;
    let vars = &r["vars"];
    assert_eq!(vars["message"]["ok"], "from-cli, us!");
    assert_eq!(vars["token"]["ok"], secret);
    assert_eq!(vars["literal"]["ok"], "plain");
    let missing = vars["missing"]["err"].as_str().unwrap();
    assert!(missing.starts_with("Error::Undefined("), "{missing}");
    let bad = vars["Bad-Name"]["err"].as_str().unwrap();
    assert!(bad.starts_with("Error::InvalidName("), "{bad}");
    host.terminate();
    let log = host.stderr_text();
    assert!(!log.contains(secret), "secret leaked into the log");
    // Only secrets draw the warning: `greeting` came from the command line too.
    assert!(!log.contains("with --variable"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secret_on_the_command_line_is_warned_about_not_logged() {
    let secret = "s3cret-on-the-command-line";
    let mut host = DevHost::start(
        VARIABLES,
        None,
        &[],
        &["--variable", &format!("api_token={secret}")],
    );
    let r = host.probe("/", &[("x-probe-vars", "token")]).await;
    assert_eq!(r["vars"]["token"]["ok"], secret);
    host.terminate();
    let log = host.stderr_text();
    assert!(
        log.contains("secret variable api_token was given with --variable")
            && log.contains("set SPIN_VARIABLE_API_TOKEN in the environment instead"),
        "{log}"
    );
    assert!(!log.contains(secret), "secret leaked into the log: {log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn variables_from_files_stay_off_the_command_line() {
    let files = tempfile::tempdir().unwrap();
    let secret = "s3cret-in-a-file";
    let key = files.path().join("api.key");
    std::fs::write(&key, format!("{secret}\n")).unwrap();
    let json = files.path().join("vars.json");
    std::fs::write(&json, r#"{"greeting": "from-json", "region": "eu"}"#).unwrap();
    let toml = files.path().join("vars.toml");
    std::fs::write(&toml, "region = \"us\"\n").unwrap();
    let args = [
        format!("--variable=api_token=@{}", key.display()),
        format!("--variable=@{}", json.display()),
        format!("--variable=@{}", toml.display()),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut host = DevHost::start(VARIABLES, None, &[], &args);
    let r = host.probe("/", &[("x-probe-vars", "message,token")]).await;
    // As Spin 3.5 reads them: the file's whole text, and the last file wins for `region`.
    assert_eq!(r["vars"]["token"]["ok"], format!("{secret}\n"));
    assert_eq!(r["vars"]["message"]["ok"], "from-json, us!");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", host.pid())).unwrap();
    assert!(
        !String::from_utf8_lossy(&cmdline).contains(secret),
        "the secret is on the command line"
    );
    host.terminate();
    let log = host.stderr_text();
    assert!(!log.contains(secret), "secret leaked into the log: {log}");
    assert!(!log.contains("with --variable"), "{log}");
}

#[test]
fn an_unreadable_variable_file_fails_start_up_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    support::write_manifest(dir.path(), VARIABLES);
    for (arg, expect) in [
        ("api_token=@no-such.key", "no-such.key"),
        ("@vars.yaml", "must end in .json or .toml"),
        ("api_token", "expected NAME=VALUE"),
    ] {
        let err = support::refused_start(dir.path(), &["--variable", arg]);
        assert!(err.contains(expect), "{arg}: {err}");
    }
}

#[test]
fn missing_required_variable_fails_start_up() {
    let dir = tempfile::tempdir().unwrap();
    support::write_manifest(dir.path(), VARIABLES);
    let err = support::refused_start(dir.path(), &[]);
    assert!(err.contains("api_token"), "{err}");
}

/// Two components; `edge` has a `[[client_tls]]` entry, `other` does not.
fn outbound_manifest(plain: u16, tls: u16) -> String {
    format!(
        r#"
spin_manifest_version = 2
[application]
name = "outbound"
[variables]
agent_host = {{ default = "localhost:{tls}" }}
[[trigger.http]]
route = "/edge/..."
component = "edge"
[[trigger.http]]
route = "/other/..."
component = "other"
[component.edge]
source = "{{wasm}}"
allowed_outbound_hosts = ["http://127.0.0.1:{plain}", "https://{{{{ agent_host }}}}"]
[component.other]
source = "{{wasm}}"
allowed_outbound_hosts = ["https://localhost:{tls}"]
"#
    )
}

const RUNTIME_CONFIG: &str = r#"
[[client_tls]]
component_ids = ["edge"]
hosts = ["localhost"]
ca_roots_file = "ca.pem"
client_cert_file = "edge.pem"
client_private_key_file = "edge-key.pem"

[[client_tls]]
component_ids = ["other"]
hosts = ["localhost"]
ca_roots_file = "ca.pem"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outbound_allowed_hosts_mtls_pooling_and_concurrency() {
    let pki = Pki::new();
    let (plain_addr, plain) = upstream(None).await;
    let (tls_addr, tls) = upstream(Some(&pki)).await;
    let manifest = outbound_manifest(plain_addr.port(), tls_addr.port());
    // The runtime config names files relative to itself: write them next to it first.
    let certs = tempfile::tempdir().unwrap();
    pki.write_client_files(certs.path());
    let rc = RUNTIME_CONFIG
        .replace("\"ca.pem\"", &format!("{:?}", certs.path().join("ca.pem")))
        .replace(
            "\"edge.pem\"",
            &format!("{:?}", certs.path().join("edge.pem")),
        )
        .replace(
            "\"edge-key.pem\"",
            &format!("{:?}", certs.path().join("edge-key.pem")),
        );
    let host = DevHost::start(&manifest, Some(&rc), &[], &["--workers", "2"]);

    // Allowed plain HTTP.
    let url = format!("http://127.0.0.1:{}/hi", plain_addr.port());
    let r = host.probe("/edge/x", &[("x-probe-fetch", &url)]).await;
    assert_eq!(r["fetch"][0]["status"], 200, "{r}");
    assert_eq!(plain.accepts.load(Ordering::SeqCst), 1);

    // Refused: a host, a port and a scheme that are not listed. Nothing reaches the server.
    for url in [
        format!("http://localhost:{}/hi", plain_addr.port()),
        format!("http://127.0.0.1:{}/hi", plain_addr.port() + 1),
        format!("https://127.0.0.1:{}/hi", plain_addr.port()),
    ] {
        let r = host.probe("/edge/x", &[("x-probe-fetch", &url)]).await;
        assert_eq!(
            r["fetch"][0]["err"], "Http(ErrorCode::HttpRequestDenied)",
            "{url}: {r}"
        );
    }
    let r = host
        .probe(
            "/other/x",
            &[(
                "x-probe-fetch",
                &format!("http://127.0.0.1:{}/", plain_addr.port()),
            )],
        )
        .await;
    assert_eq!(r["fetch"][0]["err"], "Http(ErrorCode::HttpRequestDenied)");
    assert_eq!(plain.accepts.load(Ordering::SeqCst), 1);

    // mTLS with the [[client_tls]] identity, allowed through a templated host. Each probe
    // comes on a new client connection, handed to the two workers in turn; each worker
    // opens one connection to the upstream and reuses it.
    let url = format!("https://localhost:{}/hello", tls_addr.port());
    for i in 1..=6 {
        let r = host.probe("/edge/x", &[("x-probe-fetch", &url)]).await;
        assert_eq!(r["fetch"][0]["status"], 200, "{r}");
        assert_eq!(r["fetch"][0]["body"], format!("hello {i} cert=yes"));
    }
    assert_eq!(
        tls.accepts.load(Ordering::SeqCst),
        2,
        "connections were not pooled per worker"
    );

    // Two joined sends are in flight at the same time.
    let slow = format!("https://localhost:{}/slow", tls_addr.port());
    let started = Instant::now();
    let r = host
        .probe("/edge/x", &[("x-probe-fetch", &format!("{slow} {slow}"))])
        .await;
    let elapsed = started.elapsed();
    assert_eq!(r["fetch"][0]["status"], 200, "{r}");
    assert_eq!(r["fetch"][1]["status"], 200, "{r}");
    assert_eq!(tls.max_in_flight.load(Ordering::SeqCst), 2);
    assert!(
        elapsed.as_millis() < 790,
        "sends ran one after the other: {elapsed:?}"
    );

    // A component without a client certificate is refused by the server.
    let before = tls.handshake_failures.load(Ordering::SeqCst);
    let r = host.probe("/other/x", &[("x-probe-fetch", &url)]).await;
    assert!(r["fetch"][0]["err"].is_string(), "{r}");
    assert!(tls.handshake_failures.load(Ordering::SeqCst) > before);
}

#[test]
fn unsupported_manifest_features_fail_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = ROUTES.replace(
        "[component.probe]",
        "[component.probe]\nkey_value_stores = [\"default\"]",
    );
    support::write_manifest(dir.path(), &manifest);
    let err = support::refused_start(dir.path(), &[]);
    assert!(err.contains("key_value_stores is not supported"), "{err}");
}

const FILES: &str = r#"
spin_manifest_version = 2
[application]
name = "files"
[[trigger.http]]
route = "/..."
component = "probe"
[component.probe]
source = "{wasm}"
files = [
    { source = "web/dist", destination = "/" },
    { source = "data", destination = "/srv/data" },
    { source = "not-built", destination = "/later" },
]
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_are_mounted_read_only_and_missing_sources_are_skipped() {
    let mut host = DevHost::start_with_files(
        FILES,
        &[
            ("web/dist/index.html", "<!doctype html>"),
            ("web/dist/assets/app.js", "run()"),
            ("data/list.txt", "192.0.2.1\n"),
            ("secret.txt", "outside the mounts"),
        ],
    );
    let r = host
        .probe(
            "/",
            &[(
                "x-probe-read",
                "/index.html /assets/app.js /srv/data/list.txt /../secret.txt /later/x",
            )],
        )
        .await;
    let files = &r["files"];
    assert_eq!(files["/index.html"]["ok"], "<!doctype html>");
    assert_eq!(files["/assets/app.js"]["ok"], "run()");
    assert_eq!(files["/srv/data/list.txt"]["ok"], "192.0.2.1\n");
    // `..` cannot leave a mount: the root's parent is the root.
    assert!(files["/../secret.txt"]["err"].is_string(), "{files}");
    assert!(files["/later/x"]["err"].is_string(), "{files}");
    assert!(
        host.stderr_text().contains("not-built"),
        "a skipped mount is logged"
    );

    for path in ["/index.html", "/new.txt", "/srv/data/new.txt"] {
        let r = host.probe("/", &[("x-probe-write", path)]).await;
        assert!(
            r["write"]["err"].is_string(),
            "{path} must be read-only: {r}"
        );
    }
    assert!(!host.dir.path().join("web/dist/new.txt").exists());
}

#[test]
fn escaping_file_sources_refuse_to_start() {
    for (source, message) in [
        ("../outside", "inside the app directory"),
        ("link", "outside the app directory"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("link")).unwrap();
        support::write_manifest(dir.path(), &FILES.replace("web/dist", source));
        let stderr = support::refused_start(dir.path(), &[]);
        assert!(stderr.contains(message), "{source}: {stderr}");
    }
}
