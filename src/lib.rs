#![doc = include_str!("../README.md")]
//!
//! Layers, each importing only those above it in this list:
//! - [`graph`]: DAGs, enumeration, seeded sampling;
//! - [`causal`]: d-separation, independence models, CPDAG and Markov equivalence classes,
//!   causal relations between pairs of variables;
//! - [`text`]: variable names, premises and hypotheses in words;
//! - [`dataset`]: Corr2Cause's exhaustive construction, records, presets, files;
//! - [`run`]: models answer the items (the built-in baselines so far);
//! - [`score`]: answers read, metrics with bootstrap intervals, comparisons, reports;
//! - [`cli`]: the `corrcause` command line (with [`error`] and [`output`]: atomic files, output
//!   locks, and the write-failure test hook);
//! - `python` (with the `python` feature): the Python module, a front end beside `cli`.

pub mod causal;
pub mod cli;
pub mod dataset;
pub mod error;
pub mod graph;
pub mod output;
#[cfg(feature = "python")]
pub mod python;
pub mod run;
pub mod score;
pub mod text;
