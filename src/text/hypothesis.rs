//! Hypotheses: one claim about a pair `(X, Y)`, `X` the earlier variable, in one of two styles.

use crate::causal::Relation;
use std::fmt;
use std::str::FromStr;

/// The wording of hypotheses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Style {
    /// Corr2Cause v2's templates.
    Original,
    /// Corr2Cause's paraphrased templates (its robustness test).
    Paraphrased,
}

impl Style {
    /// The option value.
    pub fn as_str(self) -> &'static str {
        match self {
            Style::Original => "original",
            Style::Paraphrased => "paraphrased",
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        match s {
            "original" => Ok(Style::Original),
            "paraphrased" => Ok(Style::Paraphrased),
            _ => Err(format!(
                "unknown hypothesis style {s:?} (original, paraphrased)"
            )),
        }
    }
}

/// The hypothesis that `relation` holds for `(x, y)`, with their names.
pub fn hypothesis(style: Style, relation: Relation, x: &str, y: &str) -> String {
    use Relation::*;
    match (style, relation) {
        (Style::Original, Parent) => format!("{x} directly causes {y}."),
        (Style::Original, NonParentAncestor) => {
            format!("{x} causes something else which causes {y}.")
        }
        (Style::Original, Child) => format!("{y} directly causes {x}."),
        (Style::Original, NonChildDescendant) => {
            format!("{y} is a cause for {x}, but not a direct one.")
        }
        (Style::Original, HasCollider) => {
            format!("There exists at least one collider (i.e., common effect) of {x} and {y}.")
        }
        (Style::Original, HasConfounder) => {
            format!("There exists at least one confounder (i.e., common cause) of {x} and {y}.")
        }
        (Style::Paraphrased, Parent) => format!("{x} directly affects {y}."),
        (Style::Paraphrased, NonParentAncestor) => {
            format!("{x} influences {y} through some mediator(s).")
        }
        (Style::Paraphrased, Child) => format!("{y} directly affects {x}."),
        (Style::Paraphrased, NonChildDescendant) => {
            format!("{y} influences {x} through some mediator(s).")
        }
        (Style::Paraphrased, HasCollider) => {
            format!("{x} and {y} together cause some other variable(s).")
        }
        (Style::Paraphrased, HasConfounder) => {
            format!("Some variable(s) cause(s) both {x} and {y}.")
        }
    }
}

/// Corr2Cause's CSV `template` column for a hypothesis of [`hypothesis`]: it names the phrasing,
/// so the original "causes something else which causes" says `non-parent ancestor` and "is a
/// cause for ..., but not a direct one" says `non-child descendant`.
pub fn template_name(relation: Relation) -> &'static str {
    match relation {
        Relation::Parent => "parent",
        Relation::NonParentAncestor => "non-parent ancestor",
        Relation::Child => "child",
        Relation::NonChildDescendant => "non-child descendant",
        Relation::HasCollider => "has_collider",
        Relation::HasConfounder => "has_confounder",
    }
}

/// Corr2Cause's `input` column: `Premise: {premise}\nHypothesis: {hypothesis}`.
pub fn nli_input(premise: &str, hypothesis: &str) -> String {
    format!("Premise: {premise}\nHypothesis: {hypothesis}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_the_spec() {
        assert_eq!(
            hypothesis(Style::Original, Relation::Child, "A", "B"),
            "B directly causes A."
        );
        assert_eq!(
            hypothesis(Style::Original, Relation::NonChildDescendant, "A", "C"),
            "C is a cause for A, but not a direct one."
        );
        assert_eq!(
            hypothesis(Style::Paraphrased, Relation::HasConfounder, "A", "B"),
            "Some variable(s) cause(s) both A and B."
        );
        assert_eq!(nli_input("p", "h"), "Premise: p\nHypothesis: h");
    }
}
