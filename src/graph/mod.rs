//! Graphs: DAGs as bitsets, exhaustive enumeration, seeded random sampling and the JSON codec.
//!
//! This is the lowest layer of corrcause; it knows nothing of independence or equivalence.

mod dag;
pub mod enumerate;
pub mod json;
mod nodeset;
pub mod sample;

pub use dag::{child_sets_into, Dag, DagError};
pub use nodeset::{subsets, NodeSet, NodeSetIter, MAX_NODES};
pub use sample::{DagSampler, SampleError, Sampler};
