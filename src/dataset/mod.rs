//! Datasets: Corr2Cause's exhaustive construction, records, presets and files (a large split in
//! several, written side by side: [`parts`]), and [`source`], which resolves what a user gives as a dataset (a folder, JSONL, a Corr2Cause CSV)
//! into the files commands read. Built on [`crate::text`] and [`crate::causal`].

pub mod audit;
pub mod card;
pub mod config;
pub mod corr2cause;
pub mod corr2cause_csv;
pub mod generate;
pub mod graph_task;
pub mod hard;
pub mod lines;
pub mod load;
pub mod manifest;
pub mod parts;
pub mod plan;
pub mod readers;
pub mod record;
pub mod source;

pub use audit::{audit, AuditReport};
pub use config::Config;
pub use corr2cause::{exhaustive_mecs, ExhaustiveMec, Semantics};
pub use generate::{generate, Shard, Summary};
pub use plan::{GenerateOptions, GeneratePlan};
pub use source::DatasetSource;
