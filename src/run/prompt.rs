//! Prompts: how an item is put to a model. Corr2Cause's original prompt, a chain-of-thought one,
//! a JSON one, or a template file with `{premise}`, `{hypothesis}` and `{input}`; optionally after
//! `k` worked examples chosen from a training split, seeded: yes/no examples balanced between the
//! labels, graph examples with their target graph written as the prompt asks for answers.

use crate::dataset::graph_task::Target;
use crate::graph::sample::{below, partial_shuffle};
use rand::SeedableRng;
use rand_chacha::ChaCha12Rng;

/// A prompt template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Prompt {
    /// Corr2Cause's: `Question: {premise}\nCan we deduct the following: {hypothesis}? Just answer "Yes" or "No."\n\nAnswer:`.
    Corr2Cause,
    /// Reason step by step, then a final "Answer: Yes" or "Answer: No" line.
    ChainOfThought,
    /// Answer as `{"answer": "yes"}` or `{"answer": "no"}`.
    Json,
    /// A user template with `{premise}`, `{hypothesis}` and `{input}` placeholders.
    Template(String),
}

/// The placeholders a template may use (`{question}` and `{hypothesis}` are the same text: a
/// graph item's question, a yes/no item's hypothesis).
const PLACEHOLDERS: [&str; 4] = ["premise", "hypothesis", "question", "input"];

impl Prompt {
    /// A user template, rejecting placeholders other than `{premise}`, `{hypothesis}`, `{input}`
    /// (a brace around anything but a plain word, as in JSON, is left alone).
    pub fn template(text: &str) -> Result<Prompt, String> {
        let mut rest = text;
        while let Some(start) = rest.find('{') {
            let after = &rest[start + 1..];
            if let Some(end) = after.find('}') {
                let name = &after[..end];
                let is_word =
                    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
                if is_word && !PLACEHOLDERS.contains(&name) {
                    return Err(format!("unknown placeholder {{{name}}} (a template may use {{premise}}, {{hypothesis}}, {{question}} and {{input}})"));
                }
            }
            rest = after;
        }
        if !PLACEHOLDERS
            .iter()
            .any(|p| text.contains(&format!("{{{p}}}")))
        {
            return Err(
                "the template uses none of {premise}, {hypothesis}, {question}, {input}".into(),
            );
        }
        Ok(Prompt::Template(text.to_string()))
    }

    /// The prompt for one item.
    pub fn render(&self, premise: &str, hypothesis: &str) -> String {
        let bare = hypothesis.strip_suffix('.').unwrap_or(hypothesis);
        match self {
            Prompt::Corr2Cause => format!(
                "Question: {premise}\nCan we deduct the following: {bare}? Just answer \"Yes\" or \"No.\"\n\nAnswer:"
            ),
            Prompt::ChainOfThought => format!(
                "Premise: {premise}\nHypothesis: {hypothesis}\nDoes the hypothesis necessarily follow from the premise? Think step by step, then end with a last line that is exactly \"Answer: Yes\" or \"Answer: No\"."
            ),
            Prompt::Json => format!(
                "Premise: {premise}\nHypothesis: {hypothesis}\nDoes the hypothesis necessarily follow from the premise? Reply with only a JSON object: {{\"answer\": \"yes\"}} or {{\"answer\": \"no\"}}."
            ),
            Prompt::Template(t) => t
                .replace("{input}", &crate::text::nli_input(premise, hypothesis))
                .replace("{premise}", premise)
                .replace("{hypothesis}", hypothesis)
                .replace("{question}", hypothesis),
        }
    }

    /// The prompt for a graph item (its premise and question): Corr2Cause's form with the
    /// question in place of "Can we deduct...", a chain-of-thought form ending with the edges, a
    /// JSON form, or the template (`{input}` is `Premise: ...\nQuestion: ...`).
    pub fn render_graph(&self, premise: &str, question: &str) -> String {
        match self {
            Prompt::Corr2Cause => format!("Question: {premise}\n{question}\n\nAnswer:"),
            Prompt::ChainOfThought => format!(
                "Premise: {premise}\nQuestion: {question}\nThink step by step, then end with a line \"Answer:\" followed by the edges, one per line (or \"no edges\")."
            ),
            Prompt::Json => format!(
                "Premise: {premise}\nQuestion: {question}\nReply with only a JSON object: {{\"directed\": [[\"X\", \"Y\"], ...], \"undirected\": [[\"X\", \"Y\"], ...]}}, where [\"X\", \"Y\"] under directed means X -> Y."
            ),
            Prompt::Template(t) => t
                .replace(
                    "{input}",
                    &crate::dataset::graph_task::input(premise, question),
                )
                .replace("{premise}", premise)
                .replace("{hypothesis}", question)
                .replace("{question}", question),
        }
    }

    /// The prompt for an item of either task, after the worked examples.
    pub(crate) fn render_item(&self, shots: &[Shot], item: &super::Item) -> String {
        match item.variables {
            Some(_) => self.render_graph_with_shots(shots, &item.premise, &item.hypothesis),
            None => self.render_with_shots(shots, &item.premise, &item.hypothesis),
        }
    }

    /// The answer a graph example shows, in this prompt's form: the edges one per line
    /// (`X -> Y`, `X -- Y`, or `no edges`), after "Answer:" for the chain-of-thought prompt, or
    /// the JSON object the JSON prompt asks for.
    pub fn graph_answer_text(&self, target: &Target) -> String {
        let edges = target.edge_lines();
        let lines = if edges.is_empty() {
            "no edges".to_string()
        } else {
            edges.join("\n")
        };
        match self {
            Prompt::Json => format!(
                "\n{}",
                serde_json::json!({"directed": target.directed, "undirected": target.undirected})
            ),
            Prompt::ChainOfThought => format!("\nAnswer:\n{lines}"),
            _ => format!("\n{lines}"),
        }
    }

    /// The prompt for a graph item after worked graph examples.
    pub fn render_graph_with_shots(&self, shots: &[Shot], premise: &str, question: &str) -> String {
        let mut out = String::new();
        for shot in shots {
            if let ShotAnswer::Graph(target) = &shot.answer {
                out.push_str(&self.render_graph(&shot.premise, &shot.hypothesis));
                out.push_str(&self.graph_answer_text(target));
                out.push_str("\n\n");
            }
        }
        out.push_str(&self.render_graph(premise, question));
        out
    }

    /// The answer a worked example shows, in this prompt's form.
    pub fn answer_text(&self, valid: bool) -> &'static str {
        match (self, valid) {
            (Prompt::Json, true) => "{\"answer\": \"yes\"}",
            (Prompt::Json, false) => "{\"answer\": \"no\"}",
            (Prompt::ChainOfThought, true) => "Answer: Yes",
            (Prompt::ChainOfThought, false) => "Answer: No",
            (_, true) => " Yes",
            (_, false) => " No",
        }
    }

    /// The prompt for an item after worked examples.
    pub fn render_with_shots(&self, shots: &[Shot], premise: &str, hypothesis: &str) -> String {
        let mut out = String::new();
        for shot in shots {
            if let ShotAnswer::Valid(valid) = shot.answer {
                out.push_str(&self.render(&shot.premise, &shot.hypothesis));
                out.push_str(self.answer_text(valid));
                out.push_str("\n\n");
            }
        }
        out.push_str(&self.render(premise, hypothesis));
        out
    }
}

/// `k` examples from a pool with binary labels: half valid and half invalid (the odd one valid),
/// in a seeded random order. Fewer when the pool runs short of a label.
pub fn choose_shots(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = ChaCha12Rng::seed_from_u64(seed);
    let pick = |want: bool, count: usize, rng: &mut ChaCha12Rng| -> Vec<usize> {
        let mut pool: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == want).collect();
        let take = count.min(pool.len());
        for i in 0..take {
            let j = i + below(rng, (pool.len() - i) as u64) as usize;
            pool.swap(i, j);
        }
        pool.truncate(take);
        pool
    };
    let valid = pick(true, k.div_ceil(2), &mut rng);
    let invalid = pick(false, k / 2, &mut rng);
    let mut chosen: Vec<usize> = valid.into_iter().chain(invalid).collect();
    let len = chosen.len();
    partial_shuffle(&mut rng, &mut chosen, len);
    chosen
}

/// A worked example put before an item: a training item with its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shot {
    pub premise: String,
    /// A yes/no item's hypothesis, a graph item's question.
    pub hypothesis: String,
    pub answer: ShotAnswer,
}

/// The answer a worked example shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShotAnswer {
    /// A yes/no item's label.
    Valid(bool),
    /// A graph item's target: the CPDAG.
    Graph(Target),
}

/// `k` worked examples from corrcause JSONL training files (a train split: one file, or its
/// parts in order), seeded: yes/no items balanced between the labels (see [`choose_shots`]),
/// graph items (`"task": "graph"`) drawn alike from all.
pub fn shots_from(
    train: &[std::path::PathBuf],
    k: usize,
    seed: u64,
) -> crate::error::Result<Vec<Shot>> {
    use crate::error::{Error, Source};
    let mut pool = Vec::new();
    for train in train {
        let source = Source::File(train.to_path_buf());
        let text =
            std::fs::read_to_string(train).map_err(|e| Error::reading(train.display(), e))?;
        for (i, line) in text.lines().enumerate() {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| Error::input(&source, i + 1, None, e.to_string()))?;
            let field = |k: &str| {
                v[k].as_str()
                    .map(str::to_string)
                    .ok_or_else(|| Error::input(&source, i + 1, Some(k), "missing"))
            };
            pool.push(if v["task"] == "graph" {
                let target = serde_json::from_value(v["target"].clone())
                    .map_err(|e| Error::input(&source, i + 1, Some("target"), e.to_string()))?;
                Shot {
                    premise: field("premise")?,
                    hypothesis: field("question")?,
                    answer: ShotAnswer::Graph(Target::of_named(target)),
                }
            } else {
                Shot {
                    premise: field("premise")?,
                    hypothesis: field("hypothesis")?,
                    answer: ShotAnswer::Valid(v["label"] == 1),
                }
            });
        }
    }
    let chosen = if pool
        .iter()
        .all(|s| matches!(s.answer, ShotAnswer::Graph(_)))
    {
        let mut rng = ChaCha12Rng::seed_from_u64(seed);
        let mut all: Vec<usize> = (0..pool.len()).collect();
        let take = k.min(all.len());
        partial_shuffle(&mut rng, &mut all, take);
        all.truncate(take);
        all
    } else {
        let labels: Vec<bool> = pool
            .iter()
            .map(|p| p.answer == ShotAnswer::Valid(true))
            .collect();
        choose_shots(&labels, k, seed)
    };
    Ok(chosen.into_iter().map(|i| pool[i].clone()).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_original_prompt_is_corr2causes() {
        let p = Prompt::Corr2Cause.render("P.", "A directly causes B.");
        assert_eq!(p, "Question: P.\nCan we deduct the following: A directly causes B? Just answer \"Yes\" or \"No.\"\n\nAnswer:");
        assert!(Prompt::Json
            .render("P.", "H.")
            .contains("{\"answer\": \"yes\"}"));
        assert!(Prompt::ChainOfThought
            .render("P.", "H.")
            .contains("Answer: Yes"));
    }

    #[test]
    fn templates_fill_their_placeholders_and_refuse_unknown_ones() {
        let t =
            Prompt::template("{input}\nJSON like {\"answer\": \"yes\"}. Premise again: {premise}")
                .unwrap();
        assert_eq!(
            t.render("P.", "H."),
            "Premise: P.\nHypothesis: H.\nJSON like {\"answer\": \"yes\"}. Premise again: P."
        );
        assert!(Prompt::template("{premise} {answer}")
            .unwrap_err()
            .contains("{answer}"));
        assert!(Prompt::template("no placeholders").is_err());
        // Graph items: {question} and {hypothesis} are the question, {input} names it so.
        let g = Prompt::template("{input}|{question}").unwrap();
        assert_eq!(g.render_graph("P.", "Q?"), "Premise: P.\nQuestion: Q?|Q?");
        assert_eq!(
            Prompt::Corr2Cause.render_graph("P.", "Q?"),
            "Question: P.\nQ?\n\nAnswer:"
        );
        assert!(Prompt::Json
            .render_graph("P.", "Q?")
            .contains("\"directed\""));
        assert!(Prompt::ChainOfThought
            .render_graph("P.", "Q?")
            .contains("step by step"));
    }

    #[test]
    fn shots_are_balanced_seeded_and_answered() {
        let labels: Vec<bool> = (0..100).map(|i| i % 7 == 0).collect();
        let shots = choose_shots(&labels, 4, 9);
        assert_eq!(shots.len(), 4);
        assert_eq!(shots.iter().filter(|&&i| labels[i]).count(), 2);
        assert_eq!(shots, choose_shots(&labels, 4, 9));
        assert_ne!(shots, choose_shots(&labels, 4, 10));
        let shot = |p: &str, h: &str, valid| Shot {
            premise: p.into(),
            hypothesis: h.into(),
            answer: ShotAnswer::Valid(valid),
        };
        let text = Prompt::Corr2Cause.render_with_shots(
            &[shot("P1.", "H1.", true), shot("P2.", "H2.", false)],
            "P.",
            "H.",
        );
        assert!(text.starts_with("Question: P1."));
        assert!(text.contains("Answer: Yes\n\nQuestion: P2."));
        assert!(text.ends_with(
            "Can we deduct the following: H? Just answer \"Yes\" or \"No.\"\n\nAnswer:"
        ));
        // A pool short of valid examples gives what it has.
        assert_eq!(choose_shots(&[false, false, true], 4, 1).len(), 3);
    }

    /// A graph example shows its target in the form the prompt asks answers in: corrcause's
    /// own graph-answer reader reads it back as that target, for every prompt.
    #[test]
    fn graph_shots_show_their_target_as_an_answer_is_read() {
        let names: Vec<String> = ["A", "B", "C", "D"].map(String::from).to_vec();
        let target = |directed: &[[&str; 2]], undirected: &[[&str; 2]]| Target {
            directed: directed.iter().map(|p| p.map(String::from)).collect(),
            undirected: undirected.iter().map(|p| p.map(String::from)).collect(),
        };
        let targets = [
            target(&[["A", "C"], ["B", "C"]], &[["C", "D"]]),
            target(&[], &[["A", "B"], ["B", "C"]]),
            target(&[], &[]),
        ];
        let template = Prompt::template("{input}\nEdges?").unwrap();
        for prompt in [
            Prompt::Corr2Cause,
            Prompt::ChainOfThought,
            Prompt::Json,
            template,
        ] {
            for t in &targets {
                let text = prompt.graph_answer_text(t);
                let read = crate::text::graph_answer::read(&text, &names);
                let got = read
                    .answer
                    .unwrap_or_else(|e| panic!("{prompt:?} {text:?}: {e}"));
                let json: Target = serde_json::from_value(got.to_json(&names)).unwrap();
                assert_eq!(Target::of_named(json), *t, "{prompt:?}: {text:?}");
            }
            let shot = Shot {
                premise: "P1.".into(),
                hypothesis: "Q1?".into(),
                answer: ShotAnswer::Graph(targets[0].clone()),
            };
            let text = prompt.render_graph_with_shots(&[shot], "P.", "Q?");
            assert!(
                text.starts_with(&prompt.render_graph("P1.", "Q1?")),
                "{text}"
            );
            assert!(text.ends_with(&prompt.render_graph("P.", "Q?")), "{text}");
        }
    }
}
