//! `corrcause export batch` and `corrcause import batch`: requests for providers' batch
//! endpoints (the OpenAI Batch API form), and their results back as predictions.

use super::run::{PromptArgs, RequestArgs};
use crate::error::{Error, Result};
use crate::run::batch::{export, import};
use crate::run::openai::parse_spec;
use clap::{Args, Subcommand};
use std::path::PathBuf;

/// What `export` writes.
#[derive(Subcommand, Debug)]
pub enum ExportCommand {
    /// One OpenAI Batch API request per item (JSONL with custom_id, method, url, body).
    Batch(ExportBatchArgs),
}

/// What `import` reads.
#[derive(Subcommand, Debug)]
pub enum ImportCommand {
    /// A Batch API result file, turned into predictions for `corrcause score`.
    Batch(ImportBatchArgs),
}

#[derive(Args, Debug)]
pub struct ExportBatchArgs {
    /// The corrcause JSONL dataset whose items are asked.
    #[arg(long)]
    pub dataset: PathBuf,
    /// The model name the provider knows (or an openai:MODEL@BASE_URL spec, whose name is taken).
    #[arg(long)]
    pub model: String,
    #[command(flatten)]
    pub prompt: PromptArgs,
    #[command(flatten)]
    pub request: RequestArgs,
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
    let ExportCommand::Batch(a) = command;
    let model = if a.model.starts_with("openai:") {
        parse_spec(&a.model).map_err(Error::Usage)?.0
    } else {
        a.model.clone()
    };
    let prompt = a.prompt.prompt()?;
    let graph = crate::score::graph::data::is_graph_dataset(&a.dataset)?;
    if graph && a.prompt.shots > 0 {
        return Err(Error::Usage(
            "--shots puts worked yes/no examples first; graph items take no shots".into(),
        ));
    }
    let shots = a.prompt.shots(&a.dataset, a.seed)?;
    let settings = a
        .request
        .settings(&prompt, graph)
        .map_err(|e| Error::Usage(format!("--model {}: {e}", a.model)))?;
    let n = export(
        std::slice::from_ref(&a.dataset),
        &prompt,
        &shots,
        &model,
        &settings,
        &a.output,
    )?;
    eprintln!("{n} requests for {model} in {}", a.output.display());
    Ok(())
}

/// Runs `corrcause import ...`.
pub fn run_import(command: ImportCommand) -> Result<()> {
    let ImportCommand::Batch(a) = command;
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
