//! Datasets: Corr2Cause's exhaustive construction, records, presets and files. Built on
//! [`crate::text`] and [`crate::causal`].

pub mod corr2cause;

pub use corr2cause::{exhaustive_mecs, ExhaustiveMec, Semantics};
