//! `POST /api/v1/config/reload` and `POST /api/v1/config/restart` against real servers.

use bangui_tests::{assert_error, assert_status, Agent, AgentConfig, Fail2ban, Response};
use serde_json::json;

use crate::common::{pid_file, poll_until, start, POLL_TIMEOUT};

const RELOAD: &str = "/api/v1/config/reload";
const RESTART: &str = "/api/v1/config/restart";

fn toml_list(args: &[String]) -> String {
    serde_json::to_string(args).unwrap()
}

/// The sandbox's own server command line, daemonised (`-b`) instead of in the foreground.
fn sandbox_start_command(f2b: &Fail2ban) -> Vec<String> {
    let mut argv: Vec<String> = ["fail2ban-server", "-b", "-x", "-c"]
        .map(String::from)
        .to_vec();
    argv.push(f2b.config_dir().display().to_string());
    argv.push("-s".into());
    argv.push(f2b.socket().display().to_string());
    argv.push("-p".into());
    argv.push(pid_file(f2b).display().to_string());
    argv.push("--logtarget".into());
    argv.push(f2b.server_log_path().display().to_string());
    argv.extend(["--loglevel", "INFO"].map(String::from));
    argv
}

fn with_fail2ban_toml(f2b: &Fail2ban, toml: String) -> Agent {
    Agent::start_with(f2b, |c: &mut AgentConfig| c.fail2ban_toml = toml)
}

fn pid_now(f2b: &Fail2ban) -> Option<u32> {
    std::fs::read_to_string(pid_file(f2b))
        .ok()
        .and_then(|p| p.trim().parse().ok())
}

/// Raises the `[DEFAULT]` maxretry of `jail.local` from 3 to 7: a change only a reload applies.
fn raise_default_maxretry(f2b: &Fail2ban) {
    let jail_local = f2b.config_dir().join("jail.local");
    let text = std::fs::read_to_string(&jail_local).unwrap();
    std::fs::write(
        &jail_local,
        text.replace("maxretry = 3\n", "maxretry = 7\n"),
    )
    .unwrap();
}

/// The error `status`/`code`, with a detail that says `why`.
#[track_caller]
fn assert_error_mentions(response: &Response, status: u16, code: &str, why: &str) {
    assert_error(response, status, code);
    let detail = response.json["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(why), "{}", response.text);
}

/// Restart, then check fail2ban is a new process with both jails, and that the agent's pooled
/// connections were replaced: a ban through the agent works.
async fn restart_and_check(f2b: &Fail2ban, agent: &Agent, ip: &str) {
    // Fill the agent's connection pool before the restart.
    for _ in 0..3 {
        assert_status(&agent.get("/api/v1/jails").await, 200);
    }
    let old_pid = pid_now(f2b).expect("the sandbox writes its pid file");
    let r = agent.post(RESTART).await;
    assert_status(&r, 204);
    assert!(r.text.is_empty(), "{}", r.text);
    let ms: u64 = r
        .header("x-fail2ban-restart-ms")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no restart duration header: {:?}", r.headers));
    assert!(ms < 10_000, "{ms}");
    let new_pid = pid_now(f2b).expect("the new server writes its pid file");
    assert_ne!(new_pid, old_pid, "a new fail2ban process runs");

    poll_until("both jails after the restart", POLL_TIMEOUT, || async {
        (f2b.running_jails() == Ok(Fail2ban::builtin_jails())).then_some(())
    })
    .await;
    let r = agent
        .post_json("/api/v1/bans", &json!({"ip": ip, "jail": "sshd"}))
        .await;
    assert_status(&r, 201);
    assert!(f2b.is_banned("sshd", ip));
    let status = agent.get("/api/v1/config/service-status").await;
    assert_status(&status, 200);
    assert_eq!(status.json["pid"], new_pid, "{}", status.text);
}

#[tokio::test]
async fn reload_applies_the_files_and_answers_204() {
    let (f2b, agent) = start();
    raise_default_maxretry(&f2b);
    let r = agent.post(RELOAD).await;
    assert_status(&r, 204);
    assert!(r.text.is_empty());
    assert_eq!(f2b.get_value(&["get", "sshd", "maxretry"]), "7");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
}

#[tokio::test]
async fn reload_of_a_broken_configuration_is_409_and_fail2ban_keeps_the_old_one() {
    let (f2b, agent) = start();
    // A change that would apply, plus a jail that cannot load.
    raise_default_maxretry(&f2b);
    std::fs::write(
        f2b.config_dir().join("jail.d/broken.local"),
        format!(
            "[broken]\nenabled = true\nfilter = no-such-filter\nlogpath = {}\n",
            f2b.log_path("sshd").display()
        ),
    )
    .unwrap();
    let r = agent.post(RELOAD).await;
    assert_error_mentions(&r, 409, "operation_failed", "nothing was reloaded");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert_eq!(
        f2b.get_value(&["get", "sshd", "maxretry"]),
        "3",
        "old config still runs"
    );
}

#[tokio::test]
async fn reload_and_restart_are_502_when_fail2ban_is_down() {
    let (mut f2b, agent) = start();
    f2b.stop();
    assert_error(&agent.post(RELOAD).await, 502, "fail2ban_unreachable");
    assert_error(&agent.post(RESTART).await, 502, "fail2ban_unreachable");
}

#[tokio::test]
async fn restart_with_the_hosts_start_command_brings_fail2ban_back() {
    let f2b = Fail2ban::start();
    let agent = with_fail2ban_toml(
        &f2b,
        format!(
            "start_command = {}\n",
            toml_list(&sandbox_start_command(&f2b))
        ),
    );
    restart_and_check(&f2b, &agent, "192.0.2.71").await;
    // And once more: the agent keeps working across several restarts.
    restart_and_check(&f2b, &agent, "192.0.2.72").await;
    assert!(
        agent.stderr_text().contains("fail2ban restarted"),
        "the agent logs the restart"
    );
}

#[tokio::test]
async fn restart_with_the_default_start_command_uses_fail2ban_client() {
    let f2b = Fail2ban::start();
    let agent = Agent::start(&f2b);
    restart_and_check(&f2b, &agent, "192.0.2.73").await;
}

#[tokio::test]
async fn restart_is_503_when_fail2ban_does_not_come_back() {
    let f2b = Fail2ban::start();
    let agent = with_fail2ban_toml(
        &f2b,
        "start_command = [\"true\"]\nrestart_timeout_secs = 2\n".to_owned(),
    );
    let r = agent.post(RESTART).await;
    assert_error_mentions(&r, 503, "service_unavailable", "did not answer");
    let (code, _) = f2b.client(&["ping"]);
    assert_ne!(code, 0, "fail2ban is really down");
}

#[tokio::test]
async fn a_failing_restart_command_is_409_and_fail2ban_keeps_running() {
    let f2b = Fail2ban::start();
    let agent = with_fail2ban_toml(
        &f2b,
        "restart_command = [\"sh\", \"-c\", \"echo unit fail2ban not found >&2; exit 5\"]\n"
            .to_owned(),
    );
    let r = agent.post(RESTART).await;
    assert_error_mentions(&r, 409, "operation_failed", "unit fail2ban not found");
    assert_eq!(f2b.running_jails(), Ok(Fail2ban::builtin_jails()));
    assert_status(&agent.get("/api/v1/jails").await, 200);
}

#[tokio::test]
async fn a_restart_command_runs_instead_of_stop_and_start() {
    let f2b = Fail2ban::start();
    // What a host's service manager would do: stop the server, then start it again.
    let script = format!(
        "fail2ban-client -s {sock} stop >/dev/null && while [ -e {sock} ]; do sleep 0.05; done && {start}",
        sock = f2b.socket().display(),
        start = sandbox_start_command(&f2b).join(" "),
    );
    let agent = with_fail2ban_toml(
        &f2b,
        format!(
            "restart_command = {}\n",
            toml_list(&["sh".into(), "-c".into(), script])
        ),
    );
    restart_and_check(&f2b, &agent, "192.0.2.74").await;
}
