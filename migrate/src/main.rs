//! `gymit-migrate import | verify`: see the library and docs/migration.md.

use std::process::ExitCode;

use chrono::{DateTime, Utc};
use gymit_migrate::{import, verify, MigrateError};

const USAGE: &str = "usage:
  gymit-migrate import --database-url postgres://… [--dry-run] [--since <RFC 3339>]
                       [--report <file.json>] [--max-writes-per-second N]
                       [--root-admin-email EMAIL]
  gymit-migrate verify --database-url postgres://… [--root-admin-email EMAIL]

Tables: AUTH_TABLE, USERS_TABLE, TOURNAMENTS_TABLE (default gymit-auth, gymit-users,
gymit-tournaments: the local stack's); endpoint AWS_ENDPOINT_URL (real AWS when unset).
--database-url defaults to DATABASE_URL, --root-admin-email to ROOT_ADMIN_EMAIL.";

struct Args {
    command: String,
    options: import::Options,
    report: Option<std::path::PathBuf>,
}

fn parse(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let command = args.next().ok_or("no command")?;
    if !matches!(command.as_str(), "import" | "verify") {
        return Err(format!("unknown command {command:?}"));
    }
    let mut options = import::Options {
        database_url: std::env::var("DATABASE_URL").unwrap_or_default(),
        root_admin_email: std::env::var("ROOT_ADMIN_EMAIL")
            .ok()
            .filter(|e| !e.is_empty()),
        ..Default::default()
    };
    let mut report = None;
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--database-url" => options.database_url = value()?,
            "--dry-run" => options.dry_run = true,
            "--since" => {
                let v = value()?;
                let at = DateTime::parse_from_rfc3339(&v)
                    .map_err(|_| format!("--since {v:?} is not an RFC 3339 date-time"))?;
                options.since = Some(at.with_timezone(&Utc));
            }
            "--report" => report = Some(value()?.into()),
            "--max-writes-per-second" => {
                let v = value()?;
                let n = v.parse::<u32>().ok().filter(|n| *n > 0).ok_or(format!(
                    "--max-writes-per-second {v:?} is not a positive number"
                ))?;
                options.max_writes_per_second = Some(n);
            }
            "--root-admin-email" => options.root_admin_email = Some(value()?),
            other => return Err(format!("unknown option {other:?}")),
        }
    }
    if options.database_url.is_empty() {
        return Err("--database-url (or DATABASE_URL) is required".into());
    }
    if command == "verify" && (options.dry_run || options.since.is_some() || report.is_some()) {
        return Err("verify takes only --database-url and --root-admin-email".into());
    }
    Ok(Args {
        command,
        options,
        report,
    })
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("gymit-migrate: {e}\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let result = match args.command.as_str() {
        "import" => run_import(&args).await,
        _ => run_verify(&args).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("gymit-migrate: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_import(args: &Args) -> Result<ExitCode, MigrateError> {
    let report = import::import(&args.options).await?;
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report)
            .map_err(|e| MigrateError::Report(std::io::Error::other(e)))?;
        std::fs::write(path, json).map_err(MigrateError::Report)?;
    }
    for e in report.entries.iter().take(20) {
        println!("{:?} {}:{}: {}", e.outcome, e.table, e.legacy_id, e.reason);
    }
    if report.entries.len() > 20 {
        println!("… {} more in the report", report.entries.len() - 20);
    }
    print!("{}", report.summary());
    Ok(ExitCode::SUCCESS)
}

async fn run_verify(args: &Args) -> Result<ExitCode, MigrateError> {
    let verdict = verify::verify(&args.options).await?;
    for (kind, (expected, found)) in &verdict.counts {
        println!("{kind}: {expected} expected, {found} found");
    }
    for d in verdict.differences.iter().take(50) {
        println!("difference: {d}");
    }
    if verdict.differences.is_empty() {
        println!("verify: no difference");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("verify: {} differences", verdict.differences.len());
        Ok(ExitCode::from(1))
    }
}
