//! What the dashboard tests need around the fleet: the built UI (or a clear failure), archived
//! bans, and a blocklist server on loopback.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use bangui_agent::history::seed::{Ban, Fail2banDb};
use bangui_tests::fleet::ui_dist_dir;

/// `functions/ui/web`.
pub fn web_dir() -> PathBuf {
    ui_dist_dir()
        .parent()
        .expect("dist has a parent")
        .to_owned()
}

/// The workspace root.
pub fn workspace() -> PathBuf {
    web_dir()
        .ancestors()
        .nth(3)
        .expect("functions/ui/web is three levels down")
        .to_owned()
}

/// The build output, or a failure that says how to make it.
#[track_caller]
pub fn require_build() -> PathBuf {
    let dist = ui_dist_dir();
    assert!(
        dist.join("index.html").is_file(),
        "the web dashboard is not built: {} has no index.html. Run `npm ci && npm run build` in \
         functions/ui/web (bash deploy/test.sh does it)",
        dist.display()
    );
    dist
}

/// Everything the browser test needs besides the build: the installed packages, the script,
/// Node.js and Chromium.
#[track_caller]
pub fn require_browser_tooling() -> PathBuf {
    let web = web_dir();
    assert!(
        web.join("node_modules").is_dir(),
        "{}/node_modules is missing: run `npm ci` in functions/ui/web (bash deploy/test.sh does it)",
        web.display()
    );
    let script = web.join("e2e/run.mjs");
    assert!(
        script.is_file(),
        "the dashboard's browser script {} is missing",
        script.display()
    );
    assert!(
        Path::new("/usr/bin/chromium").is_file(),
        "/usr/bin/chromium is missing: install it (`apt-get install chromium`; deploy/prepare.sh does it)"
    );
    let node = std::process::Command::new("node").arg("--version").output();
    assert!(
        node.as_ref().is_ok_and(|o| o.status.success()),
        "node is not runnable ({node:?}): install Node.js (deploy/prepare.sh does it)"
    );
    script
}

/// The first `.js` file under `dist/assets`, as `(path relative to dist, bytes)`.
pub fn some_script(dist: &Path) -> (String, Vec<u8>) {
    let mut names: Vec<String> = std::fs::read_dir(dist.join("assets"))
        .expect("dist/assets")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".js"))
        .collect();
    names.sort();
    let name = names.first().expect("a script in dist/assets");
    let rel = format!("assets/{name}");
    let bytes = std::fs::read(dist.join(&rel)).expect("read the script");
    (rel, bytes)
}

/// Address `i` of the seeded archive: mostly public IPv4 spread over many networks (so the map
/// and the country filters have something to show), every 10th an IPv6 documentation address.
fn seeded_address(i: u32) -> String {
    if i % 10 == 9 {
        format!("2001:db8:{:x}::{:x}", i >> 8, i & 0xff)
    } else {
        let x = i.wrapping_mul(2_654_435_761);
        // 1.0.0.0 – 223.255.255.255 without 10/8 and 127/8.
        let a = match 1 + (x >> 24) % 223 {
            10 | 127 => 11,
            a => a,
        };
        format!("{a}.{}.{}.{}", (x >> 16) & 0xff, (x >> 8) & 0xff, x & 0xff)
    }
}

/// Writes `n` bans of the last 30 days into fail2ban's own database (the file the agent
/// archives from), spread over the sandbox's jails. The agent copies them at its next sync
/// (a request needing fresh data starts one).
pub fn seed_bans(db: &Path, n: u32, now: i64) {
    let span = 30 * 86_400;
    let bans: Vec<Ban> = (0..n)
        .map(|i| {
            let ip = seeded_address(i % 2_500);
            let jail = if i % 3 == 0 { "f2btest" } else { "sshd" };
            let timeofban = now - i64::from(i.wrapping_mul(7_919)) % span;
            Ban {
                jail: jail.to_owned(),
                ip: ip.clone(),
                timeofban,
                bantime: 600,
                bancount: 1 + i64::from(i % 4),
                data: Some(format!(
                    r#"{{"matches": ["sshd[1]: Failed password for root from {ip}"], "failures": 3}}"#
                )),
            }
        })
        .collect();
    let db = Fail2banDb::create(db);
    db.insert(&bans).expect("seed fail2ban's database");
}

/// A plain-text IP list served over HTTP on 127.0.0.1, for a blocklist source.
pub struct ListServer {
    pub url: String,
    stop: Arc<AtomicBool>,
    addr: std::net::SocketAddr,
    thread: Option<JoinHandle<()>>,
}

impl ListServer {
    pub fn start(body: String) -> ListServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the list server");
        let addr = listener.local_addr().expect("list server address");
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::Relaxed) {
                    break;
                }
                if let Ok(stream) = stream {
                    answer(stream, &body);
                }
            }
        });
        ListServer {
            url: format!("http://{addr}/blocklist.txt"),
            stop,
            addr,
            thread: Some(thread),
        }
    }
}

fn answer(mut stream: TcpStream, body: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut request = Vec::new();
    let mut buf = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&buf[..n]),
        }
    }
    let head = request.starts_with(b"HEAD ");
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        if head { "" } else { body }
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

impl Drop for ListServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
