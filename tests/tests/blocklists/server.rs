//! A small HTTP/1.1 list server on a loopback address, one thread per connection: routes
//! answer a body, a status, a redirect, a body after a delay or once the test opens a gate,
//! or fail a few times first.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

#[derive(Debug, Clone)]
pub enum Route {
    Body(String),
    Status(u16),
    Redirect(String),
    /// Headers at once, then the body after the delay.
    Slow(Duration, String),
    /// 503 for the first `n` requests, then the body.
    Flaky(u32, String),
    /// Headers at once, the body once the test opens the gate: keeps a fetch in flight for
    /// exactly as long as the test needs, however fast or slow the machine.
    Gated(Gate, String),
}

/// Closed until [`Gate::open`]; then every waiting and later request gets its body.
#[derive(Debug, Clone, Default)]
pub struct Gate(Arc<(Mutex<bool>, Condvar)>);

impl Gate {
    pub fn open(&self) {
        let (open, changed) = &*self.0;
        *open.lock().unwrap() = true;
        changed.notify_all();
    }

    fn wait(&self) {
        let (open, changed) = &*self.0;
        let guard = open.lock().unwrap();
        drop(changed.wait_while(guard, |open| !*open).unwrap());
    }
}

#[derive(Debug, Default)]
struct Shared {
    routes: Mutex<HashMap<String, Route>>,
    hits: Mutex<HashMap<String, u32>>,
}

/// Serves until the process ends (the listener thread is detached).
#[derive(Debug, Clone)]
pub struct ListServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl ListServer {
    /// Binds `ip:0` (e.g. `127.0.0.1`, `127.0.0.2`).
    pub fn start(ip: &str) -> ListServer {
        let listener = TcpListener::bind((ip, 0)).expect("bind the list server");
        let addr = listener.local_addr().unwrap();
        let shared = Arc::new(Shared::default());
        let s = shared.clone();
        thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let s = s.clone();
                thread::spawn(move || serve(stream, &s));
            }
        });
        ListServer { addr, shared }
    }

    pub fn route(&self, path: &str, route: Route) {
        self.shared
            .routes
            .lock()
            .unwrap()
            .insert(path.to_owned(), route);
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Requests received for `path`.
    pub fn hits(&self, path: &str) -> u32 {
        self.shared
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received for any path.
    pub fn total_hits(&self) -> u32 {
        self.shared.hits.lock().unwrap().values().sum()
    }
}

fn serve(stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut first = String::new();
    if reader.read_line(&mut first).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            Ok(_) if line == "\r\n" || line == "\n" => break,
            Ok(_) => {}
        }
    }
    let path = first.split_whitespace().nth(1).unwrap_or("/").to_owned();
    let hit = {
        let mut hits = shared.hits.lock().unwrap();
        let n = hits.entry(path.clone()).or_default();
        *n += 1;
        *n
    };
    let route = shared.routes.lock().unwrap().get(&path).cloned();
    let out = &stream;
    let respond = |mut out: &TcpStream, status: &str, headers: &str, body: &str| {
        let _ = write!(out, "{}{body}", head(status, headers, body.len()));
        let _ = out.flush();
    };
    match route {
        None => respond(out, "404 Not Found", "", "not found\n"),
        Some(Route::Body(body)) => respond(out, "200 OK", "Content-Type: text/plain\r\n", &body),
        Some(Route::Status(code)) => respond(out, &format!("{code} Status"), "", "status\n"),
        Some(Route::Redirect(to)) => respond(out, "302 Found", &format!("Location: {to}\r\n"), ""),
        Some(Route::Flaky(n, _)) if hit <= n => {
            respond(out, "503 Service Unavailable", "", "later\n")
        }
        Some(Route::Flaky(_, body)) => respond(out, "200 OK", "", &body),
        Some(Route::Slow(delay, body)) => body_after(out, &body, || thread::sleep(delay)),
        Some(Route::Gated(gate, body)) => body_after(out, &body, || gate.wait()),
    }
}

/// The status line and headers of a response with a `len`-byte body; `headers` are extra
/// lines, each ending in CRLF.
fn head(status: &str, headers: &str, len: usize) -> String {
    format!("HTTP/1.1 {status}\r\nContent-Length: {len}\r\nConnection: close\r\n{headers}\r\n")
}

/// Sends the headers, then the body once `wait` returns.
fn body_after(mut out: &TcpStream, body: &str, wait: impl FnOnce()) {
    let _ = out.write_all(head("200 OK", "", body.len()).as_bytes());
    let _ = out.flush();
    wait();
    let _ = out.write_all(body.as_bytes());
}
