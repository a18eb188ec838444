//! Reading a graph answer (the graph task): the edges a model wrote, over the item's variables.
//!
//! Forms read: one edge per line (`A -> B`, `A→B`, `B <- A`, `A -- B`, `A - B`, `A — B`, in bullet
//! or numbered lists, several per line separated by commas or semicolons, chains `A -> B -> C`),
//! a JSON object `{"directed": [...], "undirected": [...]}` or a JSON edge list (pairs, edge
//! strings, or `{"from", "to"}` objects), DOT (`digraph { A -> B; }`), Mermaid
//! (`graph LR; A-->B`, `A --- B`), any of these in code fences, and "no edges" for the empty
//! graph. `<think>` blocks are dropped; with a chain of thought, the last well-formed block counts.
//! A name that is not a variable, a self-loop, an edge given both ways as directed or with two
//! different marks makes the answer unparsed, with the reason: never silently an empty graph.

use serde_json::Value;

/// The edges of an answer, over variable indices: directed `(from, to)`, undirected `(a, b)` with
/// `a < b`; each list sorted and without repeats.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GraphAnswer {
    pub directed: Vec<(u16, u16)>,
    pub undirected: Vec<(u16, u16)>,
}

/// How a graph answer was read: the edges, or why it could not be, and a description.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GraphReading {
    pub answer: Result<GraphAnswer, String>,
    pub how: String,
}

/// A mark an answer gives a pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mark {
    Forward,
    Backward,
    Undirected,
    /// `<->`: both directions at once.
    Both,
}

/// An edge as written: names and mark.
type RawEdge = (String, Mark, String);

/// One candidate block of the answer: where it ends, what form it has, and its edges.
struct Block {
    end: usize,
    start: usize,
    form: &'static str,
    edges: Vec<RawEdge>,
}

/// Reads `output` as a graph over `variables`.
pub fn read(output: &str, variables: &[String]) -> GraphReading {
    let visible = super::answer::drop_thinking(output);
    let mut blocks = Vec::new();
    line_blocks(&visible, &mut blocks);
    json_blocks(&visible, &mut blocks);
    dot_blocks(&visible, &mut blocks);
    // The last block; of two ending together, the one that starts first (the whole).
    let Some(block) = blocks
        .into_iter()
        .max_by(|a, b| a.end.cmp(&b.end).then(b.start.cmp(&a.start)))
    else {
        return GraphReading {
            answer: Err("no edge list, JSON graph, DOT, Mermaid or \"no edges\" found".into()),
            how: "nothing read".into(),
        };
    };
    let how = format!("{} ({} edges written)", block.form, block.edges.len());
    GraphReading {
        answer: resolve(as_str(&block.edges), variables),
        how,
    }
}

fn as_str(edges: &[RawEdge]) -> impl Iterator<Item = (&str, Mark, &str)> {
    edges.iter().map(|(a, m, b)| (a.as_str(), *m, b.as_str()))
}

/// A graph given as named pairs (a dataset's `target`): directed `(from, to)` and undirected.
pub fn from_pairs<'a>(
    directed: impl IntoIterator<Item = (&'a str, &'a str)>,
    undirected: impl IntoIterator<Item = (&'a str, &'a str)>,
    variables: &[String],
) -> Result<GraphAnswer, String> {
    let edges = directed
        .into_iter()
        .map(|(a, b)| (a, Mark::Forward, b))
        .chain(
            undirected
                .into_iter()
                .map(|(a, b)| (a, Mark::Undirected, b)),
        );
    resolve(edges, variables)
}

/// Reads a decided prediction given as JSON (`{"directed", "undirected"}` or an edge list).
pub fn read_value(v: &Value, variables: &[String]) -> GraphReading {
    match json_graph(v) {
        Some(edges) => GraphReading {
            answer: resolve(as_str(&edges), variables),
            how: "JSON prediction".into(),
        },
        None => GraphReading {
            answer: Err(format!("{v} is not a graph: expected {{\"directed\": [[a, b], ...], \"undirected\": [...]}} or an edge list")),
            how: "JSON prediction".into(),
        },
    }
}

impl GraphAnswer {
    /// The answer in names, as the dataset's `target` is written.
    pub fn to_json(&self, variables: &[String]) -> Value {
        let names = |l: &[(u16, u16)]| -> Vec<[&str; 2]> {
            l.iter()
                .map(|&(a, b)| {
                    [
                        variables[a as usize].as_str(),
                        variables[b as usize].as_str(),
                    ]
                })
                .collect()
        };
        serde_json::json!({"directed": names(&self.directed), "undirected": names(&self.undirected)})
    }
}

/// The edges over variable indices, or why they are not a graph over `variables`.
fn resolve<'a>(
    edges: impl IntoIterator<Item = (&'a str, Mark, &'a str)>,
    variables: &[String],
) -> Result<GraphAnswer, String> {
    let index = |name: &str| -> Result<u16, String> {
        if let Some(i) = variables.iter().position(|v| v == name) {
            return Ok(i as u16);
        }
        let mut folded = variables
            .iter()
            .enumerate()
            .filter(|(_, v)| v.eq_ignore_ascii_case(name));
        match (folded.next(), folded.next()) {
            (Some((i, _)), None) => Ok(i as u16),
            _ => Err(format!(
                "{name:?} is not a variable ({})",
                variables.join(", ")
            )),
        }
    };
    let n = variables.len();
    // Per ordered pair: 0 none, 1 directed, 2 undirected (stored at (min, max)).
    let mut marks = vec![0u8; n * n];
    for (a, mark, b) in edges {
        let (x, y) = (index(a)?, index(b)?);
        if x == y {
            return Err(format!("{a} {} {b} is a self-loop", arrow(mark)));
        }
        let (from, to) = match mark {
            Mark::Forward => (x, y),
            Mark::Backward => (y, x),
            Mark::Both => return Err(format!("{a} <-> {b} gives the edge both ways as directed")),
            Mark::Undirected => {
                let (lo, hi) = (x.min(y) as usize, x.max(y) as usize);
                if marks[lo * n + hi] == 1 || marks[hi * n + lo] == 1 {
                    return Err(format!("{a} -- {b} is also given as directed"));
                }
                marks[lo * n + hi] = 2;
                continue;
            }
        };
        let (f, t) = (from as usize, to as usize);
        if marks[t * n + f] == 1 {
            return Err(format!(
                "{} -> {} and {} -> {}: an edge given both ways as directed",
                variables[f], variables[t], variables[t], variables[f]
            ));
        }
        if marks[f.min(t) * n + f.max(t)] == 2 {
            return Err(format!(
                "{} -> {} is also given as undirected",
                variables[f], variables[t]
            ));
        }
        marks[f * n + t] = 1;
    }
    let mut g = GraphAnswer::default();
    for a in 0..n {
        for b in 0..n {
            match marks[a * n + b] {
                1 => g.directed.push((a as u16, b as u16)),
                2 => g.undirected.push((a as u16, b as u16)),
                _ => {}
            }
        }
    }
    Ok(g)
}

fn arrow(mark: Mark) -> &'static str {
    match mark {
        Mark::Forward => "->",
        Mark::Backward => "<-",
        Mark::Undirected => "--",
        Mark::Both => "<->",
    }
}

/// The mark of a connector written between two names, if it is one.
fn connector(text: &str) -> Option<Mark> {
    let t: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    Some(match t.as_str() {
        "->" | "-->" | "--->" | "→" | "⟶" | "=>" | "==>" | "-.->" | "⇒" | "—>" | "–>" | "─>"
        | "⟹" => Mark::Forward,
        "<-" | "<--" | "<---" | "←" | "⟵" | "<=" | "<==" | "<-.-" | "⇐" | "<—" | "<–" => {
            Mark::Backward
        }
        "-" | "--" | "---" | "—" | "–" | "−" | "─" | "—-" | "-.-" => Mark::Undirected,
        "<->" | "<-->" | "↔" | "⟷" | "<=>" | "⇔" => Mark::Both,
        _ => return None,
    })
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Reads `A -> B -> C` (names may be quoted, bold or in backticks; Mermaid's node shapes
/// `A[...]` and edge labels `|...|` are skipped) into edges; `None` if it is not such a chain.
fn chain(segment: &str) -> Option<Vec<RawEdge>> {
    let mut names: Vec<String> = Vec::new();
    let mut connectors: Vec<String> = Vec::new();
    let mut between = String::new();
    let mut chars = segment.chars().peekable();
    while let Some(&c) = chars.peek() {
        if is_name_char(c) {
            let mut name = String::new();
            while let Some(&c) = chars.peek() {
                if !is_name_char(c) {
                    break;
                }
                name.push(c);
                chars.next();
            }
            if names.is_empty() {
                if !between.trim().is_empty() {
                    return None;
                }
            } else {
                connectors.push(std::mem::take(&mut between));
            }
            between.clear();
            names.push(name);
            // A Mermaid node shape after the id: its label is not a name.
            if let Some(&open) = chars.peek() {
                let close = match open {
                    '[' => Some(']'),
                    '(' => Some(')'),
                    '{' => Some('}'),
                    _ => None,
                };
                if let Some(close) = close {
                    for c in chars.by_ref() {
                        if c == close {
                            break;
                        }
                    }
                    while chars.peek() == Some(&close) {
                        chars.next();
                    }
                }
            }
        } else if c == '|' {
            // A Mermaid edge label: -->|text|
            chars.next();
            for c in chars.by_ref() {
                if c == '|' {
                    break;
                }
            }
        } else if matches!(c, '"' | '\'' | '`' | '*') {
            chars.next();
        } else {
            between.push(c);
            chars.next();
        }
    }
    if names.len() < 2 || !between.trim().is_empty() {
        return None;
    }
    let mut edges = Vec::new();
    for (i, c) in connectors.iter().enumerate() {
        let mark = connector(c)?;
        edges.push((names[i].clone(), mark, names[i + 1].clone()));
    }
    Some(edges)
}

/// Whether a line says the graph has no edges.
fn says_no_edges(line: &str) -> bool {
    let l: String = line
        .trim()
        .trim_end_matches(['.', '!'])
        .trim_matches(['*', '`', '"'])
        .to_lowercase();
    let l = l
        .strip_prefix("answer:")
        .or_else(|| l.strip_prefix("final answer:"))
        .unwrap_or(&l)
        .trim();
    matches!(
        l,
        "no edges"
            | "none"
            | "empty graph"
            | "the empty graph"
            | "there are no edges"
            | "no edges at all"
            | "the graph has no edges"
            | "(no edges)"
    )
}

/// A bullet, number or "Answer:"-style label at the start of a line, removed.
fn strip_lead(line: &str) -> &str {
    let t = line.trim();
    let t = t
        .strip_prefix("- ")
        .or_else(|| t.strip_prefix("* "))
        .or_else(|| t.strip_prefix("• "))
        .or_else(|| t.strip_prefix("+ "))
        .unwrap_or(t);
    let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
    let t = if digits > 0 {
        let rest = &t[digits..];
        rest.strip_prefix(". ")
            .or_else(|| rest.strip_prefix(") "))
            .unwrap_or(t)
    } else {
        t
    };
    t.trim()
}

/// Edges of one line of an edge list, `None` if the line is not one (prose, a header).
fn edge_line(line: &str) -> Option<Vec<RawEdge>> {
    let t = strip_lead(line)
        .trim_end_matches([',', ';', '.'])
        .trim_end_matches(['"', '\'', '`'])
        .trim_end_matches([',', ';', '.'])
        .trim_start_matches(['"', '\'', '`']);
    let parse = |t: &str| -> Option<Vec<RawEdge>> {
        let mut edges = Vec::new();
        let mut any = false;
        for part in t.split([',', ';']) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            if is_mermaid_header(part) {
                continue;
            }
            edges.extend(chain(part)?);
            any = true;
        }
        any.then_some(edges)
    };
    if let Some(e) = parse(t) {
        return Some(e);
    }
    // "Answer: A -> B", "Edges: A -> B, B -> C".
    let (label, rest) = t.split_once(':')?;
    if label.len() <= 24 && label.chars().all(|c| c.is_alphabetic() || c == ' ') {
        parse(rest.trim())
    } else {
        None
    }
}

fn is_mermaid_header(s: &str) -> bool {
    let mut words = s.split_whitespace();
    matches!(words.next(), Some("graph" | "flowchart"))
        && matches!(words.next(), Some("LR" | "RL" | "TD" | "TB" | "BT") | None)
        && words.next().is_none()
}

/// Runs of edge lines (blank lines and a Mermaid header inside do not break a run), and lines
/// saying "no edges".
fn line_blocks(text: &str, blocks: &mut Vec<Block>) {
    let mut offset = 0;
    let mut current: Option<Block> = None;
    let mut mermaid = false;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let body = line.trim();
        if body.is_empty() {
            continue;
        }
        if is_mermaid_header(body.trim_end_matches(';')) {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
            mermaid = true;
            current = Some(Block {
                start,
                end: start,
                form: "Mermaid",
                edges: Vec::new(),
            });
            continue;
        }
        if body.starts_with("```") {
            if let Some(b) = current.take() {
                if !b.edges.is_empty() || b.form != "Mermaid" {
                    blocks.push(b);
                }
            }
            mermaid = false;
            continue;
        }
        if says_no_edges(body) {
            if let Some(b) = current.take() {
                blocks.push(b);
            }
            blocks.push(Block {
                start,
                end: offset,
                form: "\"no edges\"",
                edges: Vec::new(),
            });
            continue;
        }
        match edge_line(body) {
            Some(edges) => {
                let b = current.get_or_insert_with(|| Block {
                    start,
                    end: offset,
                    form: "edge lines",
                    edges: Vec::new(),
                });
                if mermaid {
                    b.form = "Mermaid";
                } else if b.form == "edge lines" && body.trim_start().starts_with(['-', '*', '•'])
                {
                    b.form = "bullet list";
                }
                b.edges.extend(edges);
                b.end = offset;
            }
            None => {
                if let Some(b) = current.take() {
                    if !b.edges.is_empty() {
                        blocks.push(b);
                    }
                }
                mermaid = false;
            }
        }
    }
    if let Some(b) = current {
        if !b.edges.is_empty() {
            blocks.push(b);
        }
    }
}

/// A JSON value's edges, if it is a graph: `{"directed", "undirected"}`, `{"edges": [...]}` or an
/// edge list.
fn json_graph(v: &Value) -> Option<Vec<RawEdge>> {
    let list = |v: &Value, default: Mark| -> Option<Vec<RawEdge>> {
        let mut out = Vec::new();
        for e in v.as_array()? {
            match e {
                Value::Array(pair) if pair.len() == 2 => {
                    out.push((
                        pair[0].as_str()?.trim().to_string(),
                        default,
                        pair[1].as_str()?.trim().to_string(),
                    ));
                }
                Value::String(s) => {
                    let edges = chain(s)?;
                    if default == Mark::Undirected {
                        out.extend(edges.into_iter().map(|(a, _, b)| (a, Mark::Undirected, b)));
                    } else {
                        out.extend(edges);
                    }
                }
                Value::Object(o) => {
                    let get = |keys: &[&str]| {
                        keys.iter()
                            .find_map(|k| o.get(*k).and_then(Value::as_str))
                            .map(|s| s.trim().to_string())
                    };
                    let a = get(&["from", "source", "cause", "parent"])?;
                    let b = get(&["to", "target", "effect", "child"])?;
                    let mark = match o
                        .get("type")
                        .or_else(|| o.get("kind"))
                        .and_then(Value::as_str)
                    {
                        Some("undirected") => Mark::Undirected,
                        Some("directed") | None => default,
                        Some(_) => return None,
                    };
                    let mark = match o.get("directed").and_then(Value::as_bool) {
                        Some(false) => Mark::Undirected,
                        _ => mark,
                    };
                    out.push((a, mark, b));
                }
                _ => return None,
            }
        }
        Some(out)
    };
    match v {
        Value::Object(o) => {
            let (d, u) = (o.get("directed"), o.get("undirected"));
            if d.is_some() || u.is_some() {
                let mut edges = match d {
                    Some(d) => list(d, Mark::Forward)?,
                    None => Vec::new(),
                };
                if let Some(u) = u {
                    edges.extend(list(u, Mark::Undirected)?);
                }
                return Some(edges);
            }
            list(o.get("edges")?, Mark::Forward)
        }
        Value::Array(_) => list(v, Mark::Forward),
        _ => None,
    }
}

/// JSON objects and arrays in the text that are graphs.
fn json_blocks(text: &str, blocks: &mut Vec<Block>) {
    let mut from = 0;
    while let Some(i) = text[from..].find(['{', '[']) {
        let start = from + i;
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(v)) => {
                let end = start + stream.byte_offset();
                if let Some(edges) = json_graph(&v) {
                    let form = if v.is_object() {
                        "JSON object"
                    } else {
                        "JSON edge list"
                    };
                    blocks.push(Block {
                        start,
                        end,
                        form,
                        edges,
                    });
                    from = end;
                } else {
                    from = start + 1;
                }
            }
            _ => from = start + 1,
        }
    }
}

/// DOT graphs: `digraph NAME { ... }` and `graph { ... }`.
fn dot_blocks(text: &str, blocks: &mut Vec<Block>) {
    let mut from = 0;
    while let Some(i) = text[from..].find("graph") {
        let start = from + i;
        from = start + 5;
        let before = text[..start].trim_end_matches("di");
        if before.chars().next_back().is_some_and(is_name_char) {
            continue;
        }
        let rest = &text[from..];
        let Some(open) = rest.find('{') else { break };
        let head = rest[..open].trim();
        if !head.chars().all(|c| is_name_char(c) || c == '"') {
            continue;
        }
        let Some(close) = rest[open..].find('}') else {
            break;
        };
        let body = &rest[open + 1..open + close];
        let mut edges = Vec::new();
        let mut ok = true;
        for statement in body.split([';', '\n']) {
            // Attributes `[...]` and quotes go; settings (`rankdir=LR`, `node [...]`) are skipped.
            let mut s = String::new();
            let mut depth = 0;
            for c in statement.chars() {
                match c {
                    '[' => depth += 1,
                    ']' => depth -= 1,
                    _ if depth == 0 => s.push(c),
                    _ => {}
                }
            }
            let s = s.trim();
            if s.is_empty()
                || s.contains('=')
                || ["node", "edge", "graph", "rankdir", "subgraph"]
                    .iter()
                    .any(|k| s == *k || s.starts_with(&format!("{k} ")))
                || s.chars().all(|c| is_name_char(c) || c == '"')
            {
                continue;
            }
            match chain(s) {
                Some(e) => edges.extend(e),
                None => {
                    ok = false;
                    break;
                }
            }
        }
        let end = from + open + close + 1;
        if ok {
            blocks.push(Block {
                start: before.len(),
                end,
                form: "DOT",
                edges,
            });
        }
        from = end;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(s: &str) -> Vec<String> {
        s.split(',').map(str::to_string).collect()
    }

    type Edges = (Vec<(u16, u16)>, Vec<(u16, u16)>);

    fn ok(text: &str) -> Edges {
        let r = read(text, &vars("A,B,C,D"));
        let g = r
            .answer
            .unwrap_or_else(|e| panic!("{text:?} unparsed: {e}"));
        (g.directed, g.undirected)
    }

    fn unparsed(text: &str) -> String {
        match read(text, &vars("A,B,C,D")).answer {
            Ok(g) => panic!("{text:?} read as {g:?}"),
            Err(e) => e,
        }
    }

    #[test]
    fn every_form_reads_the_same_graph() {
        // A -> C, B -> C, C -- D.
        let want = (vec![(0, 2), (1, 2)], vec![(2, 3)]);
        for text in [
            "A -> C\nB -> C\nC -- D",
            "A→C\nB→C\nC - D",
            "A -> C\nC <- B\nC — D\n",
            "C <- A\nC ← B\nD – C",
            "- A -> C\n- B -> C\n- C -- D",
            "* **A** -> **C**\n* `B` -> `C`\n* C -- D.",
            "1. A -> C\n2. B -> C\n3. C -- D",
            "A -> C, B -> C, C -- D",
            "Answer: A -> C; B -> C; C -- D",
            "{\"directed\": [[\"A\", \"C\"], [\"B\", \"C\"]], \"undirected\": [[\"C\", \"D\"]]}",
            "```json\n{\"directed\": [\"A -> C\", \"B -> C\"], \"undirected\": [\"C -- D\"]}\n```",
            "[{\"from\": \"A\", \"to\": \"C\"}, {\"from\": \"B\", \"to\": \"C\"}, {\"from\": \"C\", \"to\": \"D\", \"type\": \"undirected\"}]",
            "digraph { A -> C; B -> C; C -> D [dir=none, style=dashed]; }",
            "```dot\ndigraph G {\n  rankdir=LR;\n  A -> C;\n  B -> C;\n  C -- D;\n}\n```",
            "graph LR; A-->C; B-->C; C---D",
            "```mermaid\ngraph TD\n  A[Alpha] --> C\n  B -->|causes| C\n  C --- D\n```",
            "```\nA -> C\nB -> C\nC -- D\n```",
        ] {
            // DOT's `[dir=none]` is an attribute we drop: that line reads as directed.
            if text.contains("dir=none") {
                assert_eq!(ok(text), (vec![(0, 2), (1, 2), (2, 3)], vec![]), "{text}");
                continue;
            }
            assert_eq!(ok(text), want, "{text}");
        }
        // A JSON edge list of pairs is directed.
        assert_eq!(ok("[[\"A\", \"B\"]]"), (vec![(0, 1)], vec![]));
        assert_eq!(ok("{\"edges\": [[\"B\", \"A\"]]}"), (vec![(1, 0)], vec![]));
        // A chain.
        assert_eq!(ok("A -> B -> C"), (vec![(0, 1), (1, 2)], vec![]));
    }

    #[test]
    fn the_last_well_formed_block_counts() {
        let text = "Let me think. A and B are independent, so no edge A - B.\nCandidate:\nA -> B\nB -> C\nBut wait, B is a collider, so:\n\nFinal answer:\nA -> C\nB -> C\n\nThat is the CPDAG.";
        assert_eq!(ok(text), (vec![(0, 2), (1, 2)], vec![]));
        assert_eq!(ok("<think>A -> B</think>\nA -- B"), (vec![], vec![(0, 1)]));
        let json_last = "First guess: A -> B\n```json\n{\"directed\": [], \"undirected\": [[\"A\", \"D\"]]}\n```";
        assert_eq!(ok(json_last), (vec![], vec![(0, 3)]));
        assert_eq!(
            ok("Reasoning: A -> B at first.\nNo edges."),
            (vec![], vec![])
        );
        assert_eq!(ok("no edges"), (vec![], vec![]));
        assert_eq!(
            ok("{\"directed\": [], \"undirected\": []}"),
            (vec![], vec![])
        );
        assert_eq!(ok("digraph {}"), (vec![], vec![]));
        // Case differences in names are forgiven when unambiguous.
        assert_eq!(ok("a -> b"), (vec![(0, 1)], vec![]));
    }

    #[test]
    fn bad_answers_stay_unparsed_with_the_reason() {
        assert!(unparsed("A -> E").contains("\"E\" is not a variable"));
        assert!(unparsed("A -> A").contains("self-loop"));
        assert!(unparsed("A -> B\nB -> A").contains("both ways"));
        assert!(unparsed("A <-> B").contains("both ways"));
        assert!(unparsed("A -> B\nA -- B").contains("also given"));
        assert!(unparsed("A -- B\nA -> B").contains("also given"));
        assert!(unparsed("{\"directed\": [[\"A\", \"X\"]]}").contains("not a variable"));
        assert!(unparsed("I cannot tell.").contains("no edge list"));
        assert!(unparsed("").contains("no edge list"));
        assert!(unparsed("Yes").contains("no edge list"));
        // Prose mentioning an arrow is not an edge list.
        assert!(unparsed("So A -> B would make a cycle.").contains("no edge list"));
        // The last block decides: a bad name there is not rescued by an earlier good block.
        assert!(unparsed("A -> B\n\nFinal:\nA -> Q").contains("\"Q\""));
    }
}
