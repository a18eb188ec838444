//! `corrcause score`: the library's [`ScoreSession`] over prediction files, as a table, JSON,
//! Markdown or HTML.

use crate::error::{Error, Result};
use crate::output::Output;
use crate::score::export::Format;
use crate::score::plan::{ScoreOptions, ScoreSession};
use clap::Args;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct ScoreArgs {
    #[command(flatten)]
    pub options: ScoreOptions,
    /// A prediction file (JSON lines with `id` and `output` or `prediction`), or a harness log
    /// (lm-eval's samples_*.jsonl, inspect's .eval or .json); repeat for more models.
    #[arg(long = "predictions", required = true)]
    pub predictions: Vec<PathBuf>,
    /// A name for each prediction file, in order (default: the model named by the
    /// `manifest.json` beside it, as `corrcause run` and `merge` write, else the model a harness
    /// log names, else the file stem).
    #[arg(long = "name")]
    pub names: Vec<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Write the report to this file (atomically).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print how each raw answer was read, and nothing else.
    #[arg(long)]
    pub explain_parse: bool,
}

/// Runs `corrcause score`.
pub fn run(a: ScoreArgs) -> Result<()> {
    if !a.names.is_empty() && a.names.len() != a.predictions.len() {
        return Err(Error::Usage(format!(
            "{} --name for {} --predictions files",
            a.names.len(),
            a.predictions.len()
        )));
    }
    let mut session = ScoreSession::open(a.options)?;
    for (k, path) in a.predictions.iter().enumerate() {
        session.add_file(path, a.names.get(k).cloned(), a.explain_parse)?;
    }
    let mut out = Output::open(a.out.as_deref())?;
    if a.explain_parse {
        for line in session.readings() {
            out.put(format!("{line}\n").as_bytes())?;
        }
        return out.finish();
    }
    out.put(session.report().render(a.format).as_bytes())?;
    // The process ends here: the items and answers are left to it rather than freed one by one.
    std::mem::forget(session);
    out.finish()
}
