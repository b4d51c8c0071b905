//! `gymit-local`: see the library's docs. Commands: `dev`, `test-env -- <cmd>`,
//! `provision`, `gateway`, `status`, `replay`, `trace`.

use std::sync::Arc;

use gymit_local::{
    gateway, invoke::Invoker, provision, replay, streams, supervisor, template::Template,
    workspace_root, Error,
};

const USAGE: &str = "usage: gymit-local <dev | test-env -- <command…> | provision [--env-file PATH] | gateway [--port N] [--lambda-url URL] | status [--url GATEWAY] | replay <queue> [--lambda-url URL] | trace <request id> [--url GATEWAY]>";

fn flag(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

async fn run(args: Vec<String>) -> Result<i32, Error> {
    match args.first().map(String::as_str) {
        Some("dev") => supervisor::dev().await,
        Some("test-env") => {
            let rest: Vec<String> = args
                .iter()
                .skip_while(|a| *a != "--")
                .skip(1)
                .cloned()
                .collect();
            supervisor::test_env(&rest).await
        }
        Some("provision") => {
            let mut template = Template::load(&workspace_root().join("template.yaml"))?;
            provision::provision(&mut template, false).await?;
            let endpoint = std::env::var("AWS_ENDPOINT_URL")
                .unwrap_or_else(|_| "http://127.0.0.1:4566".into());
            let env = provision::local_environment(&template, &endpoint, "http://127.0.0.1:8000")?;
            let path = flag(&args, "--env-file")
                .map(Into::into)
                .unwrap_or_else(|| workspace_root().join(".gymit/functions-9000.env"));
            provision::write_env_file(&path, &env)?;
            println!("wrote {}", path.display());
            Ok(0)
        }
        Some("gateway") => {
            let port: u16 = flag(&args, "--port")
                .map(|p| p.parse())
                .transpose()?
                .unwrap_or(8000);
            let lambda =
                flag(&args, "--lambda-url").unwrap_or_else(|| "http://127.0.0.1:9000".into());
            let mut template = Template::load(&workspace_root().join("template.yaml"))?;
            provision::provision(&mut template, true).await?;
            let gw = Arc::new(gateway::Gateway::new(&template, &lambda));
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            gymit_local::sns::subscribe(&template, &format!("http://127.0.0.1:{port}")).await?;
            streams::start(&template, gw.invoker.clone(), gw.mappings.clone());
            println!("gateway on http://127.0.0.1:{port} → {lambda}");
            gateway::serve(gw, listener).await?;
            Ok(0)
        }
        Some("status") => {
            let url = flag(&args, "--url").unwrap_or_else(|| "http://127.0.0.1:8000".into());
            let body = reqwest::get(format!("{}/_local/status", url.trim_end_matches('/')))
                .await?
                .text()
                .await?;
            let status: serde_json::Value = serde_json::from_str(&body)?;
            println!("{}", serde_json::to_string_pretty(&status)?);
            Ok(0)
        }
        Some("trace") => {
            let Some(request_id) = args.get(1).filter(|q| !q.starts_with("--")) else {
                eprintln!("{USAGE}");
                return Ok(2);
            };
            let url = flag(&args, "--url").unwrap_or_else(|| "http://127.0.0.1:8000".into());
            let res = reqwest::get(format!(
                "{}/_local/traces/{request_id}",
                url.trim_end_matches('/')
            ))
            .await?;
            let found = res.status().is_success();
            let body: serde_json::Value = serde_json::from_str(&res.text().await?)?;
            if !found {
                eprintln!("{}", body["message"].as_str().unwrap_or("no such trace"));
                return Ok(1);
            }
            print!("{}", body["tree"].as_str().unwrap_or_default());
            Ok(0)
        }
        Some("replay") => {
            let Some(queue) = args.get(1).filter(|q| !q.starts_with("--")) else {
                eprintln!("{USAGE}");
                return Ok(2);
            };
            let lambda =
                flag(&args, "--lambda-url").unwrap_or_else(|| "http://127.0.0.1:9000".into());
            let mut template = Template::load(&workspace_root().join("template.yaml"))?;
            provision::provision(&mut template, true).await?;
            let invoker = Invoker::new(&template, &lambda);
            let (replayed, failing) = replay::replay(&invoker, &template, queue).await?;
            println!("{queue}: {replayed} replayed, {failing} still failing");
            Ok(if failing == 0 { 0 } else { 1 })
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(2)
        }
    }
}

#[tokio::main]
async fn main() {
    gymit_local::init_logging();
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(args).await {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("gymit-local: {e}");
            std::process::exit(1);
        }
    }
}
