//! The journal of a run: one JSON line per answered item, appended and flushed as answers
//! arrive, so a run killed at any moment loses at most the line it was writing. Reopened, it
//! tells which items are done and where their records are; a torn last line (the kill) is cut
//! off, anything else malformed is an error, and an id answered twice keeps its first answer.
//! Only record positions are held in memory, so a run's memory does not grow with its prompts.

use crate::error::{Error, Result, Source};
use serde_json::Value;
use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

/// An open journal, ready to append.
pub struct Journal {
    path: PathBuf,
    file: File,
    /// Bytes written so far (the offset of the next record).
    len: u64,
}

/// Where one record lies in the journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub offset: u64,
    pub len: u32,
}

impl Journal {
    /// Opens (or creates) the journal at `path` and returns it with the places of the records
    /// already in it, by id (the first record of each id).
    pub fn open(path: &Path) -> Result<(Journal, HashMap<String, Span>)> {
        let source = Source::File(path.to_path_buf());
        let mut done: HashMap<String, Span> = HashMap::new();
        let mut keep = 0u64; // bytes of complete, valid lines
        if path.exists() {
            let bytes = std::fs::read(path).map_err(|e| Error::reading(path.display(), e))?;
            for (i, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
                // A line without its newline was torn by a kill: cut it, its item is asked again.
                let Some(content) = line.strip_suffix(b"\n") else {
                    break;
                };
                let parsed = std::str::from_utf8(content)
                    .ok()
                    .and_then(|t| serde_json::from_str::<Value>(t).ok());
                match parsed
                    .as_ref()
                    .and_then(|v| v.get("id"))
                    .and_then(Value::as_str)
                {
                    Some(id) => {
                        done.entry(id.to_string()).or_insert(Span {
                            offset: keep,
                            len: content.len() as u32,
                        });
                        keep += line.len() as u64;
                    }
                    None => {
                        return Err(Error::input(
                            &source,
                            i + 1,
                            None,
                            "not a journal record (JSON with an `id`); the journal is damaged",
                        ))
                    }
                }
            }
        }
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::writing(path.display(), e))?;
        file.set_len(keep)
            .map_err(|e| Error::writing(path.display(), e))?;
        let mut journal = Journal {
            path: path.to_path_buf(),
            file,
            len: keep,
        };
        journal
            .file
            .seek(SeekFrom::End(0))
            .map_err(|e| Error::writing(path.display(), e))?;
        Ok((journal, done))
    }

    /// Appends one record (it must have a string `id`), hands it to the operating system at
    /// once, and returns where it lies.
    pub fn append(&mut self, record: &Value) -> Result<Span> {
        debug_assert!(record.get("id").and_then(Value::as_str).is_some());
        let mut line = serde_json::to_string(record).expect("a record serialises");
        let span = Span {
            offset: self.len,
            len: line.len() as u32,
        };
        line.push('\n');
        let written = crate::output::fault::write_all(&mut self.file, &self.path, line.as_bytes());
        if let Err(e) = written {
            // A record written in part (a full disk) is cut off, so the journal stays whole.
            let _ = self.file.set_len(self.len);
            let _ = self.file.seek(SeekFrom::Start(self.len));
            return Err(Error::writing(self.path.display(), e));
        }
        self.len += line.len() as u64;
        Ok(span)
    }

    /// A reader of the records at given places.
    pub fn reader(&self) -> Result<Records> {
        Ok(Records {
            path: self.path.clone(),
            file: File::open(&self.path).map_err(|e| Error::reading(self.path.display(), e))?,
        })
    }
}

/// Reads records of a journal by their places.
pub struct Records {
    path: PathBuf,
    file: File,
}

impl Records {
    /// The record at `span`, as its JSON text (without the newline).
    pub fn get(&mut self, span: Span) -> Result<Vec<u8>> {
        let mut bytes = vec![0; span.len as usize];
        self.file
            .seek(SeekFrom::Start(span.offset))
            .and_then(|_| self.file.read_exact(&mut bytes))
            .map_err(|e| Error::reading(self.path.display(), e))?;
        Ok(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::io::Write;

    #[test]
    fn resumes_after_a_torn_line_and_keeps_first_answers() {
        let dir = std::env::temp_dir().join(format!("corrcause-journal-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("journal.jsonl");
        let _ = std::fs::remove_file(&path);
        {
            let (mut j, done) = Journal::open(&path).unwrap();
            assert!(done.is_empty());
            j.append(&json!({"id": "a", "output": "Yes"})).unwrap();
            j.append(&json!({"id": "b", "output": "No"})).unwrap();
            j.append(&json!({"id": "a", "output": "No"})).unwrap();
        }
        // A kill in the middle of a line.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"id\": \"c\", \"outp").unwrap();
        drop(f);
        let (mut j, done) = Journal::open(&path).unwrap();
        assert_eq!(done.len(), 2);
        let c = j.append(&json!({"id": "c", "output": "Yes"})).unwrap();
        let mut records = j.reader().unwrap();
        let first: Value = serde_json::from_slice(&records.get(done["a"]).unwrap()).unwrap();
        assert_eq!(first["output"], "Yes");
        assert_eq!(
            records.get(c).unwrap(),
            b"{\"id\":\"c\",\"output\":\"Yes\"}"
        );
        drop(j);
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 4);
        assert!(text.ends_with("{\"id\":\"c\",\"output\":\"Yes\"}\n"));
        // A complete record missing its newline counts as torn.
        std::fs::write(&path, "{\"id\": \"a\"}\n{\"id\": \"b\"}").unwrap();
        let (j, done) = Journal::open(&path).unwrap();
        drop(j);
        assert_eq!(done.len(), 1);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "{\"id\": \"a\"}\n");
        // Damage in the middle is an error, not a silent skip.
        std::fs::write(&path, "{\"id\": \"a\"}\ngarbage\n{\"id\": \"b\"}\n").unwrap();
        let err = Journal::open(&path).err().unwrap().to_string();
        assert!(err.contains(":2:"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
