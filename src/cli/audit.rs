//! `corrcause audit FILE`: labels recomputed from premises, as a table or JSON.

use crate::dataset::{audit, DatasetSource};
use crate::error::Result;
use crate::output::Output;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

/// Report formats of `corrcause audit`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    Table,
    Json,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// A Corr2Cause CSV (columns input, label, ...), a corrcause JSONL file, or a dataset folder
    /// `corrcause generate` wrote.
    pub file: PathBuf,
    /// The split of a dataset folder (default: test when it has splits).
    #[arg(long)]
    pub split: Option<String>,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Runs `corrcause audit`.
pub fn run(a: AuditArgs) -> Result<()> {
    let source = DatasetSource::resolve(&a.file, a.split.as_deref())?;
    let report = audit(source.single_file()?)?;
    let text = match a.format {
        AuditFormat::Table => report.table(),
        AuditFormat::Json => serde_json::to_string(&report).expect("report serialises") + "\n",
    };
    let mut out = Output::open(a.output.as_deref())?;
    out.put(text.as_bytes())?;
    out.finish()
}
