//! `make events`: writes `events/<binary>.json` for every function of template.yaml (and
//! removes the samples of functions that are gone). `--check` only lists what is stale and
//! exits 1 if anything is.

use std::process::ExitCode;

use gymit_sample_events as samples;

fn main() -> ExitCode {
    let check = std::env::args().skip(1).any(|a| a == "--check");
    let built = match samples::template().and_then(|t| samples::samples(&t)) {
        Ok(built) => built,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let dir = samples::events_dir();
    if check {
        let stale = samples::stale(&dir, &built);
        if stale.is_empty() {
            println!("{} sample events are up to date", built.len());
            return ExitCode::SUCCESS;
        }
        eprintln!("stale sample events (run `make events`):");
        for s in stale {
            eprintln!("  {s}");
        }
        return ExitCode::FAILURE;
    }
    match samples::write(&dir, &built) {
        Ok(changed) => {
            for c in &changed {
                println!("wrote events/{c}");
            }
            println!("{} sample events, {} changed", built.len(), changed.len());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("writing {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
