//! `corrcause export lm-eval` and `corrcause export inspect`: a dataset as a task of
//! lm-evaluation-harness or inspect_ai (the logs come back through `corrcause score`).

use crate::dataset::DatasetSource;
use crate::error::Result;
use crate::run::export::{inspect, lm_eval, rows, tasks, Asking};
use crate::run::plan::PromptOptions;
use crate::run::prompt::Prompt;
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct HarnessExportArgs {
    /// The dataset: a folder `corrcause generate` wrote, a corrcause JSONL file, or a Corr2Cause
    /// CSV.
    #[arg(long)]
    pub dataset: PathBuf,
    /// The split of a dataset folder (default: test when it has splits; `all` for every split).
    #[arg(long)]
    pub split: Option<String>,
    /// The folder to write the task into.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub prompt: PromptOptions,
    /// Seed of the choice of worked examples (as `corrcause run --seed`).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The most tokens to write (default: 1024 for --prompt cot, else 16).
    #[arg(long)]
    pub max_tokens: Option<u32>,
    /// Sampling temperature.
    #[arg(long, default_value_t = 0.0)]
    pub temperature: f64,
}

/// Which harness a task is written for.
#[derive(Clone, Copy, Debug)]
pub enum Harness {
    LmEval,
    Inspect,
}

/// Runs `corrcause export lm-eval|inspect`.
pub fn run(harness: Harness, a: HarnessExportArgs) -> Result<()> {
    let source = DatasetSource::resolve(&a.dataset, a.split.as_deref())?;
    let prompt = a.prompt.prompt()?;
    let asking = Asking {
        shots: a.prompt.shots(&source.files[0], a.seed)?,
        max_tokens: a.max_tokens.unwrap_or(if prompt == Prompt::ChainOfThought {
            1024
        } else {
            16
        }),
        temperature: a.temperature,
        prompt,
    };
    // A Corr2Cause CSV is read as JSON lines written to a scratch folder, removed afterwards.
    let scratch = std::env::temp_dir().join(format!("corrcause-export-{}", std::process::id()));
    let rows = source
        .jsonl_files(&scratch)
        .and_then(|files| rows(&files, &asking));
    let _ = std::fs::remove_dir_all(&scratch);
    let rows = rows?;
    match harness {
        Harness::LmEval => {
            lm_eval::write(&a.out, &rows, &asking)?;
            let names = tasks(&rows);
            eprintln!(
                "{} items in {} lm-eval task(s) ({}) in {}; run: lm_eval --include_path {} --tasks corrcause --log_samples ...",
                rows.len(),
                names.len(),
                names.join(", "),
                a.out.display(),
                a.out.display()
            );
        }
        Harness::Inspect => {
            inspect::write(&a.out, &rows, &asking)?;
            eprintln!(
                "{} items in {}; run: inspect eval {} --model ...",
                rows.len(),
                a.out.display(),
                a.out.join("corrcause.py").display()
            );
        }
    }
    Ok(())
}
