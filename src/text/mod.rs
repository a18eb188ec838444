//! Text: variable names, premises and hypotheses in words, and reading answers back. Built on
//! [`crate::causal`].

pub mod answer;
pub mod graph_answer;
pub mod hypothesis;
pub mod names;
pub mod parse;
pub mod premise;
pub mod surface;

pub use hypothesis::{hypothesis, nli_input, template_name, Style};
pub use names::Naming;
pub use parse::{parse_hypothesis, parse_premise, ParsedHypothesis, ParsedPremise};
pub use premise::{join_names, Independence, Premise, PremiseForm};
pub use surface::{PairSurface, Surface, SURFACE_FEATURES};
