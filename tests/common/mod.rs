//! Independent brute-force definitions for cross-checking the library: adjacency matrices, all
//! orientations of all pairs, path enumeration. Nothing here calls the code under test.
#![allow(dead_code, clippy::needless_range_loop)]

/// Skeleton pairs `(a, b)`, `a < b`, and v-structures `(a, collider, b)`, both sorted.
pub type Pattern = (Vec<(usize, usize)>, Vec<(usize, usize, usize)>);

/// A directed graph as an adjacency matrix: `adj[a][b]` iff `a -> b`.
#[derive(Clone, Debug)]
pub struct Naive {
    pub n: usize,
    pub adj: Vec<Vec<bool>>,
}

impl Naive {
    pub fn from_edges(n: usize, edges: &[(usize, usize)]) -> Naive {
        let mut adj = vec![vec![false; n]; n];
        for &(a, b) in edges {
            adj[a][b] = true;
        }
        Naive { n, adj }
    }

    pub fn edges(&self) -> Vec<(usize, usize)> {
        let mut out = vec![];
        for a in 0..self.n {
            for b in 0..self.n {
                if self.adj[a][b] {
                    out.push((a, b));
                }
            }
        }
        out
    }

    pub fn adjacent(&self, a: usize, b: usize) -> bool {
        self.adj[a][b] || self.adj[b][a]
    }

    pub fn is_acyclic(&self) -> bool {
        // 0 = unvisited, 1 = on stack, 2 = done.
        fn visit(g: &Naive, v: usize, state: &mut [u8]) -> bool {
            state[v] = 1;
            for w in 0..g.n {
                if g.adj[v][w] && (state[w] == 1 || (state[w] == 0 && !visit(g, w, state))) {
                    return false;
                }
            }
            state[v] = 2;
            true
        }
        let mut state = vec![0u8; self.n];
        (0..self.n).all(|v| state[v] != 0 || visit(self, v, &mut state))
    }

    /// Whether a directed path of at least `min_len` edges leads from `from` to `to` without
    /// entering any node of `avoid`.
    pub fn directed_path(&self, from: usize, to: usize, avoid: &[usize], min_len: usize) -> bool {
        fn walk(
            g: &Naive,
            v: usize,
            to: usize,
            avoid: &[usize],
            min_len: usize,
            len: usize,
            on: &mut Vec<bool>,
        ) -> bool {
            for w in 0..g.n {
                if !g.adj[v][w] || on[w] || avoid.contains(&w) {
                    continue;
                }
                if w == to && len + 1 >= min_len {
                    return true;
                }
                if w != to {
                    on[w] = true;
                    if walk(g, w, to, avoid, min_len, len + 1, on) {
                        return true;
                    }
                    on[w] = false;
                }
            }
            false
        }
        let mut on = vec![false; self.n];
        on[from] = true;
        walk(self, from, to, avoid, min_len, 0, &mut on)
    }

    /// Strict descendants of `v` by search.
    pub fn descendants(&self, v: usize) -> Vec<bool> {
        let mut seen = vec![false; self.n];
        let mut stack = vec![v];
        while let Some(u) = stack.pop() {
            for w in 0..self.n {
                if self.adj[u][w] && !seen[w] {
                    seen[w] = true;
                    stack.push(w);
                }
            }
        }
        seen
    }

    /// d-connection by its definition: some simple path between `x` and `y` on which every
    /// non-collider is outside `z` and every collider is in `z` or has a descendant in `z`.
    pub fn d_connected(&self, x: usize, y: usize, z: &[bool]) -> bool {
        let desc: Vec<Vec<bool>> = (0..self.n).map(|v| self.descendants(v)).collect();
        let mut path = vec![x];
        let mut on = vec![false; self.n];
        on[x] = true;
        self.extend_path(y, z, &desc, &mut path, &mut on)
    }

    fn extend_path(
        &self,
        y: usize,
        z: &[bool],
        desc: &[Vec<bool>],
        path: &mut Vec<usize>,
        on: &mut Vec<bool>,
    ) -> bool {
        let last = *path.last().unwrap();
        for w in 0..self.n {
            if !self.adjacent(last, w) || on[w] {
                continue;
            }
            // `last` becomes an inner node once w follows: check it (if it is inner).
            if path.len() >= 2 {
                let prev = path[path.len() - 2];
                let collider = self.adj[prev][last] && self.adj[w][last];
                let open = if collider {
                    z[last] || (0..self.n).any(|d| desc[last][d] && z[d])
                } else {
                    !z[last]
                };
                if !open {
                    continue;
                }
            }
            if w == y {
                return true;
            }
            path.push(w);
            on[w] = true;
            if self.extend_path(y, z, desc, path, on) {
                return true;
            }
            path.pop();
            on[w] = false;
        }
        false
    }

    /// The six relations of the spec for `(x, y)`, in Corr2Cause's order.
    pub fn relations(&self, x: usize, y: usize) -> [bool; 6] {
        let others = |a: usize, b: usize| (0..self.n).filter(move |&c| c != a && c != b);
        [
            self.adj[x][y],
            self.directed_path(x, y, &[], 2),
            self.adj[y][x],
            self.directed_path(y, x, &[], 2),
            others(x, y)
                .any(|c| self.directed_path(x, c, &[y], 1) && self.directed_path(y, c, &[x], 1)),
            others(x, y)
                .any(|c| self.directed_path(c, x, &[y], 1) && self.directed_path(c, y, &[x], 1)),
        ]
    }

    /// Skeleton pairs and v-structures `(a, c, b)`, `a < b`, both sorted.
    pub fn pattern(&self) -> Pattern {
        let mut skel = vec![];
        for a in 0..self.n {
            for b in a + 1..self.n {
                if self.adjacent(a, b) {
                    skel.push((a, b));
                }
            }
        }
        let mut vs = vec![];
        for c in 0..self.n {
            for a in 0..self.n {
                for b in a + 1..self.n {
                    if self.adj[a][c] && self.adj[b][c] && !self.adjacent(a, b) {
                        vs.push((a, c, b));
                    }
                }
            }
        }
        (skel, vs)
    }
}

/// Every labelled DAG on `n` nodes, found by trying all 3^C(n,2) ways to orient or omit each pair.
pub fn all_dags(n: usize) -> Vec<Naive> {
    let pairs: Vec<(usize, usize)> = (0..n)
        .flat_map(|a| (a + 1..n).map(move |b| (a, b)))
        .collect();
    let total = 3usize.pow(pairs.len() as u32);
    let mut out = vec![];
    for mut code in 0..total {
        let mut edges = vec![];
        for &(a, b) in &pairs {
            match code % 3 {
                1 => edges.push((a, b)),
                2 => edges.push((b, a)),
                _ => {}
            }
            code /= 3;
        }
        let g = Naive::from_edges(n, &edges);
        if g.is_acyclic() {
            out.push(g);
        }
    }
    out
}

/// The nodes of a bitmask as a membership vector.
pub fn members(n: usize, mask: u64) -> Vec<bool> {
    (0..n).map(|v| (mask >> v) & 1 == 1).collect()
}

/// Runs the `corrcause` binary with `args` and no input.
pub fn corrcause(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_corrcause"))
        .args(args)
        .output()
        .expect("corrcause runs")
}

/// Runs the `corrcause` binary with `args`; fails the test with its error output unless it
/// succeeds.
pub fn corrcause_ok(args: &[&str]) -> std::process::Output {
    let out = corrcause(args);
    assert!(
        out.status.success(),
        "corrcause {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// A fresh, empty directory for one test (`tag` names the test file, `name` the test).
pub fn temp_dir(tag: &str, name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("corrcause-{tag}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temporary directory");
    d
}

/// A file of the published Corr2Cause data in `../shared/corr2cause-data`.
pub fn shared(path: &str) -> std::path::PathBuf {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corr2cause-data")
        .join(path);
    assert!(
        p.exists(),
        "{} is missing: the tests need ../shared beside the checkout",
        p.display()
    );
    p
}

/// Generates Corr2Cause's items on `nodes` variables (e.g. `2..=4`, corrected labels) into `dir`
/// and returns the items file.
pub fn corr2cause_items(nodes: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let out = corrcause(&[
        "generate",
        "--preset",
        "corr2cause-v2",
        "--nodes",
        nodes,
        // One file, handed over as a file (up to 9,342 items at N <= 5).
        "--items-per-file",
        "1000000",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir.join("items.jsonl")
}

/// The JSON a successful `corrcause` run printed; fails the test with its error output otherwise.
pub fn json_of(out: &std::process::Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the output is JSON")
}

/// A model program for `--model cmd:python3 PATH DELAY`: answers every request after DELAY
/// seconds, "Yes" exactly for the hypotheses about direct causes.
pub const FAKE_MODEL: &str = r#"
import json, sys, time
delay = float(sys.argv[1])
for line in sys.stdin:
    r = json.loads(line)
    time.sleep(delay)
    print(json.dumps({"id": r["id"], "output": "Yes" if "directly" in r["hypothesis"] else "No"}), flush=True)
"#;

/// Runs `corrcause generate --task graph` into `dir` with `args`; returns the records of every
/// JSONL file written, in file-name order.
pub fn generate_graph(dir: &std::path::Path, args: &[&str]) -> Vec<serde_json::Value> {
    let mut all = vec![
        "generate",
        "--task",
        "graph",
        "--out",
        dir.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    let out = corrcause(&all);
    assert!(
        out.status.success(),
        "generate {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}
