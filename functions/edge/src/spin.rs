//! The Spin side: reading the SDK's request into an [`Incoming`], the variables, the clock, and
//! [`SpinTransport`], which sends an [`Outbound`] with `wasi:http/outgoing-handler` — with
//! request options (connect / first-byte / between-bytes timeouts) and an overall deadline
//! raced against a `wasi:clocks` timer, so a dead or hung agent never holds a request.
//!
//! spin-sdk's own `send` passes no request options, so this module calls the outgoing handler
//! itself; the pollables go to Spin's executor, which waits on all of them in one `poll`, so
//! joined sends run concurrently. No tokio: the executor only understands wasi pollables.

use std::future::Future;
use std::pin::pin;
use std::task::Poll;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bangui_shared::{ApiError, ErrorCode};
use futures::future::{self, Either};
use futures::{SinkExt, StreamExt};
use spin_sdk::http::{
    ErrorCode as WasiError, Headers, IncomingRequest, IncomingResponse, Method as WasiMethod,
    OutgoingBody, OutgoingRequest, OutgoingResponse, ResponseOutparam, Scheme,
};
use spin_sdk::wit::wasi::http0_2_0::types::IncomingBody;
use wasi::io::poll::Pollable;
use wasi::io::streams::{InputStream, OutputStream, StreamError};

use spin_sdk::wit::wasi::clocks0_2_0::monotonic_clock;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{FutureIncomingResponse, RequestOptions};

use crate::config::Settings;
use crate::forward::{Outbound, Transport, Unreachable, Upstream};
use crate::handler;
use crate::policy::Policy;
use crate::request::{header_text, may_have_body, Incoming, CORRELATION_HEADER};
use crate::respond::{Body, Reply};

/// Largest request body accepted (as the agent's default `max_body_bytes`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole component: read, handle, answer.
pub async fn serve(policy: &Policy, req: IncomingRequest, out: ResponseOutparam) {
    let incoming = read(req).await;
    let settings = Settings::load(|name| spin_sdk::variables::get(name).ok());
    let reply = handler::handle(policy, settings, &SpinTransport, now(), incoming).await;
    write(reply, out).await;
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The SDK request as plain data; the body is read up to [`MAX_BODY_BYTES`].
async fn read(req: IncomingRequest) -> Incoming {
    let method = req.method().to_string();
    let path_and_query = req.path_with_query().unwrap_or_else(|| "/".to_owned());
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p.to_owned(), q.to_owned()),
        None => (path_and_query, String::new()),
    };
    let headers: Vec<(String, Vec<u8>)> = req
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    // Spin appends its headers after the client's: a client-sent `spin-client-addr` comes
    // first, so only the last value is Spin's.
    let client_addr = headers
        .iter()
        .rev()
        .find(|(n, _)| n == "spin-client-addr")
        .and_then(|(_, v)| String::from_utf8(v.clone()).ok());
    let (body, body_error) = if may_have_body(&method, &headers) {
        read_body(req).await
    } else {
        (Vec::new(), None)
    };
    Incoming {
        method,
        path,
        query,
        headers,
        body,
        client_addr,
        body_error,
    }
}

/// The request body, up to [`MAX_BODY_BYTES`], or why it could not be read.
async fn read_body(req: IncomingRequest) -> (Vec<u8>, Option<ApiError>) {
    let mut body = Vec::new();
    let mut stream = pin!(req.into_body_stream());
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) if body.len() + c.len() > MAX_BODY_BYTES => {
                let err = ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("request body larger than {MAX_BODY_BYTES} bytes"),
                );
                return (body, Some(err));
            }
            Ok(c) => body.extend(c),
            Err(e) => {
                let err = ApiError::invalid_body(format!("cannot read request body: {e:?}"));
                return (body, Some(err));
            }
        }
    }
    (body, None)
}

/// Outbound HTTP through Spin (`allowed_outbound_hosts` and `[[client_tls]]` apply).
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinTransport;

impl Transport for SpinTransport {
    type Stream = AgentBody;

    async fn send(&self, request: Outbound) -> Result<Upstream, Unreachable> {
        let mut opened = self.open(request).await?;
        let mut body = Vec::new();
        while let Some(chunk) = opened.body.next_chunk().await? {
            body.extend(chunk);
        }
        Ok(Upstream {
            status: opened.status,
            headers: opened.headers,
            body,
        })
    }

    async fn open(&self, request: Outbound) -> Result<Upstream<AgentBody>, Unreachable> {
        let deadline = Deadline::after(request.timeouts.total);
        let (response, status, headers) = deadline.bound(send_now(request)).await??;
        let body = response
            .consume()
            .map_err(|()| Unreachable("answer body already taken".into()))?;
        let stream = body
            .stream()
            .map_err(|()| Unreachable("answer body not readable".into()))?;
        let length = header_text(&headers, "content-length").and_then(|v| v.trim().parse().ok());
        Ok(Upstream {
            status,
            headers,
            body: AgentBody {
                stream,
                length,
                _body: body,
                _response: response,
                deadline,
            },
        })
    }
}

/// An agent's response body as it arrives, bounded by the request's overall deadline. Read
/// straight from the `wasi:io` stream, as much as has arrived per call, so a large answer costs
/// few round trips through the host.
pub struct AgentBody {
    stream: InputStream,
    /// The agent's `Content-Length`, passed on to the client.
    length: Option<u64>,
    /// Kept until the body is read: dropping the body or the response cancels the request.
    _body: IncomingBody,
    _response: IncomingResponse,
    deadline: Deadline,
}

/// Most bytes taken from an agent's body per read or splice.
const READ_MAX: u64 = 1024 * 1024;

impl AgentBody {
    /// What has arrived (waiting for at least one byte); `None` at the end.
    async fn next_chunk(&mut self) -> Result<Option<Vec<u8>>, Unreachable> {
        self.deadline.bound(read_some(&self.stream)).await?
    }

    /// Passes the rest of the body on to the client's as it arrives. `splice` moves each chunk
    /// from stream to stream inside the host: the bytes never enter this component's memory.
    async fn copy_to(&self, out: &OutputStream) -> Result<(), String> {
        let failed = |e: StreamError| format!("cannot write the response: {e:?}");
        let mut passed = 0u64;
        loop {
            match out.splice(&self.stream, READ_MAX) {
                Ok(0) => match out.check_write() {
                    // Nothing moved: the client's side is full, or nothing has arrived.
                    Ok(0) => ready(out.subscribe()).await,
                    Ok(_) => ready(self.stream.subscribe()).await,
                    Err(e) => return Err(failed(e)),
                },
                Ok(n) => passed += n,
                // Either side may have closed: the agent's body at its end, or the client's once
                // the host has sent all the bytes its `Content-Length` announced.
                Err(StreamError::Closed) if self.length == Some(passed) => return Ok(()),
                Err(StreamError::Closed) => match out.check_write() {
                    Ok(_) => break,
                    Err(e) => return Err(failed(e)),
                },
                Err(StreamError::LastOperationFailed(e)) => {
                    return Err(format!("answer cut off: {}", e.to_debug_string()))
                }
            }
        }
        flush(out).await.map_err(failed)
    }
}

async fn read_some(stream: &InputStream) -> Result<Option<Vec<u8>>, Unreachable> {
    loop {
        match stream.read(READ_MAX) {
            Ok(bytes) if bytes.is_empty() => ready(stream.subscribe()).await,
            Ok(bytes) => return Ok(Some(bytes)),
            Err(StreamError::Closed) => return Ok(None),
            Err(StreamError::LastOperationFailed(e)) => {
                return Err(Unreachable(format!(
                    "answer cut off: {}",
                    e.to_debug_string()
                )))
            }
        }
    }
}

async fn flush(out: &OutputStream) -> Result<(), StreamError> {
    out.flush()?;
    loop {
        match out.check_write() {
            Ok(0) => ready(out.subscribe()).await,
            Ok(_) | Err(StreamError::Closed) => return Ok(()),
            Err(e) => return Err(e),
        }
    }
}

/// Resolves once `pollable` is ready (or when polled again: the callers' loops absorb that).
fn ready(pollable: Pollable) -> impl Future<Output = ()> {
    let mut registration = Registration::default();
    let mut pending = Some(pollable);
    future::poll_fn(move |cx| match pending.take() {
        Some(p) => {
            registration.wait(p, cx);
            Poll::Pending
        }
        None => Poll::Ready(()),
    })
}

/// When a request to an agent must be complete, on the monotonic clock.
#[derive(Debug, Clone, Copy)]
struct Deadline {
    at: u64,
    total: Duration,
}

impl Deadline {
    fn after(total: Duration) -> Self {
        Self {
            at: monotonic_clock::now().saturating_add(nanos(total)),
            total,
        }
    }

    /// `work`, unless the deadline passes first. Dropping the work drops its wasi futures: the
    /// host abandons the request.
    async fn bound<F: Future>(&self, work: F) -> Result<F::Output, Unreachable> {
        let work = pin!(work);
        let timer = pin!(sleep_until(self.at));
        match future::select(work, timer).await {
            Either::Left((result, _)) => Ok(result),
            Either::Right(_) => Err(Unreachable(format!(
                "no complete answer within {} s",
                self.total.as_secs()
            ))),
        }
    }
}

/// Sends the request and waits for the response head.
async fn send_now(
    r: Outbound,
) -> Result<(IncomingResponse, u16, Vec<(String, Vec<u8>)>), Unreachable> {
    let headers: Vec<(String, Vec<u8>)> = r
        .headers
        .iter()
        .map(|(n, v)| (n.clone(), v.clone().into_bytes()))
        .collect();
    let fields = Headers::from_list(&headers)
        .map_err(|e| Unreachable(format!("request headers refused: {e:?}")))?;
    let request = OutgoingRequest::new(fields);
    let method = match r.method {
        bangui_shared::routes::Method::Get => WasiMethod::Get,
        bangui_shared::routes::Method::Post => WasiMethod::Post,
        bangui_shared::routes::Method::Put => WasiMethod::Put,
        bangui_shared::routes::Method::Delete => WasiMethod::Delete,
    };
    let scheme = if r.https { Scheme::Https } else { Scheme::Http };
    let set = [
        request.set_method(&method),
        request.set_scheme(Some(&scheme)),
        request.set_authority(Some(&r.authority)),
        request.set_path_with_query(Some(&r.path_and_query)),
    ];
    if set.iter().any(Result::is_err) {
        return Err(Unreachable(format!("cannot address {}", r.url())));
    }
    let options = RequestOptions::new();
    // A host that does not support an option refuses it; the overall deadline still holds.
    let _ = options.set_connect_timeout(Some(nanos(r.timeouts.connect)));
    let _ = options.set_first_byte_timeout(Some(nanos(r.timeouts.first_byte)));
    let _ = options.set_between_bytes_timeout(Some(nanos(r.timeouts.between_bytes)));
    // A request without body bytes gets no body resource: the host then sends it as complete
    // at once, and the component saves the calls that open, finish and drop one.
    let body = (!r.body.is_empty()).then(|| request.take_body());
    let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| describe(&e))?;
    if let Some(mut body) = body {
        body.send(r.body)
            .await
            .map_err(|e| Unreachable(format!("cannot send the request body: {e:?}")))?;
        drop(body); // finishes the body
    }
    let response = incoming_response(pending).await.map_err(|e| describe(&e))?;
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    Ok((response, status, headers))
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Waits for the response head. Its pollable is registered once (see [`Registration`]): it is
/// ready exactly when `get` has the answer.
fn incoming_response(
    pending: FutureIncomingResponse,
) -> impl Future<Output = Result<IncomingResponse, WasiError>> {
    let mut registration = Registration::default();
    future::poll_fn(move |cx| match pending.get() {
        Some(Ok(result)) => Poll::Ready(result),
        Some(Err(())) => Poll::Ready(Err(WasiError::InternalError(Some(
            "response already taken".into(),
        )))),
        None => {
            registration.wait_once(|| pending.subscribe(), cx);
            Poll::Pending
        }
    })
}

/// Resolves at `deadline`. The clock pollable is registered once (see [`Registration`]); each
/// poll only reads the clock.
fn sleep_until(deadline: u64) -> impl Future<Output = ()> {
    let mut registration = Registration::default();
    future::poll_fn(move |cx| {
        if monotonic_clock::now() >= deadline {
            return Poll::Ready(());
        }
        registration.wait_once(|| monotonic_clock::subscribe_instant(deadline), cx);
        Poll::Pending
    })
}

/// A pollable registered with Spin's executor; dropping it (or registering the next one)
/// withdraws it.
///
/// Spin's executor keeps a registration until its pollable is ready, and polls the whole task
/// whichever pollable woke it. A future whose pollable is ready exactly when the future can
/// finish therefore registers once ([`Registration::wait_once`]) instead of on every poll, which
/// would cost a new pollable and the drop of the old one (two host calls) per round.
#[derive(Default)]
struct Registration(Option<spin_executor::CancelOnDropToken>);

impl Registration {
    fn wait(&mut self, pollable: wasi::io::poll::Pollable, cx: &mut std::task::Context<'_>) {
        self.0 = Some(spin_executor::push_waker_and_get_token(pollable, cx.waker().clone()).into());
    }

    /// Registers the pollable `subscribe` makes, unless one is registered already.
    fn wait_once(
        &mut self,
        subscribe: impl FnOnce() -> wasi::io::poll::Pollable,
        cx: &mut std::task::Context<'_>,
    ) {
        if self.0.is_none() {
            self.wait(subscribe(), cx);
        }
    }
}

/// A readable reason for a wasi-http error.
fn describe(e: &WasiError) -> Unreachable {
    Unreachable(match e {
        WasiError::DnsError(_) => "name does not resolve".to_owned(),
        WasiError::ConnectionRefused => "connection refused".to_owned(),
        WasiError::ConnectionTimeout => "connect timed out".to_owned(),
        WasiError::ConnectionReadTimeout => "no answer in time".to_owned(),
        WasiError::HttpRequestDenied => {
            "request denied by the host (is the agent in allowed_outbound_hosts?)".to_owned()
        }
        WasiError::TlsCertificateError | WasiError::TlsAlertReceived(_) => {
            format!("TLS handshake failed ({e:?}); check the fleet CA and [[client_tls]]")
        }
        other => format!("{other:?}"),
    })
}

/// Writes the reply to Spin's response outparam, keeping repeated headers. A streamed agent
/// body is spliced through as it arrives; if the agent stops midway, the response ends
/// short of its `Content-Length`, which the client sees as an error.
async fn write(reply: Reply<AgentBody>, out: ResponseOutparam) {
    let headers = match Headers::from_list(&reply.headers) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("bangui-edge: response headers refused by the host: {e:?}");
            let keep: Vec<(String, Vec<u8>)> = reply
                .headers
                .iter()
                .filter(|(n, _)| n == "content-type" || n == CORRELATION_HEADER)
                .cloned()
                .collect();
            Headers::from_list(&keep).unwrap_or_else(|_| Headers::new())
        }
    };
    let response = OutgoingResponse::new(headers);
    if response.set_status_code(reply.status).is_err() {
        let _ = response.set_status_code(500);
    }
    match reply.body {
        Body::Full(bytes) => {
            if let Err(e) = out.set_with_body(response, bytes).await {
                eprintln!("bangui-edge: cannot write the response: {e}");
            }
        }
        Body::Stream(agent) => {
            let Ok(body) = response.body() else {
                eprintln!("bangui-edge: response body already taken");
                return;
            };
            let Ok(stream) = body.write() else {
                eprintln!("bangui-edge: response body not writable");
                return;
            };
            out.set(response);
            let copied = agent.deadline.bound(agent.copy_to(&stream)).await;
            drop(stream);
            let why = match copied {
                Ok(Ok(())) => match OutgoingBody::finish(body, None) {
                    Ok(()) => return,
                    Err(e) => format!("cannot finish the response: {e:?}"),
                },
                Ok(Err(why)) | Err(Unreachable(why)) => why,
            };
            // An unfinished body: the host aborts the response rather than end it short.
            eprintln!("bangui-edge: agent answer not passed on whole: {why}");
        }
    }
}
