//! The socket transport: sends encoded commands to fail2ban's Unix socket and reads the replies.
//!
//! fail2ban serves one command at a time per connection and accepts several commands on one
//! connection, in order (pipelining). The client keeps a few idle connections for reuse, sends a
//! batch of commands in one write, and bounds every reply by size and by a per-command deadline.
//! fail2ban listens with a backlog of one, so the client caps its open connections and retries a
//! connect the kernel refuses for a full backlog (EAGAIN) instead of calling fail2ban down.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::sync::Semaphore;
use tokio::time::timeout;

use super::codec::{self, Value, CLOSE, END, MAX_REPLY_BYTES};
use super::command::Command;
use super::error::Fail2banError;

/// A fail2ban socket client with a small pool of reusable connections.
#[derive(Debug)]
pub struct Client {
    socket: PathBuf,
    timeout: Duration,
    max_idle: usize,
    idle: Mutex<Vec<Connection>>,
    /// One permit per connection that may be open at once.
    permits: Semaphore,
}

#[derive(Debug)]
struct Connection {
    stream: UnixStream,
    /// Bytes read past the last reply's terminator (the start of the next one).
    pending: Vec<u8>,
}

impl Client {
    /// A client opening at most `max_connections` connections at once (and keeping as many
    /// for reuse).
    pub fn new(socket: impl Into<PathBuf>, timeout: Duration, max_connections: usize) -> Self {
        let max = max_connections.max(1);
        Self {
            socket: socket.into(),
            timeout,
            max_idle: max,
            idle: Mutex::new(Vec::new()),
            permits: Semaphore::new(max),
        }
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// Sends one command and returns its value, or fail2ban's error.
    pub async fn call(&self, command: Command) -> Result<Value, Fail2banError> {
        self.call_many(std::slice::from_ref(&command))
            .await?
            .into_iter()
            .next()
            .unwrap_or(Err(Fail2banError::ConnectionClosed))
    }

    /// Sends several commands on one connection in a single write and returns one result per
    /// command, in order. The outer error is a transport failure (nothing usable came back);
    /// the inner ones are fail2ban's answers to individual commands.
    pub async fn call_many(
        &self,
        commands: &[Command],
    ) -> Result<Vec<Result<Value, Fail2banError>>, Fail2banError> {
        if commands.is_empty() {
            return Ok(Vec::new());
        }
        let request = encode_all(commands)?;
        let Ok(Ok(_permit)) = timeout(self.timeout, self.permits.acquire()).await else {
            return Err(self.timed_out(&commands[0]));
        };
        let (conn, reused) = self.checkout().await?;
        match self.exchange(conn, &request, commands).await {
            Ok(replies) => Ok(replies),
            // A pooled connection may have been closed by a fail2ban restart since it was last
            // used; such a connection fails before any reply arrives. Retry once, fresh.
            Err(Fail2banError::ConnectionClosed) if reused => {
                let conn = self.connect().await?;
                self.exchange(conn, &request, commands).await
            }
            Err(e) => Err(e),
        }
    }

    async fn exchange(
        &self,
        mut conn: Connection,
        request: &[u8],
        commands: &[Command],
    ) -> Result<Vec<Result<Value, Fail2banError>>, Fail2banError> {
        let deadline = self.timeout.saturating_mul(commands.len() as u32);
        match timeout(deadline, conn.stream.write_all(request)).await {
            Err(_) => return Err(self.timed_out(&commands[0])),
            Ok(Err(e)) if is_closed(&e) => return Err(Fail2banError::ConnectionClosed),
            Ok(Err(e)) => return Err(self.unreachable(e)),
            Ok(Ok(())) => {}
        }
        let mut replies = Vec::with_capacity(commands.len());
        for command in commands {
            let bytes = match timeout(self.timeout, read_reply(&mut conn)).await {
                Err(_) => return Err(self.timed_out(command)),
                Ok(Err(e)) if replies.is_empty() => return Err(e),
                Ok(Err(e)) => return Err(e.after_partial_reply()),
                Ok(Ok(bytes)) => bytes,
            };
            let value = codec::decode(&bytes).map_err(Fail2banError::Protocol)?;
            replies.push(interpret(value));
        }
        self.checkin(conn);
        Ok(replies)
    }

    async fn checkout(&self) -> Result<(Connection, bool), Fail2banError> {
        let pooled = self.idle.lock().map(|mut idle| idle.pop()).unwrap_or(None);
        match pooled {
            Some(conn) => Ok((conn, true)),
            None => Ok((self.connect().await?, false)),
        }
    }

    fn checkin(&self, conn: Connection) {
        if !conn.pending.is_empty() {
            return; // unexpected extra bytes: do not reuse a connection out of step
        }
        if let Ok(mut idle) = self.idle.lock() {
            if idle.len() < self.max_idle {
                idle.push(conn);
            }
        }
    }

    async fn connect(&self) -> Result<Connection, Fail2banError> {
        let attempt = async {
            loop {
                match UnixStream::connect(&self.socket).await {
                    // The listen backlog is full (another client is being accepted): wait.
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                    other => return other,
                }
            }
        };
        match timeout(self.timeout, attempt).await {
            Err(_) => Err(Fail2banError::Unreachable {
                socket: self.socket.clone(),
                reason: format!("connect timed out after {:?}", self.timeout),
            }),
            Ok(Err(e)) => Err(self.unreachable(e)),
            Ok(Ok(stream)) => Ok(Connection {
                stream,
                pending: Vec::new(),
            }),
        }
    }

    /// Drops every pooled connection, politely telling fail2ban first.
    pub async fn close_idle(&self) {
        let conns: Vec<Connection> = self
            .idle
            .lock()
            .map(|mut idle| idle.drain(..).collect())
            .unwrap_or_default();
        for mut conn in conns {
            let mut bye = CLOSE.to_vec();
            bye.extend_from_slice(END);
            let _ = timeout(self.timeout, conn.stream.write_all(&bye)).await;
        }
    }

    fn unreachable(&self, e: std::io::Error) -> Fail2banError {
        Fail2banError::Unreachable {
            socket: self.socket.clone(),
            reason: e.to_string(),
        }
    }

    fn timed_out(&self, command: &Command) -> Fail2banError {
        Fail2banError::Timeout {
            command: command.name(),
            after: self.timeout,
        }
    }
}

fn encode_all(commands: &[Command]) -> Result<Vec<u8>, Fail2banError> {
    let mut out = Vec::new();
    for command in commands {
        codec::encode_request(&command.args(), &mut out).map_err(|e| {
            Fail2banError::InvalidArgument(format!("cannot send '{}': {e}", command.name()))
        })?;
        out.extend_from_slice(END);
    }
    Ok(out)
}

fn is_closed(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        BrokenPipe | ConnectionReset | ConnectionAborted | UnexpectedEof
    )
}

/// Reads one reply up to and without its terminator; keeps any following bytes.
async fn read_reply(conn: &mut Connection) -> Result<Vec<u8>, Fail2banError> {
    let mut buf = std::mem::take(&mut conn.pending);
    let mut searched = 0;
    loop {
        if let Some(pos) = find(&buf[searched..], END) {
            let end = searched + pos;
            conn.pending = buf.split_off(end + END.len());
            buf.truncate(end);
            return Ok(buf);
        }
        searched = buf.len().saturating_sub(END.len() - 1);
        if buf.len() > MAX_REPLY_BYTES {
            return Err(Fail2banError::ReplyTooLarge(MAX_REPLY_BYTES));
        }
        let mut chunk = [0u8; 64 * 1024];
        let n = match conn.stream.read(&mut chunk).await {
            Ok(n) => n,
            Err(e) if is_closed(&e) => 0,
            Err(e) => return Err(Fail2banError::Io(e.to_string())),
        };
        if n == 0 {
            return Err(Fail2banError::ConnectionClosed);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// fail2ban answers `(0, value)` on success, `(1, exception)` when the command raised, and a
/// bare `"ERROR: ..."` string when it could not even read the request.
fn interpret(reply: Value) -> Result<Value, Fail2banError> {
    match reply {
        Value::Tuple(mut parts) if parts.len() == 2 => {
            let payload = parts.pop().unwrap_or(Value::None);
            match parts.pop().and_then(|c| c.as_i64()) {
                Some(0) => Ok(payload),
                Some(_) => Err(Fail2banError::from_exception(payload)),
                None => Err(Fail2banError::UnexpectedReply(
                    Value::Tuple(vec![payload]).to_string(),
                )),
            }
        }
        Value::Str(message) => Err(Fail2banError::Rejected(message)),
        other => Err(Fail2banError::UnexpectedReply(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_and_exception_replies_are_told_apart() {
        let ok = Value::Tuple(vec![Value::Int(0), Value::Str("pong".into())]);
        assert_eq!(interpret(ok).unwrap(), Value::Str("pong".into()));

        let exc = Value::Tuple(vec![
            Value::Int(1),
            Value::Call {
                func: Box::new(Value::Global {
                    module: "fail2ban.exceptions".into(),
                    name: "UnknownJailException".into(),
                }),
                args: vec![Value::Str("nosuch".into())],
            },
        ]);
        match interpret(exc) {
            Err(Fail2banError::Exception { class, message, .. }) => {
                assert_eq!(class, "UnknownJailException");
                assert_eq!(message, "nosuch");
            }
            other => panic!("unexpected {other:?}"),
        }

        match interpret(Value::Str("ERROR: Ran out of input".into())) {
            Err(Fail2banError::Rejected(m)) => assert!(m.contains("Ran out")),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn terminator_in_an_argument_is_refused_before_sending() {
        let jail = "sshd".parse().unwrap();
        let cmd = Command::SetServer(
            super::super::command::ServerKey::LogTarget,
            "x<F2B_END_COMMAND>y".into(),
        );
        assert!(matches!(
            encode_all(&[cmd]),
            Err(Fail2banError::InvalidArgument(_))
        ));
        assert!(encode_all(&[Command::JailStatus(jail)]).is_ok());
    }

    #[tokio::test]
    async fn missing_socket_is_unreachable() {
        let client = Client::new("/nonexistent/dir/f2b.sock", Duration::from_secs(1), 2);
        match client.call(Command::Ping).await {
            Err(Fail2banError::Unreachable { reason, .. }) => assert!(!reason.is_empty()),
            other => panic!("unexpected {other:?}"),
        }
    }
}
