//! Premises: the statistical relations among the variables of a closed system, in words.
//!
//! The `all` form is Corr2Cause's, byte for byte: every statement `(x, y, Z)` that holds. The two
//! compact forms list correlations plus, for every non-adjacent pair, at least one separating set
//! (one minimal set each, or the local Markov basis), and close with a sentence saying that the
//! pairs never stated independent are dependent given every set: the text still determines the
//! skeleton and the v-structures, hence the MEC.

use crate::causal::{CiStatement, IndependenceModel};
use crate::graph::{Dag, NodeSet};
use std::fmt;
use std::str::FromStr;

/// Which statements a premise lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PremiseForm {
    /// Every conditional independence (Corr2Cause): `C(n,2) * 2^(n-2)` candidate statements.
    All,
    /// One minimal separating set per non-adjacent pair.
    Minimal,
    /// The local Markov basis: each variable independent of its non-descendants given its parents.
    Basis,
}

impl PremiseForm {
    /// The option value.
    pub fn as_str(self) -> &'static str {
        match self {
            PremiseForm::All => "all",
            PremiseForm::Minimal => "minimal",
            PremiseForm::Basis => "basis",
        }
    }
}

impl fmt::Display for PremiseForm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for PremiseForm {
    type Err = String;
    fn from_str(s: &str) -> Result<PremiseForm, String> {
        match s {
            "all" => Ok(PremiseForm::All),
            "minimal" => Ok(PremiseForm::Minimal),
            "basis" => Ok(PremiseForm::Basis),
            _ => Err(format!("unknown premise form {s:?} (all, minimal, basis)")),
        }
    }
}

/// One independence sentence: `x` independent of every node of `of` given `given`. Pairwise
/// statements have one node in `of`; the local Markov basis may have several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Independence {
    pub x: usize,
    pub of: NodeSet,
    pub given: NodeSet,
}

impl From<CiStatement> for Independence {
    fn from(s: CiStatement) -> Independence {
        Independence {
            x: s.x,
            of: NodeSet::single(s.y),
            given: s.given,
        }
    }
}

/// The statements of a premise over nodes `0..n`, in the order they are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Premise {
    pub form: PremiseForm,
    pub n: usize,
    /// Pairs `x < y` that are not independent given the empty set.
    pub correlations: Vec<(usize, usize)>,
    pub independences: Vec<Independence>,
}

/// Sentence closing the compact forms, which do not list every statement.
pub const COMPACT_CLOSING: &str =
    "Any two variables not stated to be independent given some set are dependent given every set of the other variables.";

impl Premise {
    /// The premise of `dag` in the given form, statements in canonical order.
    pub fn of(dag: &Dag, form: PremiseForm) -> Premise {
        let n = dag.n();
        match form {
            PremiseForm::All => {
                let list = IndependenceModel::of(dag).independences();
                Premise::from_statements(n, list)
            }
            PremiseForm::Minimal | PremiseForm::Basis => {
                let correlations = (0..n)
                    .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
                    .filter(|&(x, y)| !dag.is_d_separated(x, y, &NodeSet::EMPTY))
                    .collect();
                let independences = if form == PremiseForm::Minimal {
                    dag.minimal_independences()
                        .into_iter()
                        .map(Into::into)
                        .collect()
                } else {
                    dag.local_markov_basis()
                        .into_iter()
                        .map(|lm| Independence {
                            x: lm.node,
                            of: lm.independent_of,
                            given: lm.given,
                        })
                        .collect()
                };
                Premise {
                    form,
                    n,
                    correlations,
                    independences,
                }
            }
        }
    }

    /// The `all`-form premise of a list of every statement that holds (sorted in Corr2Cause's
    /// order): correlations are the pairs with no unconditional independence.
    pub fn from_statements(n: usize, statements: Vec<CiStatement>) -> Premise {
        let marginal: std::collections::HashSet<(usize, usize)> = statements
            .iter()
            .filter(|s| s.given.is_empty())
            .map(|s| (s.x, s.y))
            .collect();
        let correlations = (0..n)
            .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
            .filter(|p| !marginal.contains(p))
            .collect();
        Premise {
            form: PremiseForm::All,
            n,
            correlations,
            independences: statements.into_iter().map(Into::into).collect(),
        }
    }

    /// The premise in words, naming node `k` by `names[k]`.
    pub fn render(&self, names: &[String]) -> String {
        let n = self.n;
        let mut out = format!(
            "Suppose there is a closed system of {n} variables, {}. {} statistical relations among these {n} variables are as follows: ",
            join_names(names.iter().map(String::as_str)),
            if self.form == PremiseForm::All { "All the" } else { "The" }
        );
        let mut first = true;
        for &(x, y) in &self.correlations {
            if !first {
                out.push(' ');
            }
            first = false;
            out.push_str(&names[x]);
            out.push_str(" correlates with ");
            out.push_str(&names[y]);
            out.push('.');
        }
        if !self.correlations.is_empty() && !self.independences.is_empty() {
            out.push_str(" However, ");
        }
        for (i, s) in self.independences.iter().enumerate() {
            if i > 0 {
                out.push(' ');
            }
            let given = join_names(s.given.iter().map(|v| names[v].as_str()));
            if s.of.len() == 1 {
                let y = &names[s.of.first().expect("one node")];
                if s.given.is_empty() {
                    out.push_str(&format!("{} is independent of {y}.", names[s.x]));
                } else {
                    out.push_str(&format!(
                        "{} and {y} are independent given {given}.",
                        names[s.x]
                    ));
                }
            } else {
                let of = join_names(s.of.iter().map(|v| names[v].as_str()));
                if s.given.is_empty() {
                    out.push_str(&format!("{} is independent of {of}.", names[s.x]));
                } else {
                    out.push_str(&format!(
                        "{} is independent of {of} given {given}.",
                        names[s.x]
                    ));
                }
            }
        }
        if self.form != PremiseForm::All {
            out.push(' ');
            out.push_str(COMPACT_CLOSING);
        }
        out
    }
}

/// Joins names as Corr2Cause does: "A", "A and B", "A, B and C" (no Oxford comma).
pub fn join_names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    match names.len() {
        0 => String::new(),
        1 => names[0].to_string(),
        k => format!("{} and {}", names[..k - 1].join(", "), names[k - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn letters(n: usize) -> Vec<String> {
        (0..n).map(crate::text::names::letter_name).collect()
    }

    #[test]
    fn corr2cause_text_for_a_chain() {
        let g = Dag::new(3, [(0, 1), (0, 2)]).unwrap();
        let text = Premise::of(&g, PremiseForm::All).render(&letters(3));
        assert_eq!(
            text,
            "Suppose there is a closed system of 3 variables, A, B and C. All the statistical relations among these 3 variables are as follows: A correlates with B. A correlates with C. B correlates with C. However, B and C are independent given A."
        );
        let empty = Dag::new(2, []).unwrap();
        assert_eq!(
            Premise::of(&empty, PremiseForm::All).render(&letters(2)),
            "Suppose there is a closed system of 2 variables, A and B. All the statistical relations among these 2 variables are as follows: A is independent of B."
        );
    }

    #[test]
    fn compact_forms_close_the_world() {
        let g = Dag::new(4, [(0, 2), (1, 2), (2, 3)]).unwrap();
        let minimal = Premise::of(&g, PremiseForm::Minimal).render(&letters(4));
        assert!(minimal.contains("The statistical relations"));
        assert!(minimal.contains("A is independent of B. A and D are independent given C."));
        assert!(minimal.ends_with(COMPACT_CLOSING));
        let basis = Premise::of(&g, PremiseForm::Basis).render(&letters(4));
        // D is independent of A and B given C; A of B; B of A (deduplicated only as pairs).
        assert!(
            basis.contains("D is independent of A and B given C."),
            "{basis}"
        );
    }

    #[test]
    fn join_names_like_corr2cause() {
        assert_eq!(join_names(["A"].into_iter()), "A");
        assert_eq!(join_names(["A", "B"].into_iter()), "A and B");
        assert_eq!(join_names(["A", "B", "C"].into_iter()), "A, B and C");
    }
}
