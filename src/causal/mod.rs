//! Causal structure of DAGs: d-separation, independence models, Markov equivalence (skeleton,
//! v-structures, CPDAG, MEC members and size), causal relations between pairs of variables, and
//! the depth (rung of inference) that decides each label.
//!
//! Built on [`crate::graph`] only.

pub mod depth;
mod dsep;
pub mod equivalence;
pub mod independence;
pub mod learn;
pub mod relations;

pub use depth::{Depth, Depths};
pub use equivalence::{labelled_mecs, mec_key, Cpdag, Skeleton, VStructure};
pub use independence::{
    list_independences, CiStatement, Form, IndependenceModel, Listing, LocalMarkov,
};
pub use learn::{mec_from_independences, Coverage, Inconsistent};
pub use relations::{Label3, Relation, RelationCounts};
