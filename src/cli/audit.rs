//! `corrcause audit FILE`: labels recomputed from premises, as a table or JSON; with `--shortcuts`,
//! how far shallow readers get on the dataset instead.

use crate::dataset::DatasetSource;
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
    /// `corrcause generate` wrote (of yes/no items, or of graph items: their targets are checked).
    pub file: PathBuf,
    /// The split of a dataset folder (default: test when it has splits; with --shortcuts every
    /// split is read: the readers are fitted on train and scored on test).
    #[arg(long)]
    pub split: Option<String>,
    /// Fit shallow readers (label prior, letter order, stated correlation, never separated, a
    /// small decision tree and a logistic regression) on the train split and score them on the
    /// test split (5-fold cross-validation over premises when there is no such split).
    #[arg(long)]
    pub shortcuts: bool,
    /// Bootstrap resamples of the test premises (with --shortcuts).
    #[arg(long, default_value_t = 1000)]
    pub bootstrap: usize,
    /// Seed of the resamples and folds (with --shortcuts).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Report format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write the report to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Runs `corrcause audit`.
pub fn run(a: AuditArgs) -> Result<()> {
    if a.shortcuts && a.split.is_some() {
        return Err(crate::error::Error::Usage(
            "--shortcuts reads every split (fitted on train, scored on test); leave out --split"
                .into(),
        ));
    }
    let text = if a.shortcuts {
        let o = crate::score::shortcuts::ShortcutOptions {
            bootstrap: a.bootstrap,
            seed: a.seed,
        };
        let report = crate::score::shortcuts::audit_shortcuts(&a.file, &o)?;
        match a.format {
            AuditFormat::Table => report.table(),
            AuditFormat::Json => serde_json::to_string(&report).expect("report serialises") + "\n",
        }
    } else {
        let source = DatasetSource::resolve(&a.file, a.split.as_deref())?;
        let audit = crate::dataset::audit::audit_source(&source)?;
        match a.format {
            AuditFormat::Table => audit.table(),
            AuditFormat::Json => audit.json(),
        }
    };
    let mut out = Output::open(a.output.as_deref())?;
    out.put(text.as_bytes())?;
    out.finish()
}
