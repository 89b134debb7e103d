//! `bangui-devhost`: a **development and test host** that runs the BanGUI edge's `spin.toml`
//! (WASIp2 components built with spin-sdk 5.x) on wasmtime, the way `spin up` would.
//!
//! Spin itself cannot be installed from the package registries this project uses, so local runs
//! and CI use this host. Production runs real Spin: `spin up --runtime-config-file
//! deploy/runtime-config.toml`, SpinKube or Fermyon Cloud (see `deploy/README.md`).
//!
//! What it does, following Spin's own sources:
//! - reads `spin.toml` v2 ([`manifest`]) and the `[[client_tls]]` part of a Spin runtime-config
//!   file ([`runtime_config`]), with Spin's exact keys;
//! - routes with `routefinder` like Spin's `spin-http-routes` and adds the `spin-*` headers
//!   ([`routes`]);
//! - implements `fermyon:spin/variables@2.0.0` with `--variable` (Spin 3.5's four forms,
//!   [`variable_sources`]) / `SPIN_VARIABLE_*` / default
//!   resolution ([`variables`]);
//! - enforces `allowed_outbound_hosts` ([`allowed_hosts`]) and sends outbound HTTP(S) over
//!   pooled connections with the `[[client_tls]]` client certificate ([`outbound`]);
//! - mounts `files` directory mappings read-only into the component ([`files`]);
//! - pre-instantiates every component (compiled code cached on disk by wasmtime's compilation
//!   cache) and serves each request in a fresh instance ([`engine`], [`server`]), on worker
//!   threads that each run a request from start to end ([`worker`]).
//!
//! What it does not do: WASIp3 components (spin-sdk 6/7), key-value, SQLite, LLM, Redis, MQTT,
//! file glob patterns, service chaining, component dependencies, WAGI, static responses, HTTPS
//! on the listener, `.env` files, variable providers (Vault, Azure), `spin build`/`watch`, OpenTelemetry,
//! outbound HTTP/2 and `[outbound_networking]` limits. A manifest that uses one of these fails at
//! start-up with a message saying so, instead of behaving differently from Spin.

#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod allowed_hosts;
pub mod engine;
pub mod files;
pub mod manifest;
pub mod outbound;
pub mod routes;
pub mod runtime_config;
pub mod server;
pub mod variable_sources;
pub mod variables;
pub mod worker;
