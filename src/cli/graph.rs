//! `corrcause graph`: the causal core on JSON lines (a contract other tools and checks rely on).

use crate::causal::{list_independences, Cpdag, Form as CiForm, Relation, RelationCounts};
use crate::error::{Error, Result, Source};
use crate::graph::enumerate::{self, dag_from_mask};
use crate::graph::json::{for_each_graph, write_graph, Labels};
use crate::graph::{Dag, DagSampler, Sampler};
use crate::output::Output;
use clap::{Args, Subcommand, ValueEnum};
use num_bigint::BigUint;
use rayon::prelude::*;
use std::path::PathBuf;

/// The `graph` subcommands.
#[derive(Subcommand, Debug)]
pub enum GraphCommand {
    /// Conditional independences implied by each DAG (d-separation).
    Ci(CiArgs),
    /// The CPDAG (essential graph) of each DAG's Markov equivalence class.
    Cpdag(InputArgs),
    /// Every member of each DAG's Markov equivalence class.
    Mec(MecArgs),
    /// For every pair x<y, in how many MEC members each causal relation holds, and its label.
    Relations(RelationsArgs),
    /// Seeded random DAGs, the same for the same seed on any machine and thread count.
    Sample(SampleArgs),
    /// Every DAG on N nodes, up to isomorphism or labelled.
    Enumerate(EnumerateArgs),
}

/// Where graphs are read from and results written to.
#[derive(Args, Debug)]
pub struct InputArgs {
    /// JSON-lines file of DAGs (standard input when absent or `-`).
    pub input: Option<PathBuf>,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CiArgs {
    #[command(flatten)]
    pub io: InputArgs,
    /// Print only the counts, not the list of independences.
    #[arg(long)]
    pub count: bool,
    /// Which statements to consider.
    #[arg(long, value_enum, default_value_t = CiForm::All)]
    pub form: CiForm,
}

#[derive(Args, Debug)]
pub struct MecArgs {
    #[command(flatten)]
    pub io: InputArgs,
    /// Print only the size of each MEC (counted without listing it).
    #[arg(long)]
    pub count: bool,
    /// Refuse to list a MEC with more members than this.
    #[arg(long, default_value_t = 1_000_000)]
    pub limit: u64,
}

#[derive(Args, Debug)]
pub struct RelationsArgs {
    #[command(flatten)]
    pub io: InputArgs,
    /// Refuse MECs with more members than this (relations are counted over every member).
    #[arg(long, default_value_t = 1_000_000)]
    pub limit: u64,
}

/// Random DAG models of `graph sample`.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SamplerKind {
    /// Erdos-Renyi over a random node order (edge probability --edge-prob).
    Er,
    /// Exactly --edges edges, uniformly placed over a random node order.
    Edges,
    /// Exactly uniform over all labelled DAGs on N nodes.
    Uniform,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// Number of nodes (up to 128; `graph` commands that read DAGs take up to 64).
    #[arg(long)]
    pub nodes: usize,
    /// Number of graphs.
    #[arg(long)]
    pub count: u64,
    /// The random model.
    #[arg(long, value_enum)]
    pub sampler: SamplerKind,
    /// Edge probability for `er`.
    #[arg(long, default_value_t = 0.3)]
    pub edge_prob: f64,
    /// Number of edges for `edges`.
    #[arg(long)]
    pub edges: Option<usize>,
    /// Largest number of parents per node (`er` and `edges`).
    #[arg(long)]
    pub max_in_degree: Option<usize>,
    /// Seed: graph i of seed s is the same everywhere.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct EnumerateArgs {
    /// Number of nodes (up to 7 up to isomorphism; up to 6 labelled, 7 with --count).
    #[arg(long, default_value_t = 5)]
    pub nodes: usize,
    /// Every labelled DAG instead of one per isomorphism class.
    #[arg(long)]
    pub labelled: bool,
    /// Print only the number of DAGs.
    #[arg(long)]
    pub count: bool,
    /// Write to this file (atomically) instead of standard output.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

/// Runs one `graph` subcommand.
pub fn run(cmd: GraphCommand) -> Result<()> {
    match cmd {
        GraphCommand::Ci(a) => map_lines(&a.io, |dag, labels| ci(dag, labels, a.form, a.count)),
        GraphCommand::Cpdag(io) => map_lines(&io, |dag, labels| Ok(cpdag(dag, labels))),
        GraphCommand::Mec(a) => map_lines(&a.io, |dag, labels| mec(dag, labels, a.count, a.limit)),
        GraphCommand::Relations(a) => {
            map_lines(&a.io, |dag, labels| relations(dag, labels, a.limit))
        }
        GraphCommand::Sample(a) => sample(&a),
        GraphCommand::Enumerate(a) => enumerate(&a),
    }
}

fn map_lines(
    io: &InputArgs,
    f: impl Fn(&Dag, &Labels) -> std::result::Result<String, String> + Sync,
) -> Result<()> {
    let source = match &io.input {
        None => Source::Stdin,
        Some(p) if p.as_os_str() == "-" => Source::Stdin,
        Some(p) => Source::File(p.clone()),
    };
    let mut out = Output::open(io.output.as_deref())?;
    for_each_graph(
        &source,
        |dag| f(dag, &Labels::of(dag)),
        |line| out.put(line.as_bytes()),
    )?;
    out.finish()
}

fn ci(
    dag: &Dag,
    labels: &Labels,
    form: CiForm,
    count_only: bool,
) -> std::result::Result<String, String> {
    let listing = list_independences(dag, form, count_only)?;
    let mut out = format!(
        "{{\"statements\":{},\"independent\":{}",
        listing.statements, listing.independent
    );
    if !count_only {
        out.push_str(",\"independences\":[");
        for (i, s) in listing.independences.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('[');
            labels.node(&mut out, s.x);
            out.push(',');
            labels.node(&mut out, s.y);
            out.push(',');
            labels.set(&mut out, s.given);
            out.push(']');
        }
        out.push(']');
    }
    out.push_str("}\n");
    Ok(out)
}

fn cpdag(dag: &Dag, labels: &Labels) -> String {
    let c = Cpdag::of(dag);
    let mut out = String::from("{\"directed\":");
    labels.pairs(&mut out, &c.directed_edges());
    out.push_str(",\"undirected\":");
    labels.pairs(&mut out, &c.undirected_edges());
    out.push_str("}\n");
    out
}

fn checked_size(cpdag: &Cpdag, limit: u64, what: &str) -> std::result::Result<u64, String> {
    cpdag
        .size_within(limit)
        .map_err(|size| format!("the MEC has {size} members, more than --limit {limit}; {what}"))
}

fn mec(
    dag: &Dag,
    labels: &Labels,
    count_only: bool,
    limit: u64,
) -> std::result::Result<String, String> {
    let c = Cpdag::of(dag);
    if count_only {
        let size: BigUint = c.mec_size();
        return Ok(format!("{{\"size\":{size}}}\n"));
    }
    let size = checked_size(&c, limit, "use --count, or raise --limit")?;
    let mut out = format!("{{\"size\":{size},\"members\":[");
    for (i, member) in c.members().iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        labels.pairs(&mut out, &member.edges());
    }
    out.push_str("]}\n");
    Ok(out)
}

fn relations(dag: &Dag, labels: &Labels, limit: u64) -> std::result::Result<String, String> {
    let c = Cpdag::of(dag);
    checked_size(
        &c,
        limit,
        "raise --limit to count relations over every member",
    )?;
    let counts = RelationCounts::of(&c);
    let mut out = format!("{{\"mec_size\":{},\"relations\":[", counts.mec_size);
    let mut first = true;
    for x in 0..dag.n() {
        for y in x + 1..dag.n() {
            for r in Relation::ALL {
                if !first {
                    out.push(',');
                }
                first = false;
                out.push_str("{\"x\":");
                labels.node(&mut out, x);
                out.push_str(",\"y\":");
                labels.node(&mut out, y);
                out.push_str(&format!(
                    ",\"relation\":\"{r}\",\"holds\":{},\"label\":\"{}\"}}",
                    counts.holds(x, y, r),
                    counts.label(x, y, r)
                ));
            }
        }
    }
    out.push_str("]}\n");
    Ok(out)
}

fn sample(a: &SampleArgs) -> Result<()> {
    let kind = a.sampler.to_possible_value().expect("no skipped variant");
    let sampler = Sampler::named(kind.get_name(), a.edge_prob, a.edges).map_err(Error::Usage)?;
    let sampler = DagSampler::new(a.nodes, sampler, a.max_in_degree)
        .map_err(|e| Error::Usage(e.to_string()))?;
    let mut out = Output::open(a.output.as_deref())?;
    let batch = 4096u64;
    let mut start = 0;
    while start < a.count {
        let end = (start + batch).min(a.count);
        let lines: Vec<String> = (start..end)
            .into_par_iter()
            .map(|i| {
                let mut s = String::new();
                write_graph(&mut s, a.nodes, &sampler.sample_edges(a.seed, i));
                s
            })
            .collect();
        for l in lines {
            out.put(l.as_bytes())?;
        }
        start = end;
    }
    out.finish()
}

fn enumerate(a: &EnumerateArgs) -> Result<()> {
    let n = a.nodes;
    enumerate::check_nodes(n, a.labelled, a.count).map_err(Error::Usage)?;
    let mut out = Output::open(a.output.as_deref())?;
    if a.labelled {
        if a.count {
            let mut count = 0u64;
            enumerate::for_each_labelled_dag(n, |_| count += 1);
            out.put(format!("{{\"count\":{count}}}\n").as_bytes())?;
        } else {
            let mut buf = String::new();
            let mut result = Ok(());
            enumerate::for_each_labelled_dag(n, |ps| {
                let edges = Dag::from_parents_unchecked(ps.to_vec()).edges();
                write_graph(&mut buf, n, &edges);
                if buf.len() > 1 << 16 && result.is_ok() {
                    result = out.put(buf.as_bytes());
                    buf.clear();
                }
            });
            result?;
            out.put(buf.as_bytes())?;
        }
    } else {
        let masks = enumerate::unlabelled_masks(n);
        if a.count {
            out.put(format!("{{\"count\":{}}}\n", masks.len()).as_bytes())?;
        } else {
            let mut buf = String::new();
            for m in masks {
                write_graph(&mut buf, n, &dag_from_mask(n, m).edges());
                if buf.len() > 1 << 16 {
                    out.put(buf.as_bytes())?;
                    buf.clear();
                }
            }
            out.put(buf.as_bytes())?;
        }
    }
    out.finish()
}
