//! Reading premises and hypotheses back: a strict parser for every template the generator writes
//! (and Corr2Cause's synonyms), so a label can be recomputed from the text alone.

use super::premise::{Independence, Premise, PremiseForm, COMPACT_CLOSING};
use crate::causal::{mec_from_independences, CiStatement, Coverage, Cpdag, Inconsistent, Relation};
use crate::graph::NodeSet;
use std::collections::HashMap;

/// A premise read back: its names and statements (over node indices in the order of the names).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParsedPremise {
    pub names: Vec<String>,
    pub premise: Premise,
}

fn split_names(list: &str) -> Vec<&str> {
    match list.rsplit_once(" and ") {
        None => vec![list],
        Some((head, last)) => {
            let mut v: Vec<&str> = head.split(", ").collect();
            v.push(last);
            v
        }
    }
}

/// Reads a premise written by [`Premise::render`] (Corr2Cause's text included). Anything else is
/// an error that quotes the part that could not be read.
pub fn parse_premise(text: &str) -> Result<ParsedPremise, String> {
    let rest = text
        .strip_prefix("Suppose there is a closed system of ")
        .ok_or("the premise does not start with \"Suppose there is a closed system of \"")?;
    let (n_text, rest) = rest
        .split_once(" variables, ")
        .ok_or("expected \"N variables, \" after the opening")?;
    let n: usize = n_text
        .parse()
        .map_err(|_| format!("{n_text:?} is not a number of variables"))?;
    let (names_text, rest) = rest
        .split_once(". ")
        .ok_or("expected \". \" after the list of variables")?;
    let names: Vec<String> = split_names(names_text)
        .into_iter()
        .map(str::to_string)
        .collect();
    if names.len() != n {
        return Err(format!(
            "{n} variables announced, {} named ({names_text:?})",
            names.len()
        ));
    }
    let index: HashMap<&str, usize> = names
        .iter()
        .enumerate()
        .map(|(i, s)| (s.as_str(), i))
        .collect();
    if index.len() != n || names.iter().any(|s| s.is_empty() || s.contains(['.', ','])) {
        return Err(format!(
            "the variable names {names_text:?} are not distinct plain names"
        ));
    }
    let all_head =
        format!("All the statistical relations among these {n} variables are as follows: ");
    let compact_head =
        format!("The statistical relations among these {n} variables are as follows: ");
    let (form, body) = if let Some(body) = rest.strip_prefix(&all_head) {
        (PremiseForm::All, body)
    } else if let Some(body) = rest.strip_prefix(&compact_head) {
        let body = body
            .strip_suffix(COMPACT_CLOSING)
            .ok_or("a compact premise must end with its closing sentence")?
            .trim_end();
        (PremiseForm::Minimal, body)
    } else {
        return Err(format!("expected {all_head:?} after the variables"));
    };
    let (corr_text, ind_text) = match body.split_once(" However, ") {
        Some((c, i)) => (c, i),
        None if body.contains(" correlates with ") => (body, ""),
        None => ("", body),
    };
    let node = |s: &str| {
        index
            .get(s)
            .copied()
            .ok_or_else(|| format!("{s:?} is not one of the variables"))
    };
    let nodes = |s: &str| -> Result<NodeSet, String> {
        let mut set = NodeSet::EMPTY;
        for name in split_names(s) {
            let v = node(name)?;
            if set.contains(v) {
                return Err(format!("{name:?} is listed twice in {s:?}"));
            }
            set.insert(v);
        }
        Ok(set)
    };
    let sentences = |part: &str| -> Vec<String> {
        if part.is_empty() {
            return Vec::new();
        }
        part.split(". ")
            .map(|s| s.trim_end_matches('.').to_string())
            .collect()
    };
    let mut correlations = Vec::new();
    for s in sentences(corr_text) {
        let (a, b) = s
            .split_once(" correlates with ")
            .ok_or_else(|| format!("expected \"X correlates with Y.\", got {s:?}"))?;
        let (x, y) = (node(a)?, node(b)?);
        if x == y {
            return Err(format!("{s:?} relates a variable to itself"));
        }
        correlations.push((x.min(y), x.max(y)));
    }
    let mut independences = Vec::new();
    let mut basis = false;
    for s in sentences(ind_text) {
        let statement = if let Some((pair, given)) = s.split_once(" are independent given ") {
            let (a, b) = pair.split_once(" and ").ok_or_else(|| {
                format!("expected \"X and Y are independent given Z.\", got {s:?}")
            })?;
            let (x, y) = (node(a)?, node(b)?);
            Independence {
                x: x.min(y),
                of: NodeSet::single(x.max(y)),
                given: nodes(given)?,
            }
        } else if let Some((a, rest)) = s.split_once(" is independent of ") {
            let (of, given) = match rest.split_once(" given ") {
                Some((of, given)) => (nodes(of)?, nodes(given)?),
                None => (nodes(rest)?, NodeSet::EMPTY),
            };
            let x = node(a)?;
            if of.len() > 1 || !given.is_empty() {
                basis = true;
            }
            if of.len() == 1 && given.is_empty() {
                let y = of.first().expect("one");
                Independence {
                    x: x.min(y),
                    of: NodeSet::single(x.max(y)),
                    given,
                }
            } else {
                Independence { x, of, given }
            }
        } else {
            return Err(format!("expected an independence statement, got {s:?}"));
        };
        if statement.of.contains(statement.x)
            || statement.given.contains(statement.x)
            || statement.of.intersects(statement.given)
        {
            return Err(format!("{s:?} names a variable twice"));
        }
        independences.push(statement);
    }
    let form = match form {
        PremiseForm::All if basis => {
            return Err("\"X is independent of Y given Z\" appears in a full premise".into())
        }
        PremiseForm::All => PremiseForm::All,
        _ if basis => PremiseForm::Basis,
        _ => PremiseForm::Minimal,
    };
    Ok(ParsedPremise {
        names,
        premise: Premise {
            form,
            n,
            correlations,
            independences,
        },
    })
}

impl ParsedPremise {
    /// The pairwise statements the premise makes.
    pub fn statements(&self) -> Vec<CiStatement> {
        self.premise
            .independences
            .iter()
            .flat_map(|s| s.of.iter().map(move |y| CiStatement::new(s.x, y, s.given)))
            .collect()
    }

    /// The MEC the premise describes, or why no DAG fits it: the statements must be exactly a
    /// DAG's (full form) or hold in it and separate every non-adjacent pair (compact forms), and
    /// the correlations must be exactly the pairs not independent given the empty set.
    pub fn mec(&self) -> Result<Cpdag, Inconsistent> {
        let statements = self.statements();
        let coverage = if self.premise.form == PremiseForm::All {
            Coverage::Complete
        } else {
            Coverage::Separators
        };
        let cpdag = mec_from_independences(self.premise.n, &statements, coverage)?;
        let member = cpdag.member();
        let n = self.premise.n;
        let mut expected: Vec<(usize, usize)> = (0..n)
            .flat_map(|x| (x + 1..n).map(move |y| (x, y)))
            .filter(|&(x, y)| !member.is_d_separated(x, y, &NodeSet::EMPTY))
            .collect();
        let mut stated = self.premise.correlations.clone();
        expected.sort_unstable();
        stated.sort_unstable();
        if let Some(&(x, y)) = expected.iter().find(|p| !stated.contains(p)) {
            return Err(Inconsistent::Correlation(x, y, true));
        }
        if let Some(&(x, y)) = stated.iter().find(|p| !expected.contains(p)) {
            return Err(Inconsistent::Correlation(x, y, false));
        }
        Ok(cpdag)
    }
}

/// A hypothesis read back: the relation it claims for the pair `(x, y)`, `x < y` by node index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedHypothesis {
    pub relation: Relation,
    pub x: usize,
    pub y: usize,
}

/// Reads a hypothesis in either style (and Corr2Cause's synonyms, in either name order) about
/// variables named `names` (indexed as the premise's).
pub fn parse_hypothesis(text: &str, names: &[String]) -> Result<ParsedHypothesis, String> {
    let node = |s: &str| {
        names
            .iter()
            .position(|n| n == s)
            .ok_or_else(|| format!("{s:?} is not a variable of the premise"))
    };
    let h = text
        .strip_suffix('.')
        .ok_or_else(|| format!("a hypothesis ends with a full stop: {text:?}"))?;
    // (pattern before, between, after, relation when the first name is the earlier variable,
    // relation when it is the later one)
    use Relation::*;
    let directed: [(&str, &str, &str, Relation, Relation); 6] = [
        ("", " directly causes ", "", Parent, Child),
        ("", " directly affects ", "", Parent, Child),
        (
            "",
            " causes something else which causes ",
            "",
            NonParentAncestor,
            NonChildDescendant,
        ),
        (
            "",
            " is a cause for ",
            ", but not a direct one",
            NonParentAncestor,
            NonChildDescendant,
        ),
        (
            "",
            " influences ",
            " through some mediator(s)",
            NonParentAncestor,
            NonChildDescendant,
        ),
        (
            "There exists at least one collider (i.e., common effect) of ",
            " and ",
            "",
            HasCollider,
            HasCollider,
        ),
    ];
    let symmetric: [(&str, &str, &str, Relation); 3] = [
        (
            "There exists at least one confounder (i.e., common cause) of ",
            " and ",
            "",
            HasConfounder,
        ),
        (
            "",
            " and ",
            " together cause some other variable(s)",
            HasCollider,
        ),
        (
            "Some variable(s) cause(s) both ",
            " and ",
            "",
            HasConfounder,
        ),
    ];
    let try_pattern = |pre: &str, mid: &str, post: &str| -> Option<(String, String)> {
        let body = h.strip_prefix(pre)?.strip_suffix(post)?;
        let (a, b) = body.split_once(mid)?;
        Some((a.to_string(), b.to_string()))
    };
    for (pre, mid, post, relation) in symmetric {
        if let Some((a, b)) = try_pattern(pre, mid, post) {
            if let (Ok(x), Ok(y)) = (node(&a), node(&b)) {
                if x != y {
                    return Ok(ParsedHypothesis {
                        relation,
                        x: x.min(y),
                        y: x.max(y),
                    });
                }
            }
        }
    }
    for (pre, mid, post, forward, backward) in directed {
        if let Some((a, b)) = try_pattern(pre, mid, post) {
            let (x, y) = (node(&a)?, node(&b)?);
            if x == y {
                return Err(format!("{text:?} relates a variable to itself"));
            }
            let relation = if x < y { forward } else { backward };
            return Ok(ParsedHypothesis {
                relation,
                x: x.min(y),
                y: x.max(y),
            });
        }
    }
    Err(format!("not a hypothesis the generator writes: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::Dag;
    use crate::text::{hypothesis, Naming, Style};

    #[test]
    fn every_form_reads_back_to_its_mec() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha12Rng::seed_from_u64(3);
        for g in crate::graph::enumerate::labelled_dags(4) {
            for form in [PremiseForm::All, PremiseForm::Minimal, PremiseForm::Basis] {
                for naming in [Naming::Letters, Naming::Reversed, Naming::Words] {
                    let (_, names) = naming.assign(4, &mut rng);
                    let text = Premise::of(&g, form).render(&names);
                    let parsed = parse_premise(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                    assert_eq!(parsed.names, names);
                    assert_eq!(parsed.mec().unwrap(), Cpdag::of(&g), "{text}");
                }
            }
        }
    }

    #[test]
    fn hypotheses_read_back() {
        let names: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        for style in [Style::Original, Style::Paraphrased] {
            for r in Relation::ALL {
                let text = hypothesis(style, r, "A", "C");
                assert_eq!(
                    parse_hypothesis(&text, &names).unwrap(),
                    ParsedHypothesis {
                        relation: r,
                        x: 0,
                        y: 2
                    },
                    "{text}"
                );
            }
        }
        // Corr2Cause's synonyms and swapped names.
        let p = parse_hypothesis("C is a cause for A, but not a direct one.", &names).unwrap();
        assert_eq!(p.relation, Relation::NonChildDescendant);
        let p = parse_hypothesis("B causes something else which causes A.", &names).unwrap();
        assert_eq!((p.relation, p.x, p.y), (Relation::NonChildDescendant, 0, 1));
        let p = parse_hypothesis(
            "There exists at least one collider (i.e., common effect) of C and A.",
            &names,
        )
        .unwrap();
        assert_eq!((p.relation, p.x, p.y), (Relation::HasCollider, 0, 2));
        assert!(parse_hypothesis("A is taller than B.", &names).is_err());
        assert!(parse_hypothesis("A directly causes Q.", &names).is_err());
    }

    #[test]
    fn malformed_premises_are_errors() {
        let g = Dag::new(3, [(0, 1)]).unwrap();
        let names: Vec<String> = ["A", "B", "C"].iter().map(|s| s.to_string()).collect();
        let good = Premise::of(&g, PremiseForm::All).render(&names);
        assert!(parse_premise(&good).is_ok());
        for bad in [
            good.replace("closed system", "open system"),
            good.replace("A correlates with B.", "A correlates with Q."),
            good.replace("3 variables, A, B and C", "3 variables, A and B"),
            good.replace("A is independent of C.", "A is maybe independent of C."),
        ] {
            assert!(parse_premise(&bad).is_err(), "{bad}");
        }
        // Readable but impossible: A and B both correlated and independent.
        let impossible = good.replace("However, ", "However, A is independent of B. ");
        assert!(parse_premise(&impossible).unwrap().mec().is_err());
    }
}
