//! corrcause: measure whether language models can infer causation from correlation.
//!
//! Layers, each importing only those above it in this list:
//! - [`graph`]: DAGs, enumeration, seeded sampling;
//! - [`causal`]: d-separation, independence models, CPDAG and Markov equivalence classes,
//!   causal relations between pairs of variables.

pub mod causal;
pub mod graph;
