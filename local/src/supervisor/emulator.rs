//! The emulator the stack talks to: the one `AWS_ENDPOINT_URL` names when the stack may
//! reuse it, else moto from `.venv` (with the fixes of `local/emulator.py`) on the stack's
//! port; and the SDK environment that points this process, and all it starts, at it.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::process::Command;

use super::{
    readiness::{ensure_free, wait_for_port},
    spawn, Supervised,
};
use crate::Error;

/// Starts the emulator on `port` (or, with `reuse`, uses the one `AWS_ENDPOINT_URL`
/// names) and sets the SDK environment for it. Returns its endpoint and, when this stack
/// started it, its process (killed if this fails after starting it).
pub(super) async fn start(
    root: &Path,
    venv_bin: &Path,
    port: u16,
    reuse: bool,
) -> Result<(String, Option<Supervised>), Error> {
    let mut started = None;
    let external = std::env::var("AWS_ENDPOINT_URL").ok().filter(|_| reuse);
    let endpoint = match external {
        Some(url) => {
            println!("using the emulator at {url}");
            url
        }
        None => {
            ensure_free(port, "emulator")?;
            // moto with the fixes of local/emulator.py, one request at a time.
            let python = venv_bin.join("python");
            if !python.exists() {
                return Err(format!(
                    "{} is missing: run `make dev` (it creates .venv)",
                    python.display()
                )
                .into());
            }
            let emulator = spawn(
                "moto",
                Command::new(python)
                    .arg(root.join("local").join("emulator.py"))
                    .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null()),
            )?;
            started = Some(emulator);
            wait_for_port(port, "moto", Duration::from_secs(30)).await?;
            format!("http://127.0.0.1:{port}")
        }
    };
    for (k, v) in [
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ] {
        std::env::set_var(k, v);
    }
    for (k, v) in [
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
    ] {
        if std::env::var(k).is_err() {
            std::env::set_var(k, v);
        }
    }
    Ok((endpoint, started))
}
