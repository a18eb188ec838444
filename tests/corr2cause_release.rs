//! The exhaustive construction against the published Corr2Cause v2 files in `../shared`.

mod common;

use common::shared;
use corrcause::causal::Relation;
use corrcause::dataset::{exhaustive_mecs, ExhaustiveMec, Semantics};
use corrcause::text::names::letter_name;
use corrcause::text::Premise;

fn premise_text(n: usize, mec: &ExhaustiveMec) -> String {
    let names: Vec<String> = (0..n).map(letter_name).collect();
    Premise::from_statements(n, mec.statements.clone()).render(&names)
}

#[test]
fn released_premises_are_byte_identical_and_in_order() {
    let mut rows =
        csv::Reader::from_path(shared("full_enumeration_N2-6/mec_premises_N2-6.csv")).unwrap();
    let expected: Vec<csv::StringRecord> = rows.records().map(|r| r.unwrap()).collect();
    assert_eq!(expected.len(), 2376);
    let mut k = 0;
    for n in 2..=6 {
        for mec in exhaustive_mecs(n, Semantics::Released) {
            let row = &expected[k];
            assert_eq!(row[0].parse::<usize>().unwrap(), n, "row {k}");
            assert_eq!(row[1].parse::<usize>().unwrap(), mec.mec_id, "row {k}");
            assert_eq!(
                row[2].parse::<u64>().unwrap(),
                mec.size(),
                "mec size, row {k}"
            );
            let edges: Vec<String> = mec
                .representative
                .edges()
                .iter()
                .map(|&(a, b)| format!("{}>{}", letter_name(a), letter_name(b)))
                .collect();
            assert_eq!(&row[3], edges.join(";"), "representative, row {k}");
            assert_eq!(&row[4], premise_text(n, &mec), "premise, row {k}");
            k += 1;
        }
    }
    assert_eq!(k, 2376);
}

#[test]
fn released_labels_match_every_item() {
    let mut rows = csv::Reader::from_path(shared(
        "full_enumeration_N2-6/items_released_labels_N2-6.csv",
    ))
    .unwrap();
    let mut expected = rows.records().map(|r| r.unwrap());
    let mut items = 0;
    let mut valid = 0;
    for n in 2..=6 {
        for mec in exhaustive_mecs(n, Semantics::Released) {
            let mut pair = 0;
            for i in 0..n {
                for j in i + 1..n {
                    for r in Relation::ALL {
                        let row = expected.next().expect("as many rows as items");
                        assert_eq!(
                            (&row[0], &row[1], &row[2], &row[3], &row[4]),
                            (
                                n.to_string().as_str(),
                                mec.mec_id.to_string().as_str(),
                                (i + 1).to_string().as_str(),
                                (j + 1).to_string().as_str(),
                                r.as_str()
                            )
                        );
                        let holds = mec.holds[pair][r.index()];
                        let prob = holds as f64 / mec.size() as f64;
                        let label = if holds == mec.size() {
                            "entailment"
                        } else if holds == 0 {
                            "contradiction"
                        } else {
                            "neutral"
                        };
                        let given: f64 = row[5].parse().unwrap();
                        assert!((given - prob).abs() < 6e-5, "{row:?}: prob {prob}");
                        assert_eq!(&row[6], label, "{row:?}");
                        valid += usize::from(label == "entailment");
                        items += 1;
                    }
                    pair += 1;
                }
            }
        }
    }
    assert!(expected.next().is_none());
    assert_eq!(items, 207_972);
    assert!(valid > 0);
}

#[test]
fn intended_semantics_has_2201_premises_at_6_nodes() {
    assert_eq!(exhaustive_mecs(6, Semantics::Intended).len(), 2201);
}
