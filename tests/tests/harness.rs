//! Self-tests of the harness: real `fail2ban-server`s, no agent; and a benchmark binary stopped
//! by a signal.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use bangui_agent::fail2ban::service::process_alive;
use bangui_tests::Fail2ban;

const BAN_TIMEOUT: Duration = Duration::from_secs(15);

#[test]
fn starts_the_enabled_jails_and_keeps_dormant_configured_but_stopped() {
    let f2b = Fail2ban::start();
    let (code, status) = f2b.client(&["status"]);
    assert_eq!(code, 0, "{status}");
    assert!(status.contains("Number of jail:\t2"), "{status}");
    assert!(status.contains("f2btest, sshd"), "{status}");
    let (code, _) = f2b.client(&["status", "dormant"]);
    assert_eq!(code, 255, "dormant must not run");
    let jail_local = std::fs::read_to_string(f2b.config_dir().join("jail.local")).unwrap();
    assert!(
        jail_local.contains("[dormant]\nenabled = false\n"),
        "{jail_local}"
    );
    assert!(f2b.log_path("dormant").is_file());
    assert!(f2b.socket().starts_with(f2b.dir()));
    assert!(f2b.socket().as_os_str().len() <= 107);
    assert!(
        f2b.db_path().is_file(),
        "{} missing",
        f2b.db_path().display()
    );
}

#[test]
fn two_sandboxes_are_independent() {
    let one = Fail2ban::start();
    let two = Fail2ban::start();
    assert_ne!(one.dir(), two.dir());
    assert_ne!(one.socket(), two.socket());

    let (code, out) = one.client(&["set", "f2btest", "banip", "192.0.2.1"]);
    assert_eq!(code, 0, "{out}");
    assert!(one.is_banned("f2btest", "192.0.2.1"));
    assert_eq!(one.banned("f2btest"), ["192.0.2.1"]);
    assert!(!two.is_banned("f2btest", "192.0.2.1"));
    assert!(two.banned("f2btest").is_empty());
}

#[test]
fn failure_lines_lead_to_bans_for_ipv4_and_ipv6() {
    let f2b = Fail2ban::start();
    f2b.fail("sshd", "192.0.2.10", 3);
    f2b.fail("sshd", "2001:db8::10", 3);
    f2b.fail("f2btest", "198.51.100.7", 2);
    f2b.fail("f2btest", "2001:db8:1::7", 2);
    for (jail, ip) in [
        ("sshd", "192.0.2.10"),
        ("sshd", "2001:db8::10"),
        ("f2btest", "198.51.100.7"),
        ("f2btest", "2001:db8:1::7"),
    ] {
        f2b.wait_banned(jail, ip, BAN_TIMEOUT);
    }
    // One failure below maxretry bans nobody.
    f2b.fail("sshd", "203.0.113.9", 1);
    std::thread::sleep(Duration::from_millis(1500));
    assert!(!f2b.is_banned("sshd", "203.0.113.9"));
}

#[test]
fn kill_leaves_the_socket_and_restart_restores_bans() {
    let mut f2b = Fail2ban::start();
    let first_pid = f2b.pid().expect("running");
    let (code, out) = f2b.client(&["set", "f2btest", "banip", "203.0.113.5"]);
    assert_eq!(code, 0, "{out}");

    f2b.kill();
    assert_eq!(f2b.pid(), None);
    assert!(
        f2b.socket().exists(),
        "a crash leaves the socket file behind"
    );
    let (code, _) = f2b.client(&["ping"]);
    assert_ne!(code, 0, "nothing answers on a dead socket");

    f2b.restart();
    assert_ne!(f2b.pid(), Some(first_pid));
    let (code, out) = f2b.client(&["ping"]);
    assert_eq!((code, out.trim()), (0, "Server replied: pong"));
    // Bans come back from the database, but not synchronously: the jail queues each restored
    // ticket for its actions thread, which may ban it after the server already answers.
    f2b.wait_banned("f2btest", "203.0.113.5", BAN_TIMEOUT);

    let status = f2b.stop().expect("exit status");
    assert!(status.success(), "SIGTERM is a clean shutdown: {status}");
    assert!(
        !f2b.socket().exists(),
        "a clean shutdown removes the socket"
    );
    f2b.restart();
    f2b.fail("f2btest", "198.51.100.99", 2);
    f2b.wait_banned("f2btest", "198.51.100.99", BAN_TIMEOUT);
}

#[test]
fn extra_jails_can_be_added() {
    let f2b = Fail2ban::builder()
        .jail_local_extra(
            "[web]\nenabled = true\nfilter = f2btest\nlogpath = @DIR@/log/web.log\nmaxretry = 1\n",
        )
        .start();
    assert_eq!(f2b.log_path("web"), f2b.dir().join("log/web.log"));
    let (code, status) = f2b.client(&["status", "web"]);
    assert_eq!(code, 0, "{status}");
    f2b.fail("web", "192.0.2.77", 1);
    f2b.wait_banned("web", "192.0.2.77", BAN_TIMEOUT);
}

#[test]
fn drop_stops_the_server_and_removes_the_dir() {
    let f2b = Fail2ban::start();
    let dir = f2b.dir().to_owned();
    let pid = f2b.pid().unwrap();
    drop(f2b);
    assert!(!dir.exists(), "{} still exists", dir.display());
    assert!(!process_alive(pid), "pid {pid} still runs");
}

/// The processes whose parent is `pid`, with their command names (from `/proc`).
fn children_of(pid: u32) -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|child| {
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).ok()?;
            // pid (comm) state ppid ...: the name may hold spaces, so split after its ')'.
            let (head, rest) = stat.rsplit_once(')')?;
            let name = head.split_once('(')?.1.to_owned();
            let ppid: u32 = rest.split_whitespace().nth(1)?.parse().ok()?;
            (ppid == pid).then_some((child, name))
        })
        .collect()
}

#[test]
fn a_benchmark_stopped_by_sigterm_stops_its_fail2ban_and_agent() {
    let mut bench = Command::new(env!("CARGO_BIN_EXE_bangui-bench"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start bangui-bench");
    let pid = bench.id();
    let deadline = Instant::now() + Duration::from_secs(60);
    let started = loop {
        let children = children_of(pid);
        let running = |name: &str| children.iter().any(|(_, n)| n == name);
        if running("fail2ban-server") && running("bangui-agent") {
            break children;
        }
        if !matches!(bench.try_wait(), Ok(None)) {
            let out = bench.wait_with_output().expect("bangui-bench output");
            panic!(
                "bangui-bench ended before it started its processes: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        assert!(
            Instant::now() < deadline,
            "no fail2ban-server and agent in 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    };

    let pid = rustix::process::Pid::from_child(&bench);
    rustix::process::kill_process(pid, rustix::process::Signal::TERM).expect("SIGTERM");
    let status = bench.wait_with_output().expect("wait for bangui-bench");
    let stderr = String::from_utf8_lossy(&status.stderr);
    let survivors: Vec<(u32, String)> = started
        .into_iter()
        .filter(|(child, _)| process_alive(*child))
        .collect();
    for (child, _) in &survivors {
        // Not left to run on into the next tests when this one fails.
        if let Some(pid) = rustix::process::Pid::from_raw(*child as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
    assert!(
        survivors.is_empty(),
        "still running after the benchmark ended: {survivors:?}; {stderr}"
    );
    assert_eq!(status.status.code(), Some(143), "exit status: {stderr}");
    assert!(stderr.contains("SIGTERM: stopped"), "{stderr}");
}
