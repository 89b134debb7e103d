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
    OutgoingRequest, ResponseOutparam, Scheme,
};
use spin_sdk::wit::wasi::clocks0_2_0::monotonic_clock;
use spin_sdk::wit::wasi::http0_2_0::outgoing_handler;
use spin_sdk::wit::wasi::http0_2_0::types::{FutureIncomingResponse, RequestOptions};

use crate::config::Settings;
use crate::forward::{Outbound, Transport, Unreachable, Upstream};
use crate::handler;
use crate::policy::Policy;
use crate::request::Incoming;
use crate::respond;

/// Largest request body accepted (as the agent's default `max_body_bytes`).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The whole component: read, handle, answer.
pub async fn serve(policy: &Policy, req: IncomingRequest, out: ResponseOutparam) {
    let incoming = read(req).await;
    let settings = Settings::load(|name| spin_sdk::variables::get(name).ok());
    let reply = handler::handle(policy, settings, &SpinTransport, now(), incoming).await;
    respond::send(reply, out).await;
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
    let mut body = Vec::new();
    let mut body_error = None;
    let mut stream = pin!(req.into_body_stream());
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(c) if body.len() + c.len() > MAX_BODY_BYTES => {
                body_error = Some(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("request body larger than {MAX_BODY_BYTES} bytes"),
                ));
                break;
            }
            Ok(c) => body.extend(c),
            Err(e) => {
                body_error = Some(ApiError::invalid_body(format!(
                    "cannot read request body: {e:?}"
                )));
                break;
            }
        }
    }
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

/// Outbound HTTP through Spin (`allowed_outbound_hosts` and `[[client_tls]]` apply).
#[derive(Debug, Clone, Copy, Default)]
pub struct SpinTransport;

impl Transport for SpinTransport {
    async fn send(&self, request: Outbound) -> Result<Upstream, Unreachable> {
        let total = request.timeouts.total;
        let work = pin!(send_now(request));
        let timer = pin!(sleep(total));
        match future::select(work, timer).await {
            Either::Left((result, _)) => result,
            // Dropping the send drops its wasi future: the host abandons the request.
            Either::Right(_) => Err(Unreachable(format!(
                "no complete answer within {} s",
                total.as_secs()
            ))),
        }
    }
}

async fn send_now(r: Outbound) -> Result<Upstream, Unreachable> {
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
    let mut body = request.take_body();
    let pending = outgoing_handler::handle(request, Some(options)).map_err(|e| describe(&e))?;
    if !r.body.is_empty() {
        body.send(r.body)
            .await
            .map_err(|e| Unreachable(format!("cannot send the request body: {e:?}")))?;
    }
    drop(body); // finishes the body
    let response = incoming_response(pending).await.map_err(|e| describe(&e))?;
    let status = response.status();
    let headers = response
        .headers()
        .entries()
        .into_iter()
        .map(|(n, v)| (n.to_ascii_lowercase(), v))
        .collect();
    let body = response
        .into_body()
        .await
        .map_err(|e| Unreachable(format!("answer cut off: {e:?}")))?;
    Ok(Upstream {
        status,
        headers,
        body,
    })
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// Waits for the response head, registering its pollable with Spin's executor.
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
            registration.wait(pending.subscribe(), cx);
            Poll::Pending
        }
    })
}

/// Resolves after `d`: a monotonic-clock pollable for the deadline, registered anew on each
/// poll (the executor consumes registrations).
fn sleep(d: Duration) -> impl Future<Output = ()> {
    let deadline = monotonic_clock::now().saturating_add(nanos(d));
    let mut registration = Registration::default();
    future::poll_fn(move |cx| {
        if monotonic_clock::now() >= deadline {
            return Poll::Ready(());
        }
        registration.wait(monotonic_clock::subscribe_instant(deadline), cx);
        Poll::Pending
    })
}

/// A pollable registered with Spin's executor; dropping it (or registering the next one)
/// withdraws it.
#[derive(Default)]
struct Registration(Option<spin_executor::CancelOnDropToken>);

impl Registration {
    fn wait(&mut self, pollable: wasi::io::poll::Pollable, cx: &mut std::task::Context<'_>) {
        self.0 = Some(spin_executor::push_waker_and_get_token(pollable, cx.waker().clone()).into());
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
