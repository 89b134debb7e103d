//! The signals that ask a harness binary to stop (SIGINT, SIGTERM, SIGHUP), and
//! [`until_stopped`], which makes a benchmark stop its processes on them.
//!
//! Without a handler such a signal ends the process at once: no `Drop` runs, so the
//! `fail2ban-server`s, agents and dev host it started keep running (and skew the next
//! benchmark). Ctrl-C in a terminal reaches them too, as the whole process group gets it;
//! `kill` or `timeout` signals the benchmark alone.

use std::future::Future;

use tokio::signal::unix::{signal, Signal, SignalKind};

/// A stop signal that arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Interrupt,
    Terminate,
    Hangup,
}

impl Stop {
    pub fn name(self) -> &'static str {
        match self {
            Stop::Interrupt => "SIGINT",
            Stop::Terminate => "SIGTERM",
            Stop::Hangup => "SIGHUP",
        }
    }

    fn kind(self) -> SignalKind {
        match self {
            Stop::Interrupt => SignalKind::interrupt(),
            Stop::Terminate => SignalKind::terminate(),
            Stop::Hangup => SignalKind::hangup(),
        }
    }

    /// The shell's exit status for a process ended by this signal (128 + its number).
    pub fn exit_status(self) -> i32 {
        128 + self.kind().as_raw_value()
    }
}

/// Handlers for the stop signals; from their creation on, those signals no longer end the
/// process by themselves.
pub struct StopSignals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
}

impl StopSignals {
    /// Must be called within a tokio runtime.
    pub fn new() -> std::io::Result<Self> {
        Ok(StopSignals {
            interrupt: signal(Stop::Interrupt.kind())?,
            terminate: signal(Stop::Terminate.kind())?,
            hangup: signal(Stop::Hangup.kind())?,
        })
    }

    /// The next stop signal.
    pub async fn recv(&mut self) -> Stop {
        tokio::select! {
            _ = self.interrupt.recv() => Stop::Interrupt,
            _ = self.terminate.recv() => Stop::Terminate,
            _ = self.hangup.recv() => Stop::Hangup,
        }
    }
}

/// Runs `work` to its end, or until a stop signal: then `work` is dropped, which stops every
/// process it started and removes their temporary directories, and the process exits with
/// the signal's status. A signal is seen at `work`'s next await.
pub async fn until_stopped<F: Future>(work: F) -> F::Output {
    let mut signals = match StopSignals::new() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("cannot handle stop signals ({e}); running without");
            return work.await;
        }
    };
    let stop = tokio::select! {
        output = work => return output,
        stop = signals.recv() => stop,
    };
    eprintln!("{}: stopped the processes this run started", stop.name());
    std::process::exit(stop.exit_status());
}
