//! The `corrcause` command line: argument parsing and dispatch. The top layer; it may use every
//! other module, and only the Python front end (`python`, which runs it in-process) uses it.

mod audit;
mod batch;
mod generate;
mod graph;
mod harness;
mod merge;
mod run;
mod score;

use crate::error::Result;
use clap::{Parser, Subcommand};

/// Measure whether language models can infer causation from correlation.
#[derive(Parser, Debug)]
#[command(name = "corrcause", version, about, long_about = None)]
pub struct Cli {
    /// Worker threads (default: every core). Results do not depend on it.
    #[arg(long, global = true)]
    pub threads: Option<usize>,
    #[command(subcommand)]
    pub command: Command,
}

/// The tool's commands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// DAG tools on JSON lines: independences, CPDAGs, MECs, relations, sampling, enumeration.
    #[command(subcommand)]
    Graph(graph::GraphCommand),
    /// Write a benchmark dataset: items, splits and a manifest (preset `default` unless told).
    Generate(Box<generate::GenerateArgs>),
    /// Recompute every label of a Corr2Cause CSV or corrcause JSONL from its premise text.
    Audit(audit::AuditArgs),
    /// Score model answers against a dataset, with bootstrap intervals and comparisons.
    Score(Box<score::ScoreArgs>),
    /// Ask models (OpenAI-compatible servers, programs, built-in baselines) every item and score them.
    Run(Box<run::RunArgs>),
    /// Join the shards of a dataset or of a run into exactly what one process writes.
    Merge(merge::MergeArgs),
    /// Write requests for a provider's batch endpoint (OpenAI Batch API JSONL), or the dataset as
    /// an lm-evaluation-harness or inspect_ai task.
    #[command(subcommand)]
    Export(batch::ExportCommand),
    /// Turn a provider's batch results into predictions for `corrcause score`.
    #[command(subcommand)]
    Import(batch::ImportCommand),
}

/// Parses the process's command line and runs it; returns the process exit code.
pub fn main() -> i32 {
    main_from(std::env::args_os())
}

/// Parses `argv` (the program name first) and runs it in this process, printing what the binary
/// prints; returns the exit code. The Python `corrcause` command and `main(argv)` call this.
pub fn main_from<I, T>(argv: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(argv) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version are printed to standard output and exit 0, as clap's own exit does.
            let _ = e.print();
            return e.exit_code();
        }
    };
    match run(cli) {
        Ok(()) => 0,
        // A reader that stopped early (`| head`) is not an error of ours.
        Err(crate::error::Error::Io { source, .. })
            if source.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            0
        }
        Err(crate::error::Error::Stopped { message, code }) => {
            eprintln!("{message}");
            code
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// Runs `f` on a pool of `threads` workers (every core when `None`). A pool of its own rather
/// than the global one, so a process (a Python session) can run commands with different counts.
pub fn with_threads<R: Send>(
    threads: Option<usize>,
    f: impl FnOnce() -> Result<R> + Send,
) -> Result<R> {
    match threads {
        None => f(),
        Some(threads) => rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .map_err(|e| crate::error::Error::Usage(format!("--threads {threads}: {e}")))?
            .install(f),
    }
}

/// Runs a parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    with_threads(cli.threads, || dispatch(cli.command))
}

fn dispatch(command: Command) -> Result<()> {
    match command {
        Command::Graph(cmd) => graph::run(cmd),
        Command::Generate(args) => generate::run(*args),
        Command::Audit(args) => audit::run(args),
        Command::Score(args) => score::run(*args),
        Command::Run(args) => run::run(*args),
        Command::Merge(args) => merge::run(args),
        Command::Export(cmd) => batch::run_export(cmd),
        Command::Import(cmd) => batch::run_import(cmd),
    }
}
