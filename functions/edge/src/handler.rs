//! The request flow every component runs (DESIGN.md, "Request flow"):
//!
//! 1. match the route (404/405 as the agent answers them); routes of other groups are 404;
//! 2. public routes skip the session; others need a valid token (else 401, or 503 while the
//!    control agent is not set up), the CSRF header on cookie writes, and — when the token is
//!    older than the window — the control agent's confirmation;
//! 3. pick the target: `?host=`, else the control agent, every agent for fleet views and writes;
//! 4. forward (one agent) or fan out (several, concurrently) and merge;
//! 5. answer, with `X-Correlation-ID` and a refreshed session when there is one.
//!
//! Generic over the [`Transport`], so the whole flow is tested on the host with a fake.

use bangui_shared::access::changes_state;
use bangui_shared::pagination::PageRequest;
use bangui_shared::routes::{allowed_methods, match_route, Group, Method, Route, RouteMatch};
use bangui_shared::{ApiError, ErrorCode};
use serde_json::Value;

use crate::config::Settings;
use crate::csrf;
use crate::fanout::{self, MAX_FLEET_DEPTH};
use crate::forward::{self, success, Context, Outbound, Timeouts, Transport};
use crate::hosts::{Agent, Target};
use crate::inventory;
use crate::merge;
use crate::policy::{Merge, Policy};
use crate::request::{correlation_id, rewrite_query, Incoming, CORRELATION_HEADER};
use crate::respond::{self, Reply};
use crate::revalidate::{self, Refresh};
use crate::session;

/// The fleet extra served by the component whose policy has `inventory`.
pub const HOSTS_PATH: &str = "/api/v1/hosts";

/// `GET /api/v1/hosts` as a route: protected, in the health group.
pub static HOSTS_ROUTE: Route = Route {
    method: Method::Get,
    pattern: HOSTS_PATH,
    group: Group::Health,
    statuses: &[200, 400, 401],
    public: false,
};

/// The query parameter that picks one agent.
pub const HOST_PARAM: &str = "host";

const LOGOUT_PATH: &str = "/api/v1/auth/logout";
const SETUP_PATH: &str = "/api/v1/setup";

/// Answers one request. Never fails: errors become error responses here.
pub async fn handle<T: Transport>(
    policy: &Policy,
    settings: Result<Settings, ApiError>,
    transport: &T,
    now: i64,
    req: Incoming,
) -> Reply<T::Stream> {
    let cid = correlation_id(req.header(CORRELATION_HEADER));
    let reply = match run(policy, settings, transport, now, &req, &cid).await {
        Ok(reply) => reply,
        Err(err) => respond::error(&err, &cid),
    };
    reply.finish(&cid)
}

async fn run<T: Transport>(
    policy: &Policy,
    settings: Result<Settings, ApiError>,
    transport: &T,
    now: i64,
    req: &Incoming,
    cid: &str,
) -> Result<Reply<T::Stream>, ApiError> {
    let route = resolve(policy, req)?;
    if let Some(e) = &req.body_error {
        return Err(e.clone());
    }
    let settings = settings?;
    let host = host_param(req)?;
    let mut ctx = Context {
        correlation_id: cid.to_owned(),
        client_ip: req.client_ip(),
        content_type: req.header("content-type").map(str::to_owned),
        ..Context::default()
    };
    let refresh = authenticate(route, &settings, transport, req, now, &mut ctx).await?;
    let reply = if std::ptr::eq(route, &HOSTS_ROUTE) {
        inventory::list(&settings.fleet, host.as_deref(), transport, &ctx).await?
    } else {
        dispatch(
            policy,
            route,
            &settings,
            transport,
            req,
            host.as_deref(),
            &ctx,
        )
        .await?
    };
    Ok(match refresh {
        Some(refresh) => {
            let (name, value) = refresh.header();
            reply.with_header(name, value)
        }
        None => reply,
    })
}

/// The route for the request, or the agent's 404/405.
fn resolve(policy: &Policy, req: &Incoming) -> Result<&'static Route, ApiError> {
    let path = req.path.as_str();
    if policy.inventory && path == HOSTS_PATH {
        return match req.method.as_str() {
            "GET" => Ok(&HOSTS_ROUTE),
            _ => Err(method_not_allowed(path, &[Method::Get])),
        };
    }
    let matched = match req.method.parse::<Method>() {
        Ok(m) => match_route(m, path),
        Err(_) if allowed_methods(path).is_empty() => RouteMatch::NotFound,
        Err(_) => RouteMatch::MethodNotAllowed {
            allowed: allowed_methods(path),
        },
    };
    match matched {
        RouteMatch::Found { route, .. } if route.group == policy.group => Ok(route),
        RouteMatch::MethodNotAllowed { allowed } => Err(method_not_allowed(path, &allowed)),
        _ => Err(ApiError::not_found(format!("no route for {path}"))),
    }
}

fn method_not_allowed(path: &str, allowed: &[Method]) -> ApiError {
    let names: Vec<&str> = allowed.iter().map(|m| m.as_str()).collect();
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!("{path} accepts only {}", names.join(", ")),
    )
}

/// `?host=NAME`: at most one, not empty.
fn host_param(req: &Incoming) -> Result<Option<String>, ApiError> {
    let mut hosts = req.query_values(HOST_PARAM);
    match hosts.len() {
        0 => Ok(None),
        1 if !hosts[0].is_empty() => Ok(hosts.pop()),
        _ => Err(ApiError::invalid_field(
            HOST_PARAM,
            "`host` names one agent; leave it out to ask the whole fleet",
        )),
    }
}

/// Step 2: the session. Fills the context's session key and token; returns the refreshed
/// credential when the session was revalidated.
async fn authenticate<T: Transport>(
    route: &Route,
    settings: &Settings,
    transport: &T,
    req: &Incoming,
    now: i64,
    ctx: &mut Context,
) -> Result<Option<Refresh>, ApiError> {
    if route.public {
        return Ok(None);
    }
    let presented = session::presented(req);
    if route.pattern == LOGOUT_PATH {
        // As on the agent: logout answers without a live session too, so the token (whatever
        // it is) is handed on for the control agent to end if it can.
        if let Some(p) = presented {
            if let Ok(s) = session::verify(p.clone(), &settings.signing_key, now) {
                ctx.session_key = Some(s.key());
            }
            ctx.token = Some(p.token);
        }
        return Ok(None);
    }
    let verified = match presented {
        Some(p) => session::verify(p, &settings.signing_key, now),
        None => Err(session::missing()),
    };
    let session = match verified {
        Ok(s) => s,
        Err(e) if e.code == ErrorCode::AuthenticationRequired => {
            return Err(setup_or(e, settings.fleet.control(), transport, ctx).await);
        }
        Err(e) => return Err(e),
    };
    csrf::check(route, session.credential, req)?;
    ctx.session_key = Some(session.key());
    ctx.token = Some(session.token.clone());
    // Auth routes go to the control agent anyway, which checks the session itself.
    if route.group == Group::Auth
        || !revalidate::due(&session.claims, now, settings.revalidate_after)
    {
        return Ok(None);
    }
    revalidate::confirm(transport, settings.fleet.control(), &session, ctx).await?;
    revalidate::reissue(&session, &settings.signing_key, now).map(Some)
}

/// A request without a valid session gets the agent's answer: 503 `setup_required` until the
/// control agent is set up, else the 401.
async fn setup_or<T: Transport>(
    err: ApiError,
    control: &Agent,
    transport: &T,
    ctx: &Context,
) -> ApiError {
    let out = Outbound::new(
        control,
        Method::Get,
        SETUP_PATH,
        "",
        b"",
        ctx,
        Timeouts::READ,
    );
    match forward::answer(control, transport.send(out).await, success) {
        Ok(a) if a.body.get("completed") == Some(&Value::Bool(false)) => ApiError::new(
            ErrorCode::SetupRequired,
            "setup has not been completed: POST /api/v1/setup first",
        ),
        _ => err,
    }
}

/// Steps 3–4: target, forward or fan out, merge.
async fn dispatch<T: Transport>(
    policy: &Policy,
    route: &Route,
    settings: &Settings,
    transport: &T,
    req: &Incoming,
    host: Option<&str>,
    ctx: &Context,
) -> Result<Reply<T::Stream>, ApiError> {
    let timeouts = if changes_state(route) {
        Timeouts::WRITE
    } else {
        Timeouts::READ
    };
    // The request to one agent, with `query` in place of the client's.
    let to = |agent: &Agent, query: &str| {
        Outbound::new(
            agent,
            route.method,
            &req.path,
            query,
            &req.body,
            ctx,
            timeouts,
        )
    };
    let query = rewrite_query(&req.query, &[HOST_PARAM], &[]);
    let build = |agent: &Agent| to(agent, &query);
    let fleet = &settings.fleet;
    match fleet.target(route, policy.reach(route), host)? {
        Target::One(agent) => {
            let request = build(agent).accepting(req.accept_encoding().as_deref());
            match transport.open(request).await {
                Ok(up) => Ok(Reply::passthrough(up)),
                Err(e) => Err(forward::unreachable(agent, &e)),
            }
        }
        Target::Broadcast => {
            let results = fanout::each(transport, fleet.agents(), build, success).await;
            merge::broadcast(results).map(Reply::merged)
        }
        Target::View => {
            let merge = policy.merge(route).unwrap_or(Merge::Sum(&[]));
            let results = match merge {
                Merge::Page(_) => {
                    let page = fleet_page(req)?;
                    let paged = |agent: &Agent, p: u32, size: u32| {
                        let pages = [("page", p.to_string()), ("page_size", size.to_string())];
                        to(agent, &rewrite_query(&req.query, &[HOST_PARAM], &pages))
                    };
                    let results = fanout::pages(transport, fleet.agents(), page, paged).await;
                    return merge::view(merge, Some(page), results).map(Reply::merged);
                }
                Merge::Health => {
                    let health = |s: u16| s == 200 || s == 503;
                    fanout::each(transport, fleet.agents(), build, health).await
                }
                Merge::Sum(_) => fanout::each(transport, fleet.agents(), build, success).await,
            };
            merge::view(merge, None, results).map(Reply::merged)
        }
    }
}

/// The client's page of a paginated fleet view, checked like the agent checks it, and no
/// deeper than [`MAX_FLEET_DEPTH`].
fn fleet_page(req: &Incoming) -> Result<PageRequest, ApiError> {
    let page = PageRequest::parse(
        req.query_value("page").as_deref(),
        req.query_value("page_size").as_deref(),
    )?;
    if page.offset() + page.page_size as usize > MAX_FLEET_DEPTH {
        return Err(ApiError::invalid_field(
            "page",
            format!(
                "a fleet view reaches at most {MAX_FLEET_DEPTH} items deep; \
                 add ?host=NAME or narrow the filters"
            ),
        ));
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use bangui_shared::session::{sign, Claims};
    use serde_json::json;

    use super::*;
    use crate::forward::{Unreachable, Upstream};
    use crate::policy::{view, FieldRule, SortKey};
    use crate::respond::Body;

    const KEY: &str = "0123456789abcdef0123456789abcdef";
    const NOW: i64 = 10_000;

    /// Answers by `(authority, path)`; records every request.
    struct Fake<F: Fn(&Outbound) -> Result<Upstream, Unreachable>> {
        answer: F,
        sent: RefCell<Vec<Outbound>>,
    }

    impl<F: Fn(&Outbound) -> Result<Upstream, Unreachable>> Transport for Fake<F> {
        type Stream = Vec<u8>;

        async fn send(&self, request: Outbound) -> Result<Upstream, Unreachable> {
            let r = (self.answer)(&request);
            self.sent.borrow_mut().push(request);
            r
        }

        async fn open(&self, request: Outbound) -> Result<Upstream, Unreachable> {
            self.send(request).await
        }
    }

    fn fake<F: Fn(&Outbound) -> Result<Upstream, Unreachable>>(answer: F) -> Fake<F> {
        Fake {
            answer,
            sent: RefCell::new(Vec::new()),
        }
    }

    fn json_up(status: u16, body: Value) -> Result<Upstream, Unreachable> {
        Ok(Upstream {
            status,
            headers: vec![("content-type".into(), b"application/json".to_vec())],
            body: serde_json::to_vec(&body).unwrap(),
        })
    }

    fn error_up(status: u16, code: &str) -> Result<Upstream, Unreachable> {
        json_up(
            status,
            json!({"code": code, "detail": code, "metadata": {}, "correlation_id": "x"}),
        )
    }

    fn dead() -> Result<Upstream, Unreachable> {
        Err(Unreachable("connection refused".into()))
    }

    /// A set-up fleet of two agents: web1 (control) on 8651, web2 on 8652.
    fn agents(
        web1: impl Fn(&str) -> Result<Upstream, Unreachable>,
        web2: impl Fn(&str) -> Result<Upstream, Unreachable>,
    ) -> impl Fn(&Outbound) -> Result<Upstream, Unreachable> {
        move |o: &Outbound| {
            let path = o
                .path_and_query
                .split('?')
                .next()
                .unwrap_or_default()
                .to_owned();
            if path == "/api/v1/setup" {
                return json_up(200, json!({"completed": true}));
            }
            match o.authority.as_str() {
                "localhost:8651" => web1(&o.path_and_query),
                _ => web2(&o.path_and_query),
            }
        }
    }

    fn settings() -> Result<Settings, ApiError> {
        Settings::load(|name| {
            Some(
                match name {
                    "agents" => "web1=https://localhost:8651,web2=https://localhost:8652",
                    "session_signing_key" => KEY,
                    _ => return None,
                }
                .to_owned(),
            )
        })
    }

    fn token(iat: i64) -> String {
        sign(
            &Claims {
                sid: "the-sid".into(),
                iat,
                exp: NOW + 3_600,
            },
            KEY.as_bytes(),
        )
        .unwrap()
    }

    fn request(method: &str, target: &str, headers: &[(&str, &str)]) -> Incoming {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Incoming {
            method: method.into(),
            path: path.into(),
            query: query.into(),
            headers: headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.as_bytes().to_vec()))
                .collect(),
            body: Vec::new(),
            client_addr: Some("203.0.113.7:41000".into()),
            body_error: None,
        }
    }

    fn bearer(iat: i64) -> String {
        format!("Bearer {}", token(iat))
    }

    static BANS: Policy = Policy {
        group: Group::Bans,
        app_level: false,
        rules: &[view(
            "/api/v1/bans/active",
            Merge::Sum(&[FieldRule::new(
                "items",
                crate::policy::Combine::Tag(Some(SortKey::desc("banned_at"))),
            )]),
        )],
        inventory: false,
    };
    static JAILS: Policy = Policy {
        group: Group::Jails,
        app_level: false,
        rules: &[view("/api/v1/jails", Merge::Page(SortKey::asc("name")))],
        inventory: false,
    };
    static HEALTH: Policy = Policy {
        group: Group::Health,
        app_level: false,
        rules: &[view("/api/v1/health", Merge::Health)],
        inventory: true,
    };
    static AUTH: Policy = Policy {
        group: Group::Auth,
        app_level: true,
        rules: &[],
        inventory: false,
    };

    fn run<F: Fn(&Outbound) -> Result<Upstream, Unreachable>>(
        policy: &Policy,
        t: &Fake<F>,
        req: Incoming,
    ) -> (Reply<Vec<u8>>, Value) {
        let reply = futures::executor::block_on(handle(policy, settings(), t, NOW, req));
        let bytes = match &reply.body {
            Body::Full(b) | Body::Stream(b) => b,
        };
        let body = serde_json::from_slice(bytes).unwrap_or(Value::Null);
        (reply, body)
    }

    fn paths<F: Fn(&Outbound) -> Result<Upstream, Unreachable>>(t: &Fake<F>) -> Vec<String> {
        t.sent
            .borrow()
            .iter()
            .map(|o| format!("{} {}", o.authority, o.path_and_query))
            .collect()
    }

    #[test]
    fn routing_errors_come_first_and_carry_the_correlation_id() {
        let t = fake(|_| dead());
        let (r, body) = run(
            &BANS,
            &t,
            request("GET", "/api/v1/bans/nope", &[("x-correlation-id", "abc")]),
        );
        assert_eq!(r.status, 404);
        assert_eq!(body["code"], "not_found");
        assert_eq!(body["correlation_id"], "abc");
        assert_eq!(r.header("x-correlation-id"), Some("abc"));
        let (r, body) = run(&BANS, &t, request("PATCH", "/api/v1/bans", &[]));
        assert_eq!(
            (r.status, body["code"].as_str()),
            (405, Some("method_not_allowed"))
        );
        // A route of another group is not this component's.
        let (r, _) = run(&BANS, &t, request("GET", "/api/v1/jails", &[]));
        assert_eq!(r.status, 404);
        assert!(t.sent.borrow().is_empty());
        // Generated ids are echoed too.
        let (r, body) = run(&BANS, &t, request("GET", "/api/v1/bans/nope", &[]));
        assert_eq!(
            r.header("x-correlation-id"),
            body["correlation_id"].as_str()
        );
    }

    #[test]
    fn protected_routes_need_a_session_or_report_setup() {
        let t = fake(agents(|_| dead(), |_| dead()));
        let (r, body) = run(&BANS, &t, request("GET", "/api/v1/bans/active", &[]));
        assert_eq!(
            (r.status, body["code"].as_str()),
            (401, Some("authentication_required"))
        );
        let expired = format!(
            "Bearer {}",
            sign(
                &Claims {
                    sid: "s".into(),
                    iat: 1,
                    exp: 2
                },
                KEY.as_bytes()
            )
            .unwrap()
        );
        let (r, body) = run(
            &BANS,
            &t,
            request("GET", "/api/v1/bans/active", &[("authorization", &expired)]),
        );
        assert_eq!(r.status, 401);
        assert!(body["detail"].as_str().unwrap().contains("expired"));

        let not_set_up = fake(|o: &Outbound| {
            assert_eq!(o.path_and_query, "/api/v1/setup");
            json_up(200, json!({"completed": false}))
        });
        let (r, body) = run(
            &BANS,
            &not_set_up,
            request("GET", "/api/v1/bans/active", &[]),
        );
        assert_eq!(
            (r.status, body["code"].as_str()),
            (503, Some("setup_required"))
        );
    }

    #[test]
    fn cookie_writes_need_csrf_and_go_to_every_agent() {
        let cookie = format!("bangui_session={}", token(NOW));
        let t = fake(agents(
            |_| {
                json_up(
                    201,
                    json!({"message": "Banned", "success": true, "jail": "sshd"}),
                )
            },
            |_| {
                json_up(
                    201,
                    json!({"message": "Banned", "success": true, "jail": "sshd"}),
                )
            },
        ));
        let (r, body) = run(
            &BANS,
            &t,
            request("POST", "/api/v1/bans", &[("cookie", &cookie)]),
        );
        assert_eq!(
            (r.status, body["code"].as_str()),
            (403, Some("csrf_check_failed"))
        );
        assert!(t.sent.borrow().is_empty());

        let (r, body) = run(
            &BANS,
            &t,
            request(
                "POST",
                "/api/v1/bans",
                &[("cookie", &cookie), ("x-bangui-request", "1")],
            ),
        );
        assert_eq!(r.status, 201);
        assert_eq!(body["success"], true);
        assert_eq!(body["hosts"].as_array().unwrap().len(), 2);
        assert_eq!(
            paths(&t),
            ["localhost:8651 /api/v1/bans", "localhost:8652 /api/v1/bans"]
        );
    }

    #[test]
    fn forwarded_requests_carry_only_edge_headers() {
        let t = fake(agents(
            |_| dead(),
            |_| {
                let mut up = json_up(200, json!({"jail": {"name": "sshd"}})).unwrap();
                up.headers.push(("set-cookie".into(), b"x=1".to_vec()));
                Ok(up)
            },
        ));
        let mut req = request(
            "GET",
            "/api/v1/jails/sshd?host=web2&x=1",
            &[
                ("authorization", &bearer(NOW)),
                ("x-forwarded-for", "10.9.9.9"),
                ("x-bangui-session", "forged"),
                ("x-correlation-id", "cid-7"),
            ],
        );
        req.body = b"{}".to_vec();
        let (r, body) = run(&JAILS, &t, req);
        assert_eq!(r.status, 200);
        assert_eq!(body["jail"]["name"], "sshd");
        assert_eq!(r.header("set-cookie"), Some("x=1"));
        assert_eq!(r.header("x-correlation-id"), Some("cid-7"));
        let sent = t.sent.borrow();
        assert_eq!(sent.len(), 1);
        let o = &sent[0];
        assert_eq!(o.url(), "https://localhost:8652/api/v1/jails/sshd?x=1");
        assert_eq!(o.header("x-forwarded-for"), Some("203.0.113.7"));
        assert_eq!(
            o.header("x-bangui-session"),
            Some(bangui_shared::session::session_key("the-sid").as_str())
        );
        assert_eq!(o.header("authorization"), Some(bearer(NOW).as_str()));
        assert_eq!(o.header("x-correlation-id"), Some("cid-7"));
        assert_eq!(o.timeouts, Timeouts::READ);
    }

    #[test]
    fn only_answers_passed_on_unread_ask_for_the_clients_codings() {
        let bans = |_: &str| json_up(200, json!({"items": [], "total": 0}));
        let t = fake(agents(bans, bans));
        let auth = bearer(NOW);
        let asking = [
            ("authorization", auth.as_str()),
            ("accept-encoding", "gzip"),
            ("accept-encoding", "br;q=0.5"),
        ];
        let (merged, _) = run(&BANS, &t, request("GET", "/api/v1/bans/active", &asking));
        let (one, _) = run(
            &BANS,
            &t,
            request("GET", "/api/v1/bans/active?host=web2", &asking),
        );
        let (plain, _) = run(
            &BANS,
            &t,
            request("GET", "/api/v1/bans/active?host=web2", &asking[..1]),
        );
        assert_eq!((merged.status, one.status, plain.status), (200, 200, 200));
        let sent = t.sent.borrow();
        let codings: Vec<Option<&str>> = sent.iter().map(|o| o.header("accept-encoding")).collect();
        // The merge reads both agents' JSON; the single host's answer goes out as it came.
        assert_eq!(codings, [None, None, Some("gzip, br;q=0.5"), None]);
    }

    #[test]
    fn unknown_hosts_and_dead_agents() {
        let t = fake(agents(|_| dead(), |_| dead()));
        let auth = bearer(NOW);
        let (r, body) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails/sshd?host=web9",
                &[("authorization", &auth)],
            ),
        );
        assert_eq!(
            (r.status, body["metadata"]["field"].as_str()),
            (400, Some("host"))
        );
        let (r, body) = run(
            &JAILS,
            &t,
            request("GET", "/api/v1/jails/sshd", &[("authorization", &auth)]),
        );
        assert_eq!(
            (r.status, body["code"].as_str()),
            (502, Some("agent_unreachable"))
        );
        assert_eq!(body["metadata"]["host"], "web1");
    }

    #[test]
    fn fleet_views_merge_and_survive_a_dead_agent() {
        let t = fake(agents(
            |_| {
                json_up(
                    200,
                    json!({"items": [{"ip": "192.0.2.1", "banned_at": "2026-01-01T00:00:00Z"}], "total": 1}),
                )
            },
            |_| dead(),
        ));
        let (r, body) = run(
            &BANS,
            &t,
            request(
                "GET",
                "/api/v1/bans/active",
                &[("authorization", &bearer(NOW))],
            ),
        );
        assert_eq!(r.status, 200);
        assert_eq!(body["items"][0]["host"], "web1");
        assert_eq!(body["total"], 1);
        assert_eq!(body["hosts"][1]["ok"], false);
        assert_eq!(body["hosts"][1]["error"]["code"], "agent_unreachable");
    }

    #[test]
    fn paged_views_ask_each_agent_for_the_prefix() {
        let list = |names: &[&str]| {
            let items: Vec<Value> = names.iter().map(|n| json!({"name": n})).collect();
            let total = items.len();
            json_up(200, json!({"items": items, "pagination": {"total": total}}))
        };
        let t = fake(agents(
            move |_| list(&["a", "c"]),
            move |_| list(&["b", "d"]),
        ));
        let (r, body) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails?page=2&page_size=1&x=y",
                &[("authorization", &bearer(NOW))],
            ),
        );
        assert_eq!(r.status, 200);
        assert_eq!(body["items"], json!([{"name": "b", "host": "web2"}]));
        assert_eq!(body["pagination"]["total"], 4);
        assert_eq!(
            paths(&t),
            [
                "localhost:8651 /api/v1/jails?x=y&page=1&page_size=2",
                "localhost:8652 /api/v1/jails?x=y&page=1&page_size=2"
            ]
        );
        let (r, _) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails?page=0",
                &[("authorization", &bearer(NOW))],
            ),
        );
        assert_eq!(r.status, 400);
        let (r, body) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails?page=100&page_size=500",
                &[("authorization", &bearer(NOW))],
            ),
        );
        assert_eq!(r.status, 400);
        assert!(body["detail"].as_str().unwrap().contains("?host="));
    }

    #[test]
    fn stale_tokens_are_revalidated_and_refreshed() {
        let t = fake(agents(
            |p| match p {
                "/api/v1/auth/session" => json_up(200, json!({"valid": true})),
                _ => json_up(200, json!({"ok": 1})),
            },
            |_| dead(),
        ));
        let stale = token(NOW - 61);
        let (r, _) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails/sshd",
                &[("cookie", &format!("bangui_session={stale}"))],
            ),
        );
        assert_eq!(r.status, 200);
        let cookie = r.header("set-cookie").unwrap();
        assert!(
            cookie.contains("Max-Age=3600") && cookie.ends_with("Secure"),
            "{cookie}"
        );
        let fresh = cookie
            .split(';')
            .next()
            .unwrap()
            .trim_start_matches("bangui_session=");
        let claims = bangui_shared::session::verify(fresh, KEY.as_bytes(), NOW).unwrap();
        assert_eq!((claims.sid.as_str(), claims.iat), ("the-sid", NOW));
        assert_eq!(
            paths(&t),
            [
                "localhost:8651 /api/v1/auth/session",
                "localhost:8651 /api/v1/jails/sshd"
            ]
        );
        assert_eq!(
            t.sent.borrow()[0].header("authorization"),
            Some(format!("Bearer {stale}").as_str())
        );

        let (r, _) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails/sshd",
                &[("authorization", &format!("Bearer {stale}"))],
            ),
        );
        assert!(r.header("x-bangui-session-token").is_some());
        assert_eq!(r.header("set-cookie"), None);

        // A fresh token is not re-checked.
        let t = fake(agents(|_| json_up(200, json!({})), |_| dead()));
        let (r, _) = run(
            &JAILS,
            &t,
            request(
                "GET",
                "/api/v1/jails/sshd",
                &[("authorization", &bearer(NOW - 59))],
            ),
        );
        assert_eq!(r.header("x-bangui-session-token"), None);
        assert_eq!(paths(&t), ["localhost:8651 /api/v1/jails/sshd"]);
    }

    #[test]
    fn ended_sessions_are_refused_before_forwarding() {
        let t = fake(agents(
            |p| match p {
                "/api/v1/auth/session" => error_up(401, "authentication_required"),
                _ => panic!("must not forward"),
            },
            |_| panic!("must not forward"),
        ));
        let (r, body) = run(
            &BANS,
            &t,
            request(
                "DELETE",
                "/api/v1/bans/all",
                &[("authorization", &bearer(NOW - 3_000))],
            ),
        );
        assert_eq!(
            (r.status, body["code"].as_str()),
            (401, Some("authentication_required"))
        );
        let t = fake(agents(|_| dead(), |_| dead()));
        let (r, body) = run(
            &BANS,
            &t,
            request(
                "DELETE",
                "/api/v1/bans/all",
                &[("authorization", &bearer(NOW - 3_000))],
            ),
        );
        assert_eq!(r.status, 502);
        assert!(body["detail"]
            .as_str()
            .unwrap()
            .starts_with("cannot revalidate"));
    }

    #[test]
    fn auth_routes_go_to_the_control_agent() {
        let t = fake(agents(
            |_| {
                let mut up = json_up(200, json!({"message": "Logged out"})).unwrap();
                up.headers
                    .push(("set-cookie".into(), b"bangui_session=; Max-Age=0".to_vec()));
                Ok(up)
            },
            |_| panic!("auth is app-level"),
        ));
        // Logout works without a valid session and hands the token on.
        let (r, _) = run(
            &AUTH,
            &t,
            request(
                "POST",
                "/api/v1/auth/logout",
                &[("authorization", "Bearer junk")],
            ),
        );
        assert_eq!(r.status, 200);
        assert_eq!(r.header("set-cookie"), Some("bangui_session=; Max-Age=0"));
        assert_eq!(
            t.sent.borrow()[0].header("authorization"),
            Some("Bearer junk")
        );
        assert_eq!(t.sent.borrow()[0].header("x-bangui-session"), None);
        // Login is public: no token travels.
        let (r, _) = run(
            &AUTH,
            &t,
            request(
                "POST",
                "/api/v1/auth/login",
                &[("authorization", "Bearer junk")],
            ),
        );
        assert_eq!(r.status, 200);
        assert_eq!(t.sent.borrow()[1].header("authorization"), None);
        assert_eq!(t.sent.borrow()[1].timeouts, Timeouts::WRITE);
    }

    #[test]
    fn health_is_public_and_merged() {
        let t = fake(agents(
            |_| {
                json_up(
                    200,
                    json!({"status": "ok", "fail2ban": "online", "version": "1.1.0", "components": []}),
                )
            },
            |_| {
                json_up(
                    503,
                    json!({"status": "unavailable", "fail2ban": "offline", "version": null, "components": [{"name": "fail2ban", "status": "error"}]}),
                )
            },
        ));
        let (r, body) = run(&HEALTH, &t, request("GET", "/api/v1/health", &[]));
        assert_eq!(r.status, 503);
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["components"][0]["host"], "web2");
        let (r, body) = run(&HEALTH, &t, request("GET", "/api/v1/health?host=web1", &[]));
        assert_eq!((r.status, body["status"].as_str()), (200, Some("ok")));
        assert!(body.get("hosts").is_none(), "one host answers as itself");
    }

    #[test]
    fn hosts_inventory_lists_every_agent() {
        let t = fake(agents(
            |_| {
                json_up(
                    200,
                    json!({"status": "ok", "fail2ban": "online", "version": "1.1.0",
                        "certificate_expires_at": "2027-11-29T08:00:00Z"}),
                )
            },
            |_| dead(),
        ));
        let (r, body) = run(&HEALTH, &t, request("GET", "/api/v1/hosts", &[]));
        assert_eq!(r.status, 401);
        let (r, body2) = run(
            &HEALTH,
            &t,
            request("GET", "/api/v1/hosts", &[("authorization", &bearer(NOW))]),
        );
        assert_eq!(r.status, 200, "{body}");
        assert_eq!(body2["total"], 2);
        assert_eq!(
            body2["items"][0],
            json!({"name": "web1", "url": "https://localhost:8651", "role": "control",
                "reachable": true, "status": "ok", "fail2ban": "online",
                "fail2ban_version": "1.1.0", "certificate_expires_at": "2027-11-29T08:00:00Z"})
        );
        assert!(t
            .sent
            .borrow()
            .iter()
            .filter(|o| o.path_and_query == "/api/v1/health")
            .all(|o| o.header("x-bangui-inventory") == Some("1")));
        assert_eq!(body2["items"][1]["role"], "agent");
        assert_eq!(body2["items"][1]["reachable"], false);
        assert_eq!(body2["items"][1]["error"]["code"], "agent_unreachable");
        let (r, _) = run(&HEALTH, &t, request("DELETE", "/api/v1/hosts", &[]));
        assert_eq!(r.status, 405);
        let (r, _) = run(&BANS, &t, request("GET", "/api/v1/hosts", &[]));
        assert_eq!(r.status, 404, "only the inventory component serves it");
    }

    #[test]
    fn body_and_settings_trouble() {
        let t = fake(|_| dead());
        let mut req = request("POST", "/api/v1/bans", &[]);
        req.body_error = Some(ApiError::new(ErrorCode::PayloadTooLarge, "too big"));
        let (r, _) = run(&BANS, &t, req);
        assert_eq!(r.status, 413);
        let bad = futures::executor::block_on(handle(
            &BANS,
            Settings::load(|_| None),
            &t,
            NOW,
            request("GET", "/api/v1/bans/active", &[]),
        ));
        assert_eq!(bad.status, 500);
    }
}
