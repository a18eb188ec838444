//! Built-in baselines: answers computed from the item's text, no model involved.
//!
//! `oracle` reads the premise back into statements, recovers the MEC and decides the hypothesis:
//! it proves that every item is answerable from its premise alone. The others show what trivial
//! strategies earn.

use crate::causal::Cpdag;
use crate::text::{parse_hypothesis, parse_premise};
use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

/// A built-in answerer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Baseline {
    /// Decides the hypothesis over the MEC recovered from the premise text.
    Oracle,
    /// Yes or no with probability 1/2, seeded by the item id.
    Random,
    AlwaysInvalid,
    AlwaysValid,
    /// A naive reader: every causal claim is valid when the two variables correlate.
    Correlation,
}

impl Baseline {
    /// All baselines, in the order `corrcause run` lists them.
    pub const ALL: [Baseline; 5] = [
        Baseline::Oracle,
        Baseline::Random,
        Baseline::AlwaysInvalid,
        Baseline::AlwaysValid,
        Baseline::Correlation,
    ];

    /// The model spec: `baseline:oracle`, ...
    pub fn spec(self) -> &'static str {
        match self {
            Baseline::Oracle => "baseline:oracle",
            Baseline::Random => "baseline:random",
            Baseline::AlwaysInvalid => "baseline:always-invalid",
            Baseline::AlwaysValid => "baseline:always-valid",
            Baseline::Correlation => "baseline:correlation",
        }
    }

    /// Reads a `baseline:NAME` spec.
    pub fn from_spec(spec: &str) -> Option<Baseline> {
        Baseline::ALL.into_iter().find(|b| b.spec() == spec)
    }
}

impl fmt::Display for Baseline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.spec())
    }
}

/// What a premise tells the baselines: its names, MEC members' relations, and correlations.
struct Reading {
    names: Vec<String>,
    /// Pairs x < y that correlate.
    correlated: Vec<(usize, usize)>,
    /// The MEC, when the premise has one.
    members: Option<Vec<crate::graph::Dag>>,
}

/// Answers items, caching what each distinct premise implies. Shareable across threads.
pub struct Answerer {
    baseline: Baseline,
    seed: u64,
    cache: Mutex<HashMap<String, std::sync::Arc<std::result::Result<Reading, String>>>>,
}

impl Answerer {
    pub fn new(baseline: Baseline, seed: u64) -> Answerer {
        Answerer {
            baseline,
            seed,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn reading(&self, premise: &str) -> std::sync::Arc<std::result::Result<Reading, String>> {
        if let Some(r) = self.cache.lock().expect("cache").get(premise) {
            return r.clone();
        }
        let computed = parse_premise(premise).map(|p| Reading {
            names: p.names.clone(),
            correlated: p.premise.correlations.clone(),
            members: p.mec().ok().map(|c: Cpdag| c.members()),
        });
        let r = std::sync::Arc::new(computed);
        self.cache
            .lock()
            .expect("cache")
            .insert(premise.to_string(), r.clone());
        r
    }

    /// The raw answer ("Yes" or "No") to one item; an error when the text cannot be read.
    pub fn answer(
        &self,
        id: &str,
        premise: &str,
        hypothesis: &str,
    ) -> std::result::Result<&'static str, String> {
        let yes_no = |b: bool| if b { "Yes" } else { "No" };
        match self.baseline {
            Baseline::AlwaysInvalid => Ok("No"),
            Baseline::AlwaysValid => Ok("Yes"),
            Baseline::Random => {
                let mut h = self.seed ^ 0x9E37_79B9_7F4A_7C15;
                for b in id.bytes() {
                    h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
                }
                h = (h ^ (h >> 33)).wrapping_mul(0xff51_afd7_ed55_8ccd);
                Ok(yes_no((h >> 40) & 1 == 1))
            }
            Baseline::Oracle | Baseline::Correlation => {
                let reading = self.reading(premise);
                let reading = reading
                    .as_ref()
                    .as_ref()
                    .map_err(|e| format!("premise: {e}"))?;
                let h = parse_hypothesis(hypothesis, &reading.names)
                    .map_err(|e| format!("hypothesis: {e}"))?;
                if self.baseline == Baseline::Correlation {
                    return Ok(yes_no(reading.correlated.contains(&(h.x, h.y))));
                }
                let members = reading
                    .members
                    .as_ref()
                    .ok_or("premise: no DAG has these statements")?;
                let holds = |d: &crate::graph::Dag| d.relation_holds(h.relation, h.x, h.y);
                Ok(yes_no(members.iter().all(holds)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::causal::Relation;
    use crate::graph::Dag;
    use crate::text::{hypothesis, Premise, PremiseForm, Style};

    #[test]
    fn oracle_and_correlation_read_the_text() {
        let g = Dag::new(3, [(0, 2), (1, 2)]).unwrap();
        let names: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let premise = Premise::of(&g, PremiseForm::All).render(&names);
        let oracle = Answerer::new(Baseline::Oracle, 0);
        let naive = Answerer::new(Baseline::Correlation, 0);
        let ask = |a: &Answerer, r, x: &str, y: &str| {
            a.answer("i", &premise, &hypothesis(Style::Original, r, x, y))
                .unwrap()
        };
        // A -> C <- B is compelled.
        assert_eq!(ask(&oracle, Relation::Parent, "A", "C"), "Yes");
        assert_eq!(ask(&oracle, Relation::HasCollider, "A", "B"), "Yes");
        assert_eq!(ask(&oracle, Relation::Child, "A", "C"), "No");
        // The naive reader says yes whenever the pair correlates.
        assert_eq!(ask(&naive, Relation::Child, "A", "C"), "Yes");
        assert_eq!(ask(&naive, Relation::HasCollider, "A", "B"), "No");
        assert!(oracle
            .answer("i", "nonsense", "A directly causes C.")
            .is_err());
        assert_eq!(
            Baseline::from_spec("baseline:oracle"),
            Some(Baseline::Oracle)
        );
        assert_eq!(Baseline::from_spec("baseline:nope"), None);
    }
}
