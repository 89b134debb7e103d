//! The real `bangui-devhost` binary (the in-repo Spin host), running the project's
//! `spin.toml` with the built components.

use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use crate::agent::workspace_binary;
use crate::api::ApiClient;
use crate::error::HarnessError;
use crate::service::Service;

const READY_PREFIX: &str = "bangui-devhost listening on ";

/// A running dev host. Dropping it stops it.
#[derive(Debug)]
pub struct DevHost {
    service: Service,
    api: ApiClient,
}

/// What to run: the manifest, the runtime config, and `--variable` values (a secret as
/// `@FILE`, which keeps it off the command line).
#[derive(Debug, Clone, Default)]
pub struct DevHostConfig {
    pub manifest: PathBuf,
    pub runtime_config: Option<PathBuf>,
    pub variables: Vec<(String, String)>,
    /// `--listen`; default `127.0.0.1:0`.
    pub listen: Option<String>,
    pub echo_output: bool,
}

impl DevHost {
    pub fn start(config: &DevHostConfig) -> DevHost {
        Self::try_start(config).unwrap_or_else(|e| panic!("{e}"))
    }

    pub fn try_start(config: &DevHostConfig) -> Result<DevHost, HarnessError> {
        let bin = Self::binary_path();
        if !bin.is_file() {
            return Err(HarnessError::new(format!(
                "bangui-devhost binary not found at {}; run `cargo build --workspace`",
                bin.display()
            )));
        }
        let mut command = Command::new(&bin);
        command
            .arg("-f")
            .arg(&config.manifest)
            .arg("--listen")
            .arg(config.listen.as_deref().unwrap_or("127.0.0.1:0"));
        if let Some(rc) = &config.runtime_config {
            command.arg("--runtime-config-file").arg(rc);
        }
        for (name, value) in &config.variables {
            command.arg("--variable").arg(format!("{name}={value}"));
        }
        let service = Service::spawn("bangui-devhost", command, READY_PREFIX, config.echo_output)?;
        let api = ApiClient::new(service.base_url(), service.stderr_handle());
        Ok(DevHost { service, api })
    }

    /// `$BANGUI_DEVHOST_BIN`, else the workspace's `bangui-devhost`.
    pub fn binary_path() -> PathBuf {
        workspace_binary("BANGUI_DEVHOST_BIN", "bangui-devhost")
    }

    /// The workspace's `spin.toml`.
    pub fn manifest_path() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .unwrap_or(Path::new("."))
            .join("spin.toml")
    }

    pub fn stderr_text(&self) -> String {
        self.service.stderr_text()
    }

    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        self.service.try_wait()
    }

    pub fn stop(&mut self) -> Option<ExitStatus> {
        self.service.stop()
    }

    pub fn pid(&self) -> Option<u32> {
        self.service.pid()
    }
}

impl Deref for DevHost {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.api
    }
}
