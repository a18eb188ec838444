//! Reading a model's answer: from raw text (chains of thought included) or from a structured
//! prediction. What cannot be read is `Unparsed`, never silently a class.

use std::fmt;

/// A model's answer to one item.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Answer {
    /// Yes / true / valid / necessarily true.
    Valid,
    /// No / false / invalid / not valid / necessarily false.
    Invalid,
    /// The three-way words.
    Entailment,
    Neutral,
    Contradiction,
    /// Nothing the reader recognises.
    Unparsed,
}

impl Answer {
    /// The binary reading (1 = valid), or `None` when unparsed.
    pub fn binary(self) -> Option<u8> {
        match self {
            Answer::Valid | Answer::Entailment => Some(1),
            Answer::Invalid | Answer::Neutral | Answer::Contradiction => Some(0),
            Answer::Unparsed => None,
        }
    }

    /// The three-way class (0 entailment, 1 neutral, 2 contradiction) of a three-way answer.
    pub fn three_way(self) -> Option<u8> {
        match self {
            Answer::Entailment => Some(0),
            Answer::Neutral => Some(1),
            Answer::Contradiction => Some(2),
            _ => None,
        }
    }

    /// The answer as a word (`valid`, `invalid`, `entailment`, ..., `unparsed`).
    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Valid => "valid",
            Answer::Invalid => "invalid",
            Answer::Entailment => "entailment",
            Answer::Neutral => "neutral",
            Answer::Contradiction => "contradiction",
            Answer::Unparsed => "unparsed",
        }
    }
}

impl fmt::Display for Answer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an answer was read, for `--explain-parse`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub answer: Answer,
    /// Which rule decided, and on what text.
    pub how: String,
}

/// A structured prediction value: 0/1, true/false, yes/no, valid/invalid or a three-way word.
pub fn from_prediction(value: &serde_json::Value) -> Option<Answer> {
    match value {
        serde_json::Value::Bool(true) => Some(Answer::Valid),
        serde_json::Value::Bool(false) => Some(Answer::Invalid),
        serde_json::Value::Number(n) => match n.as_u64() {
            Some(1) => Some(Answer::Valid),
            Some(0) => Some(Answer::Invalid),
            _ => None,
        },
        serde_json::Value::String(s) => word(&s.trim().to_ascii_lowercase()),
        _ => None,
    }
}

/// A single answer word or phrase.
fn word(s: &str) -> Option<Answer> {
    let s = s.trim_matches(|c: char| !c.is_alphanumeric());
    Some(match s {
        "1" | "yes" | "true" | "valid" | "necessarily true" => Answer::Valid,
        "0"
        | "no"
        | "false"
        | "invalid"
        | "not valid"
        | "necessarily false"
        | "not necessarily true" => Answer::Invalid,
        "entailment" | "entailed" => Answer::Entailment,
        "neutral" => Answer::Neutral,
        "contradiction" | "contradicted" => Answer::Contradiction,
        _ => return None,
    })
}

/// Removes `<think>...</think>` blocks; an unclosed block runs to the end of the text.
pub(crate) fn drop_thinking(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("<think>") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</think>") {
            Some(end) => rest = &rest[start + end + "</think>".len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// Phrases, longest first so that "not valid" wins over "valid" and "necessarily true" over "true".
const PHRASES: &[(&str, Answer)] = &[
    ("not necessarily true", Answer::Invalid),
    ("necessarily false", Answer::Invalid),
    ("necessarily true", Answer::Valid),
    ("not valid", Answer::Invalid),
    ("contradiction", Answer::Contradiction),
    ("entailment", Answer::Entailment),
    ("invalid", Answer::Invalid),
    ("neutral", Answer::Neutral),
    ("false", Answer::Invalid),
    ("valid", Answer::Valid),
    ("true", Answer::Valid),
    ("yes", Answer::Valid),
    ("no", Answer::Invalid),
];

fn is_word_char(c: Option<char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || c == '_')
}

/// Every answer phrase in `lower` at word boundaries: (start, end, answer), left to right, no
/// overlaps (a longer phrase hides the shorter ones inside it).
fn phrases(lower: &str) -> Vec<(usize, usize, Answer)> {
    let mut found: Vec<(usize, usize, Answer)> = Vec::new();
    for &(p, a) in PHRASES {
        let mut from = 0;
        while let Some(i) = lower[from..].find(p) {
            let (s, e) = (from + i, from + i + p.len());
            from = s + 1;
            if is_word_char(lower[..s].chars().next_back())
                || is_word_char(lower[e..].chars().next())
            {
                continue;
            }
            if found.iter().any(|&(fs, fe, _)| s < fe && fs < e) {
                continue;
            }
            found.push((s, e, a));
        }
    }
    found.sort_unstable_by_key(|&(s, _, _)| s);
    found
}

/// Reads a raw model output: drops `<think>` blocks; takes a JSON object's `answer` field; else
/// the last "answer: X" / "the answer is X"; else the last answer word or phrase anywhere.
pub fn read(text: &str) -> Reading {
    let visible = drop_thinking(text);
    let trimmed = visible.trim();
    let unfenced = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|t| t.strip_suffix("```"))
        .unwrap_or(trimmed)
        .trim();
    if unfenced.starts_with('{') {
        if let Ok(serde_json::Value::Object(map)) =
            serde_json::from_str::<serde_json::Value>(unfenced)
        {
            if let Some(v) = map.get("answer") {
                return match from_prediction(v) {
                    Some(answer) => Reading {
                        answer,
                        how: format!("JSON field answer = {v}"),
                    },
                    None => Reading {
                        answer: Answer::Unparsed,
                        how: format!("JSON field answer = {v} is not an answer"),
                    },
                };
            }
        }
    }
    // The common case: the whole answer is one word ("Yes", "No.").
    if unfenced.len() <= 24 {
        if let Some(answer) = word(&unfenced.to_lowercase()) {
            return Reading {
                answer,
                how: format!("the whole answer: {unfenced:?}"),
            };
        }
    }
    let lower = unfenced.to_lowercase();
    let found = phrases(&lower);
    // The phrase as written when lowercasing kept every byte offset, else as lowercased (some
    // characters change length, e.g. 'İ', so offsets into `lower` may fall inside one of
    // `unfenced`'s characters).
    let same_offsets = unfenced
        .chars()
        .all(|c| c.to_lowercase().map(char::len_utf8).sum::<usize>() == c.len_utf8());
    let shown = |s: usize, e: usize| {
        if same_offsets {
            &unfenced[s..e]
        } else {
            &lower[s..e]
        }
    };
    // An explicit "answer: X" or "the answer is X": the last such marker, then the phrase after it.
    let markers = ["answer:", "answer is", "answer would be", "answer -"];
    let marker_end = markers
        .iter()
        .filter_map(|m| lower.rfind(m).map(|i| i + m.len()))
        .max();
    if let Some(end) = marker_end {
        let after = &lower[end..];
        let gap = after.len()
            - after
                .trim_start_matches(|c: char| c.is_whitespace() || "*\"'`:(".contains(c))
                .len();
        if let Some(&(s, e, a)) = found.iter().find(|&&(s, _, _)| s == end + gap) {
            return Reading {
                answer: a,
                how: format!("after the answer marker: {:?}", shown(s, e)),
            };
        }
    }
    match found.last() {
        Some(&(s, e, a)) => Reading {
            answer: a,
            how: format!("last answer word: {:?}", shown(s, e)),
        },
        None => Reading {
            answer: Answer::Unparsed,
            how: "no answer word".into(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn a(text: &str) -> Answer {
        read(text).answer
    }

    #[test]
    fn characters_that_change_length_when_lowercased_do_not_panic() {
        // 'İ' is 2 bytes and lowercases to 3; 'ẞ' is 3 and lowercases to 2.
        for text in ["İİİ Answer: Yes", "ẞẞ the answer is no", "İ yes ẞ", "ẞ İ"] {
            let r = read(text);
            assert!(!r.how.is_empty());
        }
        assert_eq!(a("İİİ Answer: Yes"), Answer::Valid);
        assert_eq!(a("ẞẞ the answer is no"), Answer::Invalid);
        assert_eq!(read("Answer: Yes").how, "after the answer marker: \"Yes\"");
    }

    #[test]
    fn plain_answers() {
        assert_eq!(a("Yes"), Answer::Valid);
        assert_eq!(a(" no."), Answer::Invalid);
        assert_eq!(a("True"), Answer::Valid);
        assert_eq!(a("FALSE"), Answer::Invalid);
        assert_eq!(a("valid"), Answer::Valid);
        assert_eq!(a("Invalid."), Answer::Invalid);
        assert_eq!(a("The hypothesis is not valid."), Answer::Invalid);
        assert_eq!(a("It is necessarily true."), Answer::Valid);
        assert_eq!(a("necessarily false"), Answer::Invalid);
        assert_eq!(a("Not necessarily true."), Answer::Invalid);
        assert_eq!(a("Entailment"), Answer::Entailment);
        assert_eq!(a("neutral"), Answer::Neutral);
        assert_eq!(a("contradiction"), Answer::Contradiction);
    }

    #[test]
    fn structured_and_marked_answers() {
        assert_eq!(a(r#"{"answer": "yes"}"#), Answer::Valid);
        assert_eq!(a("```json\n{\"answer\": \"no\"}\n```"), Answer::Invalid);
        assert_eq!(a(r#"{"answer": "perhaps"}"#), Answer::Unparsed);
        assert_eq!(
            a("Let me think. A causes B, so no collider.\nAnswer: Yes"),
            Answer::Valid
        );
        assert_eq!(
            a("There is no reason to doubt it; the answer is yes."),
            Answer::Valid
        );
        assert_eq!(a("**Answer:** No"), Answer::Invalid);
    }

    #[test]
    fn chains_of_thought_count_their_last_answer() {
        assert_eq!(a("<think>yes yes yes</think>No"), Answer::Invalid);
        assert_eq!(
            a("First I thought yes, but on reflection no."),
            Answer::Invalid
        );
        assert_eq!(a("<think>no</think>\nAfter all, true."), Answer::Valid);
    }

    #[test]
    fn what_must_stay_unparsed() {
        for text in [
            "",
            "I don't know.",
            "Maybe.",
            "<think>Yes, clearly",
            "Nobody knows",
            "Notably uncertain",
            "invalidated? unsure",
        ] {
            assert_eq!(a(text), Answer::Unparsed, "{text:?}");
        }
    }

    #[test]
    fn structured_predictions() {
        use serde_json::json;
        assert_eq!(from_prediction(&json!(1)), Some(Answer::Valid));
        assert_eq!(from_prediction(&json!(false)), Some(Answer::Invalid));
        assert_eq!(from_prediction(&json!("Yes")), Some(Answer::Valid));
        assert_eq!(from_prediction(&json!("neutral")), Some(Answer::Neutral));
        assert_eq!(from_prediction(&json!(2)), None);
        assert_eq!(from_prediction(&json!("maybe")), None);
    }
}
