//! A content-addressed cache of answers (`--cache DIR`): one small JSON file per answer, named by
//! the SHA-256 of what decides it (the model's identity and parameters, and the exact prompt), so
//! a second run, another dataset with the same items, or another process reuses it. Files are
//! written to a temporary name and renamed, so concurrent writers and kills never leave a torn one.

use super::backend::Reply;
use crate::error::{Error, Result};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};

/// An answer cache in a directory.
#[derive(Clone, Debug)]
pub struct Cache {
    dir: PathBuf,
}

/// The key of one request: hex SHA-256 of the backend identity and the prompt.
pub fn key(identity: &str, prompt: &str) -> String {
    let mut h = Sha256::new();
    h.update((identity.len() as u64).to_le_bytes());
    h.update(identity.as_bytes());
    h.update(prompt.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

impl Cache {
    /// A cache in `dir` (created if missing).
    pub fn open(dir: &Path) -> Result<Cache> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io_at("creating folder", dir.display(), e))?;
        Ok(Cache {
            dir: dir.to_path_buf(),
        })
    }

    fn path(&self, key: &str) -> PathBuf {
        self.dir.join(&key[..2]).join(format!("{}.json", &key[2..]))
    }

    /// The cached reply for `key`, if any. A damaged entry counts as missing (and is rewritten
    /// by the next answer).
    pub fn get(&self, key: &str) -> Option<Reply> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        let v: Value = serde_json::from_slice(&bytes).ok()?;
        let tokens = |f: &str| v.get(f).and_then(Value::as_u64);
        Some(Reply {
            output: v.get("output")?.as_str()?.to_string(),
            prompt_tokens: tokens("prompt_tokens"),
            completion_tokens: tokens("completion_tokens"),
            answer_probabilities: v
                .get("answer_probabilities")
                .and_then(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?))),
        })
    }

    /// Stores `reply` under `key`.
    pub fn put(&self, key: &str, reply: &Reply) -> Result<()> {
        let path = self.path(key);
        let dir = path.parent().expect("a cache entry has a folder");
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io_at("creating folder", dir.display(), e))?;
        let value = json!({
            "output": reply.output,
            "prompt_tokens": reply.prompt_tokens,
            "completion_tokens": reply.completion_tokens,
            "answer_probabilities": reply.answer_probabilities.map(|(y, n)| [y, n]),
        });
        let temp = path.with_extension(format!(
            "{}.{:?}.tmp",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::write(&temp, value.to_string()).map_err(|e| Error::writing(temp.display(), e))?;
        std::fs::rename(&temp, &path).map_err(|e| Error::writing(path.display(), e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_and_finds_by_identity_and_prompt() {
        let dir = std::env::temp_dir().join(format!("corrcause-cache-{}", std::process::id()));
        let cache = Cache::open(&dir).unwrap();
        let reply = Reply {
            output: "Yes".into(),
            prompt_tokens: Some(10),
            completion_tokens: None,
            answer_probabilities: Some((0.7, 0.2)),
        };
        let k = key("m", "prompt");
        assert_ne!(k, key("m2", "prompt"));
        assert_ne!(key("ab", "c"), key("a", "bc"));
        assert_eq!(cache.get(&k), None);
        cache.put(&k, &reply).unwrap();
        assert_eq!(cache.get(&k), Some(reply));
        std::fs::write(cache.path(&k), "{torn").unwrap();
        assert_eq!(cache.get(&k), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
