//! `corrcause merge`: joins the shards of a dataset (`generate --shard`) or of a run
//! (`run --shard`, one folder per model inside each) into what one unsharded process writes.

use crate::dataset::manifest::merge;
use crate::error::{Error, Result};
use crate::output::OutputLock;
use clap::Args;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shard folders: each holds a manifest (a dataset shard, or one model's predictions), or
    /// is the output of `run --shard` (OUT/shard-k-of-n) with one folder per model.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
    /// Where the merged files and their manifest go.
    #[arg(long)]
    pub out: PathBuf,
}

/// Runs `corrcause merge`.
pub fn run(a: MergeArgs) -> Result<()> {
    let _lock = OutputLock::folder(&a.out, "merge", "--out")?;
    let has_manifest = |d: &PathBuf| d.join("manifest.json").exists();
    if a.shards.iter().all(has_manifest) {
        let m = merge(&a.shards, &a.out)?;
        eprintln!("merged {} shards into {}", m.shards, a.out.display());
        return Ok(());
    }
    // Run outputs: merge each model's folder across the shards.
    let mut models: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for dir in &a.shards {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::reading(dir.display(), e))?;
        let mut found = false;
        for entry in entries {
            let path = entry.map_err(|e| Error::reading(dir.display(), e))?.path();
            if path.is_dir() && has_manifest(&path) {
                let name = path
                    .file_name()
                    .expect("a folder has a name")
                    .to_string_lossy()
                    .to_string();
                models.entry(name).or_default().push(path);
                found = true;
            }
        }
        if !found {
            return Err(Error::Usage(format!(
                "merge: {} holds no manifest.json, nor folders with one",
                dir.display()
            )));
        }
    }
    for (name, folders) in &models {
        if folders.len() != a.shards.len() {
            return Err(Error::Usage(format!(
                "merge: model folder {name} is in {} of the {} shard folders",
                folders.len(),
                a.shards.len()
            )));
        }
    }
    for (name, folders) in &models {
        let out = a.out.join(name);
        let m = merge(folders, &out)?;
        eprintln!("{name}: merged {} shards into {}", m.shards, out.display());
    }
    Ok(())
}
