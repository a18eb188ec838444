//! `corrcause run`: the library's [`RunOptions`] plan, run and scored by
//! [`run_and_score_keeping`], with progress shown and SIGINT/SIGTERM caught here.

use crate::error::{Error, Result};
use crate::output::Output;
use crate::run::plan::{ModelRun, RunOptions};
use crate::run::stop::Interrupt;
use crate::score::export::Format;
use crate::score::plan::{run_and_score_keeping, RunReport};
use clap::Args;

/// Options of `corrcause run`.
#[derive(Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub options: RunOptions,
}

/// Runs `corrcause run`.
pub fn run(a: RunArgs) -> Result<()> {
    // SIGINT and SIGTERM stop the run cleanly; a second one ends it at once.
    let interrupt = Interrupt::on_signals()
        .map_err(|e| Error::Usage(format!("cannot watch for SIGINT and SIGTERM: {e}")))?;
    let plan = a.options.plan(|v| std::env::var(v).ok())?;
    let display = a.options.display();
    let shard = plan.shard;
    let session = plan.start()?;
    let (report, outcome, scored) = run_and_score_keeping(
        &session,
        &interrupt,
        display,
        &mut |m: &ModelRun| {
            if let Some(s) = &m.asked {
                eprintln!(
                "{}: {} items: {} from the journal, {} from the cache, {} asked now ({} retries), {} without an answer",
                m.spec, s.items, s.from_journal, s.from_cache, s.asked, s.retries, s.failed.len()
            );
            }
            if let Some(s) = shard {
                eprintln!(
                    "{}: shard {} of {}: {} items answered in {}",
                    m.spec,
                    s.index,
                    s.count,
                    m.answered,
                    m.folder.display()
                );
            }
        },
    )?;
    if !matches!(report, RunReport::Shard) {
        let mut stdout = Output::open(None)?;
        stdout.put(report.render(Format::Table).as_bytes())?;
        stdout.finish()?;
        eprintln!(
            "predictions and reports in {}",
            session.plan.options.out.display()
        );
    }
    // The process ends here: the items and answers are left to it rather than freed one by one.
    std::mem::forget(scored);
    outcome.finish()
}
