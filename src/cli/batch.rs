//! `corrcause export batch` and `corrcause import batch`: requests for providers' batch
//! endpoints (the OpenAI Batch API form), and their results back as predictions.

use crate::dataset::DatasetSource;
use crate::error::{Error, Result};
use crate::output::OutputLock;
use crate::run::batch::{export, import};
use crate::run::openai::parse_spec;
use crate::run::plan::{PromptOptions, RequestOptions};
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// What `export` writes.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// One OpenAI Batch API request per item (JSONL with custom_id, method, url, body).
    Batch(ExportBatchArgs),
    /// An lm-evaluation-harness task folder (`lm_eval --include_path DIR --tasks corrcause`).
    #[command(name = "lm-eval")]
    LmEval(super::harness::HarnessExportArgs),
    /// An inspect_ai task (`inspect eval DIR/corrcause.py`).
    Inspect(super::harness::HarnessExportArgs),
}

/// What `import` reads.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// A Batch API result file, turned into predictions for `corrcause score`.
    Batch(ImportBatchArgs),
}

#[derive(Args, Debug)]
pub struct ExportBatchArgs {
    /// The dataset whose items are asked: a folder `corrcause generate` wrote, a corrcause JSONL
    /// file, or a Corr2Cause CSV.
    #[arg(long)]
    pub dataset: PathBuf,
    /// The split of a dataset folder (default: test when it has splits; `all` for every split).
    #[arg(long)]
    pub split: Option<String>,
    /// The model name the provider knows (or an openai:MODEL@BASE_URL spec, whose name is taken).
    #[arg(long)]
    pub model: String,
    #[command(flatten)]
    pub prompt: PromptOptions,
    #[command(flatten)]
    pub request: RequestOptions,
    /// Seed of the choice of worked examples.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// The request file to write (atomically).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
}

#[derive(Args, Debug)]
pub struct ImportBatchArgs {
    /// The provider's result file (JSONL with custom_id and response or error).
    pub results: PathBuf,
    /// The prediction file to write (atomically).
    #[arg(long, short = 'o')]
    pub output: PathBuf,
}

/// Runs `corrcause export ...`.
pub fn run_export(command: ExportCommand) -> Result<()> {
    let a = match command {
        ExportCommand::Batch(a) => a,
        ExportCommand::LmEval(a) => return super::harness::run(super::harness::Harness::LmEval, a),
        ExportCommand::Inspect(a) => {
            return super::harness::run(super::harness::Harness::Inspect, a)
        }
    };
    let model = if a.model.starts_with("openai:") {
        parse_spec(&a.model).map_err(Error::Usage)?.0
    } else {
        a.model.clone()
    };
    let prompt = a.prompt.prompt()?;
    let source = DatasetSource::resolve(&a.dataset, a.split.as_deref())?;
    let graph = crate::score::graph::data::is_graph_dataset(&source)?;
    let shots = a.prompt.shots(&source.files[0], a.seed)?;
    let settings = a
        .request
        .settings(&prompt, graph)
        .map_err(|e| Error::Usage(format!("--model {}: {e}", a.model)))?;
    // A Corr2Cause CSV is read as JSON lines written to a scratch folder, removed afterwards.
    let scratch = std::env::temp_dir().join(format!("corrcause-export-{}", std::process::id()));
    let exported = source
        .jsonl_files(&scratch)
        .and_then(|files| export(&files, &prompt, &shots, &model, &settings, &a.output));
    let _ = std::fs::remove_dir_all(&scratch);
    let n = exported?;
    eprintln!("{n} requests for {model} in {}", a.output.display());
    Ok(())
}

/// Runs `corrcause import ...`.
pub fn run_import(command: ImportCommand) -> Result<()> {
    let ImportCommand::Batch(a) = command;
    let _lock = OutputLock::file(&a.output, "import batch", "-o")?;
    let imported = import(&a.results, &a.output)?;
    eprintln!(
        "{} predictions in {}",
        imported.answered,
        a.output.display()
    );
    if let Some((line, id, why)) = imported.failed.first() {
        return Err(Error::Model {
            model: a.results.display().to_string(),
            message: format!(
                "{} requests were not answered and are not in the predictions (first: line {line}, {id:?}: {why}); resubmit them",
                imported.failed.len()
            ),
        });
    }
    Ok(())
}
