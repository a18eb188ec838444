//! Reading JSON-lines files fast: blocks of whole lines, read and checked as UTF-8 on one thread
//! while the caller parses the previous block on every core.

use crate::error::{Error, Result, Source};
use std::path::Path;

/// Bytes read at a time; the complete lines in them are parsed on every core, so memory holds one
/// block of text, not the file.
const BLOCK: usize = 8 << 20;

/// Calls `f` with successive batches of `(line number, line)` from `path`. A reader thread reads
/// the next block (whole lines, checked as UTF-8) while `f` works on this one, so the sequential
/// part of reading overlaps the parallel parsing.
pub fn for_each_line_batch(
    path: &Path,
    source: &Source,
    mut f: impl FnMut(&[(usize, &str)]) -> Result<()>,
) -> Result<()> {
    use std::io::Read;
    let mut file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
    // Blocks of whole lines, with the number of the line before each.
    let (send, receive) = std::sync::mpsc::sync_channel::<Result<(usize, String)>>(2);
    // Blocks handed back for reuse, so memory is not allocated afresh for every block.
    let (give_back, reuse) = std::sync::mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        scope.spawn(move || {
            let mut carry: Vec<u8> = Vec::new();
            let mut number = 0usize;
            loop {
                let mut buf = reuse.try_recv().unwrap_or_default();
                buf.clear();
                buf.extend_from_slice(&carry);
                buf.reserve(BLOCK);
                let read = match file.by_ref().take(BLOCK as u64).read_to_end(&mut buf) {
                    Ok(n) => n,
                    Err(e) => {
                        let _ = send.send(Err(Error::reading(path.display(), e)));
                        return;
                    }
                };
                let end = if read == 0 {
                    buf.len()
                } else {
                    buf.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)
                };
                carry.clear();
                carry.extend_from_slice(&buf[end..]);
                buf.truncate(end);
                if !buf.is_empty() {
                    let lines = buf.iter().filter(|&&b| b == b'\n').count()
                        + usize::from(buf.last() != Some(&b'\n'));
                    let block = String::from_utf8(buf).map_err(|e| {
                        let bytes = e.as_bytes();
                        let valid = e.utf8_error().valid_up_to();
                        let line =
                            number + 1 + bytes[..valid].iter().filter(|&&b| b == b'\n').count();
                        Error::input(source, line, None, "not valid UTF-8")
                    });
                    let failed = block.is_err();
                    if send.send(block.map(|b| (number, b))).is_err() || failed {
                        return;
                    }
                    number += lines;
                }
                if read == 0 {
                    return;
                }
            }
        });
        for block in receive {
            let (before, text) = block?;
            let batch: Vec<(usize, &str)> = text
                .lines()
                .enumerate()
                .map(|(i, l)| (before + i + 1, l))
                .collect();
            f(&batch)?;
            drop(batch);
            let _ = give_back.send(text.into_bytes());
        }
        Ok(())
    })
}

/// The lines of `path` one at a time, numbered from 1 and without their line end; a line that
/// is not UTF-8 is an error naming it (where `BufRead::lines` names no line).
pub fn numbered_lines(path: &Path) -> Result<impl Iterator<Item = Result<(usize, String)>>> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
    let source = Source::File(path.to_path_buf());
    let path = path.to_path_buf();
    Ok(std::io::BufReader::new(file)
        .split(b'\n')
        .enumerate()
        .map(move |(i, bytes)| {
            let mut bytes = bytes.map_err(|e| Error::reading(path.display(), e))?;
            if bytes.last() == Some(&b'\r') {
                bytes.pop();
            }
            let text = String::from_utf8(bytes)
                .map_err(|_| Error::input(&source, i + 1, None, "not valid UTF-8"))?;
            Ok((i + 1, text))
        }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Source;

    #[test]
    fn line_batches_number_every_line_across_blocks_and_name_bad_utf8() {
        let dir = std::env::temp_dir().join(format!("corrcause-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("lines.txt");
        // About 2.5 blocks of numbered lines of varying length, the last without a newline.
        let mut text = String::new();
        let mut n = 0;
        while text.len() < BLOCK * 5 / 2 {
            n += 1;
            text.push_str(&format!("{n} {}\n", "x".repeat(n % 97)));
        }
        text.pop();
        std::fs::write(&path, &text).unwrap();
        let source = Source::File(path.clone());
        let mut seen = 0;
        for_each_line_batch(&path, &source, |batch| {
            for &(number, line) in batch {
                seen += 1;
                assert_eq!(number, seen);
                assert!(line.starts_with(&format!("{number} ")), "{number}: {line}");
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, n);
        // Invalid UTF-8 on a line of the second block is named by its number.
        let mut bytes = text.into_bytes();
        let at = BLOCK + BLOCK / 2;
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        bytes[at] = 0xff;
        std::fs::write(&path, &bytes).unwrap();
        let err = for_each_line_batch(&path, &source, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!(":{line}: not valid UTF-8")), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
