//! The real `bangui-devhost` binary (the in-repo Spin host), running the project's
//! `spin.toml` with the built components.

use std::fmt;
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

/// What to run: the manifest, the runtime config, `--variable` values and secret variables.
#[derive(Clone, Default)]
pub struct DevHostConfig {
    pub manifest: PathBuf,
    pub runtime_config: Option<PathBuf>,
    pub variables: Vec<(String, String)>,
    /// Passed as `SPIN_VARIABLE_<NAME>` in the dev host's environment: a `--variable` value is
    /// in its command line, which every local user can read (`ps`); `--variable` still wins.
    pub secrets: Vec<(String, String)>,
    /// `--listen`; default `127.0.0.1:0`.
    pub listen: Option<String>,
    pub echo_output: bool,
}

impl fmt::Debug for DevHostConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secrets: Vec<&str> = self.secrets.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("DevHostConfig")
            .field("manifest", &self.manifest)
            .field("runtime_config", &self.runtime_config)
            .field("variables", &self.variables)
            .field("secrets", &secrets)
            .field("listen", &self.listen)
            .finish_non_exhaustive()
    }
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
        for (name, value) in &config.secrets {
            command.env(
                format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()),
                value,
            );
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
