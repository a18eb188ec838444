//! Datasets: Corr2Cause's exhaustive construction, records, presets and files. Built on
//! [`crate::text`] and [`crate::causal`].

pub mod audit;
pub mod config;
pub mod corr2cause;
pub mod corr2cause_csv;
pub mod generate;
pub mod hard;
pub mod lines;
pub mod manifest;
pub mod readers;
pub mod record;

pub use audit::{audit, AuditReport};
pub use config::Config;
pub use corr2cause::{exhaustive_mecs, ExhaustiveMec, Semantics};
pub use generate::{generate, Shard, Summary};
