//! Worker threads. Each runs a single-threaded tokio runtime and serves the connections handed
//! to it, so everything one request needs — its connection, the component instance, the
//! outbound connection to the agent (each worker has its own pool, see [`crate::outbound`]) —
//! runs on one thread. With a work-stealing runtime those tasks hopped between threads several
//! times per request, waking a sleeping CPU each time. Measured with `bangui-bench-edge --pair
//! /api/v1/bans/active` on 2 cores, three runs each: 1.58–1.64 ms of dev host CPU per request
//! and +1.52–1.58 ms over agent-only with the work-stealing runtime, 0.73–1.03 ms and
//! +0.97–1.31 ms with these workers.

use std::cell::Cell;
use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpStream;
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use crate::server::App;

/// How long a stopping worker waits for its open connections.
const DRAIN: Duration = Duration::from_secs(5);

thread_local! {
    static INDEX: Cell<usize> = const { Cell::new(0) };
}

/// The index of the worker thread running the caller (0 on any other thread).
pub fn current() -> usize {
    INDEX.with(Cell::get)
}

/// The calling worker's entry of `per_worker` (one entry per worker thread; any other thread
/// gets the first).
///
/// # Panics
///
/// If `per_worker` is empty.
pub fn own<T>(per_worker: &[T]) -> &T {
    &per_worker[current() % per_worker.len()]
}

/// An accepted connection on its way to a worker.
struct Accepted {
    stream: std::net::TcpStream,
    client_addr: SocketAddr,
}

/// The running workers of one app.
pub struct Workers {
    senders: Vec<UnboundedSender<Accepted>>,
    threads: Vec<JoinHandle<()>>,
    next: usize,
}

impl Workers {
    /// Starts `count` worker threads serving `app`; returns once all of them run.
    pub fn start(count: NonZeroUsize, app: &Arc<App>) -> std::io::Result<Self> {
        let mut workers = Self {
            senders: Vec::new(),
            threads: Vec::new(),
            next: 0,
        };
        let (started_tx, started) = std::sync::mpsc::channel();
        for index in 0..count.get() {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (tx, rx) = unbounded_channel();
            let app = app.clone();
            let started_tx = started_tx.clone();
            let thread = std::thread::Builder::new()
                .name(format!("worker-{index}"))
                .spawn(move || {
                    INDEX.set(index);
                    let _ = started_tx.send(());
                    runtime.block_on(serve(app, rx));
                })?;
            workers.senders.push(tx);
            workers.threads.push(thread);
        }
        drop(started_tx);
        // A thread that died before it got here has dropped its sender: this ends early and
        // `hand_out` reports the dead worker.
        for _ in started.iter().take(count.get()) {}
        Ok(workers)
    }

    /// Hands a connection to the next worker in turn (the bench's and browsers' few
    /// keep-alive connections spread evenly).
    pub fn hand_out(&mut self, stream: TcpStream, client_addr: SocketAddr) {
        let stream = match stream.into_std() {
            Ok(s) => s,
            Err(e) => {
                tracing::debug!("cannot pass the connection on: {e}");
                return;
            }
        };
        let index = self.next % self.senders.len();
        self.next = self.next.wrapping_add(1);
        if self.senders[index]
            .send(Accepted {
                stream,
                client_addr,
            })
            .is_err()
        {
            tracing::warn!("worker {index} has stopped; connection from {client_addr} dropped");
        }
    }

    /// Stops taking connections and waits for the workers to finish theirs (at most
    /// `DRAIN` each).
    pub async fn stop(self) {
        drop(self.senders);
        let threads = self.threads;
        let joined = tokio::task::spawn_blocking(move || {
            threads.into_iter().filter_map(|t| t.join().err()).count()
        })
        .await;
        if !matches!(joined, Ok(0)) {
            tracing::warn!("a worker thread panicked");
        }
    }
}

/// One worker: serves the connections it is given until the acceptor stops, then drains.
async fn serve(app: Arc<App>, mut accepted: UnboundedReceiver<Accepted>) {
    let graceful = GracefulShutdown::new();
    while let Some(conn) = accepted.recv().await {
        match TcpStream::from_std(conn.stream) {
            Ok(stream) => app.serve_connection(stream, conn.client_addr, &graceful),
            Err(e) => tracing::debug!("cannot register connection: {e}"),
        }
    }
    if tokio::time::timeout(DRAIN, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            worker = current(),
            "connections still open after {} s; exiting anyway",
            DRAIN.as_secs()
        );
    }
}
