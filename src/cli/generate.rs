//! `corrcause generate`: the library's [`GenerateOptions`] plan with a progress bar.

use crate::dataset::config::PRESETS;
use crate::dataset::plan::{warning, GenerateOptions};
use crate::error::Result;
use clap::Args;
use std::io::IsTerminal;

/// Options of `corrcause generate`.
#[derive(Args, Debug)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub options: GenerateOptions,
    /// List the presets and exit.
    #[arg(long)]
    pub list_presets: bool,
}

/// Runs `corrcause generate`.
pub fn run(a: GenerateArgs) -> Result<()> {
    if a.list_presets {
        for (name, what, _) in PRESETS {
            println!("{name:24} {what}");
        }
        return Ok(());
    }
    let plan = a.options.plan(|v| std::env::var(v).ok())?;
    let bar = std::io::stderr().is_terminal().then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} premises  {elapsed} (eta {eta})",
            )
            .expect("valid template"),
        );
        b
    });
    let progress = |done: usize, total: usize| {
        if let Some(b) = &bar {
            b.set_length(total as u64);
            b.set_position(done as u64);
        }
    };
    let summary = plan.run(&progress)?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(w) = warning(&summary) {
        eprintln!("warning: {w}");
    }
    eprintln!(
        "wrote {} items from {} premises to {}",
        summary.items,
        summary.premises,
        plan.out.display()
    );
    Ok(())
}
