//! The commands: `gymit-local dev` (the stack on the fixed ports until stopped) and
//! `gymit-local test-env -- <command>` (a stack of its own for one command).

use tokio::{
    process::Command,
    signal::unix::{signal, SignalKind},
};

use super::{Ports, Stack};
use crate::Error;

/// `gymit-local dev`: the stack on the fixed ports until Ctrl-C / SIGTERM or a child dies.
pub async fn dev() -> Result<i32, Error> {
    let mut term = signal(SignalKind::terminate())?;
    let mut stack = tokio::select! {
        s = Stack::start(Ports::fixed(), true, true) => s?,
        _ = tokio::signal::ctrl_c() => return Ok(130),
    };
    println!("{}", stack.ready_line());
    let code = tokio::select! {
        _ = tokio::signal::ctrl_c() => { println!("stopping"); 0 }
        _ = term.recv() => { println!("stopping"); 0 }
        name = stack.any_child_exit() => {
            tracing::error!(process = name, "a supervised process exited: stopping the stack");
            1
        }
    };
    stack.stop().await;
    Ok(code)
}

/// `gymit-local test-env -- <command>`: the stack on free ports with its own emulator, the
/// command run against it, the stack always stopped; exits with the command's code.
pub async fn test_env(command: &[String]) -> Result<i32, Error> {
    let (program, args) = command
        .split_first()
        .ok_or("usage: gymit-local test-env -- <command> [args…]")?;
    let mut term = signal(SignalKind::terminate())?;
    // Tests watch bans and password changes reach tokens: a short authorizer cache, as
    // API.md allows a test stack (printed with the ready line).
    if std::env::var("GYMIT_AUTHORIZER_CACHE_SECONDS").is_err() {
        std::env::set_var("GYMIT_AUTHORIZER_CACHE_SECONDS", "1");
    }
    let mut stack = Stack::start(Ports::free()?, false, false).await?;
    println!("{}", stack.ready_line());
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env("GYMIT_URL", &stack.gateway_url)
        .env(
            "GYMIT_WS_URL",
            format!("{}/ws", stack.gateway_url.replace("http://", "ws://")),
        )
        .env("GYMIT_LAMBDA_URL", &stack.lambda_url)
        .env(
            "GYMIT_EMULATOR_PID",
            stack
                .emulator_pid
                .map(|p| p.to_string())
                .unwrap_or_default(),
        )
        .env(
            "GYMIT_TEMPLATE",
            crate::workspace_root().join("template.yaml"),
        );
    for k in [
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_EC2_METADATA_DISABLED",
        "JWT_SECRET",
        "ROOT_ADMIN_EMAIL",
        "ROOT_ADMIN_PASSWORD",
    ] {
        if let Some(v) = stack.env.get(k) {
            cmd.env(k, v);
        }
    }
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("starting {program}: {e}"))?;
    let code = tokio::select! {
        status = child.wait() => status?.code().unwrap_or(1),
        _ = tokio::signal::ctrl_c() => { let _ = child.kill().await; 130 }
        _ = term.recv() => { let _ = child.kill().await; 143 }
        name = stack.any_child_exit() => {
            tracing::error!(process = name, "a supervised process exited during the tests");
            let _ = child.kill().await;
            1
        }
    };
    stack.stop().await;
    Ok(code)
}
