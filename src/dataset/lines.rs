//! Reading JSON-lines files fast on every core: a file is cut into byte ranges, each range is
//! read (a positioned read), checked as UTF-8, line-counted and split into lines on the rayon
//! pool, a window of a few ranges per thread at a time (the next window read while the caller
//! works on this one), so memory holds two windows, not the file.
//! Line numbers come from a prefix sum of the ranges' line counts, so batches, numbers and errors
//! are the same as a sequential read's whatever the number of threads.

use crate::error::{Error, Result, Source};
use rayon::prelude::*;
use std::path::Path;

/// Bytes per range. A range owns the lines that start in it (a line longer than a range is read
/// whole by the range it starts in).
const RANGE: usize = 1 << 20;

/// Ranges read at once per thread: enough that uneven ranges even out, few enough that memory
/// stays a few ranges per thread.
const RANGES_PER_THREAD: usize = 4;

/// Calls `f` with successive batches of `(line number, line)` from `path`, in file order, lines
/// without their line end (`\n` or `\r\n`, as [`str::lines`]); a final line without a newline
/// is a line. Each batch is a window of byte ranges read and split on every core. A line that is
/// not UTF-8 is an error naming it, after `f` has had every line before it.
pub fn for_each_line_batch(
    path: &Path,
    source: &Source,
    f: impl FnMut(&[(usize, &str)]) -> Result<()>,
) -> Result<()> {
    let window = RANGES_PER_THREAD * rayon::current_num_threads().max(1);
    for_each_line_batch_in(path, source, RANGE, window, f)
}

/// What one range holds once read: its owned lines are `buf[begin..end]`.
#[derive(Clone, Copy, Default)]
struct Range {
    begin: usize,
    end: usize,
    lines: usize,
    /// The index (within the range) of a line that is not UTF-8; `end` then stops before it.
    bad: Option<usize>,
}

/// [`for_each_line_batch`] with ranges of `range` bytes, `window` ranges at a time. While `f`
/// works on one window the next is read by a task on the pool, so threads that `f` leaves idle
/// (at the end of a parallel loop, or in its serial part) read ahead; memory holds two windows.
fn for_each_line_batch_in(
    path: &Path,
    source: &Source,
    range: usize,
    window: usize,
    mut f: impl FnMut(&[(usize, &str)]) -> Result<()>,
) -> Result<()> {
    let file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
    let metadata = file
        .metadata()
        .map_err(|e| Error::reading(path.display(), e))?;
    if !metadata.is_file() {
        // A pipe or a device: no positions to read from, so one reader in order.
        return for_each_line_batch_streamed(file, path, source, range * window, f);
    }
    let len = metadata.len();
    let (range, window) = (range.max(1) as u64, window.max(1));
    // Reads the window of ranges from `start` into `bufs`, every range on its own task.
    let read_window = |start: u64, bufs: &mut Vec<Vec<u8>>| -> Result<Vec<Range>> {
        let count = (len - start).div_ceil(range).min(window as u64) as usize;
        if bufs.len() < count {
            bufs.resize_with(count, Vec::new);
        }
        bufs[..count]
            .par_iter_mut()
            .enumerate()
            .map(|(k, buf)| {
                let lo = start + k as u64 * range;
                read_range(&file, lo, (lo + range).min(len), buf)
                    .map_err(|e| Error::reading(path.display(), e))
            })
            .collect()
    };
    if len == 0 {
        return Ok(());
    }
    let (mut bufs, mut spare) = (Vec::new(), Vec::new());
    let mut ranges = read_window(0, &mut bufs)?;
    // Lines before the current window, and where it starts.
    let (mut before, mut start) = (0usize, 0u64);
    loop {
        let next_start = start + window as u64 * range;
        let mut next = None;
        let delivered = rayon::in_place_scope(|scope| {
            if next_start < len {
                let (next, spare, read_window) = (&mut next, &mut spare, &read_window);
                scope.spawn(move |_| *next = Some(read_window(next_start, spare)));
            }
            deliver(&bufs, &ranges, before, source, &mut f)
        });
        before += delivered?;
        match next {
            None => return Ok(()),
            Some(read) => ranges = read?,
        }
        std::mem::swap(&mut bufs, &mut spare);
        start = next_start;
    }
}

/// [`for_each_line_batch`] for what is not a regular file (a pipe, `/dev/stdin`): blocks of
/// about `block` bytes of whole lines read in order, each split on the pool.
fn for_each_line_batch_streamed(
    mut file: std::fs::File,
    path: &Path,
    source: &Source,
    block: usize,
    mut f: impl FnMut(&[(usize, &str)]) -> Result<()>,
) -> Result<()> {
    use std::io::Read;
    let mut buf: Vec<u8> = Vec::new();
    let mut before = 0;
    loop {
        // Fill up to a block past what is carried from the last read.
        let carried = buf.len();
        let read = (&mut file)
            .take(block.max(1) as u64)
            .read_to_end(&mut buf)
            .map_err(|e| Error::reading(path.display(), e))?;
        let end = if read == 0 {
            buf.len()
        } else {
            match memchr_last(b'\n', &buf[carried..]) {
                Some(i) => carried + i + 1,
                None => continue,
            }
        };
        let range = checked(&buf, 0, end);
        before += deliver(std::slice::from_ref(&buf), &[range], before, source, &mut f)?;
        if read == 0 {
            return Ok(());
        }
        buf.drain(..end);
    }
}

/// Hands the lines of one window of `ranges` (read into `bufs`) to `f` as one batch, numbered
/// after the `before` lines of the windows before; returns how many lines it held. A range with
/// a line that is not UTF-8 ends the file: the lines before that line are handed over, then the
/// error names it.
fn deliver(
    bufs: &[Vec<u8>],
    ranges: &[Range],
    before: usize,
    source: &Source,
    f: &mut impl FnMut(&[(usize, &str)]) -> Result<()>,
) -> Result<usize> {
    let stop = ranges
        .iter()
        .position(|r| r.bad.is_some())
        .map_or(ranges.len(), |k| k + 1);
    // Where each range's lines start in the batch.
    let mut firsts = Vec::with_capacity(stop);
    let mut total = 0;
    for r in &ranges[..stop] {
        firsts.push(total);
        total += r.lines;
    }
    let mut batch: Vec<(usize, &str)> = vec![(0, ""); total];
    let mut slots: Vec<&mut [(usize, &str)]> = Vec::with_capacity(stop);
    let mut rest = &mut batch[..];
    for r in &ranges[..stop] {
        let (slot, tail) = rest.split_at_mut(r.lines);
        slots.push(slot);
        rest = tail;
    }
    slots
        .into_par_iter()
        .zip(&bufs[..stop])
        .zip(&ranges[..stop])
        .zip(&firsts)
        .for_each(|(((slot, buf), r), &first)| {
            // Checked when the range was read.
            let text = std::str::from_utf8(&buf[r.begin..r.end]).unwrap_or_default();
            for (k, (s, line)) in slot.iter_mut().zip(text.lines()).enumerate() {
                *s = (before + first + k + 1, line);
            }
        });
    if !batch.is_empty() {
        f(&batch)?;
    }
    if let Some(k) = ranges[..stop].iter().position(|r| r.bad.is_some()) {
        let line = before + firsts[k] + ranges[k].bad.unwrap_or_default() + 1;
        return Err(Error::input(source, line, None, "not valid UTF-8"));
    }
    Ok(total)
}

/// Reads into `buf` the lines that start in the byte range `lo..hi` of `file` (each whole, up to
/// and with its newline), checks them as UTF-8 and counts them. `buf` keeps its length between
/// calls (only `begin..end` is meaningful), so it is not zeroed again for every range.
fn read_range(file: &std::fs::File, lo: u64, hi: u64, buf: &mut Vec<u8>) -> std::io::Result<Range> {
    // From the byte before the range: a line starts in the range after a newline at lo - 1 ..
    // hi - 1 (or at 0).
    let from = lo.saturating_sub(1);
    let mut filled = read_at(file, from, (hi - from) as usize, buf, 0)?;
    let begin = if lo == 0 {
        0
    } else {
        match memchr(b'\n', &buf[..filled]) {
            Some(i) => i + 1,
            None => return Ok(Range::default()),
        }
    };
    if begin >= filled {
        return Ok(Range::default());
    }
    // The last line that starts in the range, read to its end.
    if buf[filled - 1] != b'\n' {
        let mut step = 64 << 10;
        loop {
            let old = filled;
            let got = read_at(file, from + old as u64, step, buf, old)?;
            if got == 0 {
                break;
            }
            filled += got;
            if let Some(i) = memchr(b'\n', &buf[old..filled]) {
                filled = old + i + 1;
                break;
            }
            step = (step * 2).min(RANGE);
        }
    }
    Ok(checked(buf, begin, filled))
}

/// The range of whole lines `buf[begin..end]`, checked as UTF-8 and counted: a line that is not
/// UTF-8 ends it.
fn checked(buf: &[u8], begin: usize, mut end: usize) -> Range {
    let mut bad = None;
    if let Err(e) = std::str::from_utf8(&buf[begin..end]) {
        let valid = begin + e.valid_up_to();
        bad = Some(count_newlines(&buf[begin..valid]));
        end = buf[begin..valid]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(begin, |i| begin + i + 1);
    }
    let owned = &buf[begin..end];
    let lines = count_newlines(owned) + usize::from(owned.last().is_some_and(|&b| b != b'\n'));
    Range {
        begin,
        end,
        lines,
        bad,
    }
}

/// Reads up to `n` bytes of `file` from `offset` into `buf[at..]` (growing `buf` when short;
/// fewer bytes at the end of the file); returns how many.
fn read_at(
    file: &std::fs::File,
    offset: u64,
    n: usize,
    buf: &mut Vec<u8>,
    at: usize,
) -> std::io::Result<usize> {
    use std::os::unix::fs::FileExt;
    if buf.len() < at + n {
        buf.resize(at + n, 0);
    }
    let mut got = 0;
    while got < n {
        match file.read_at(&mut buf[at + got..at + n], offset + got as u64) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// The position of the first `byte` in `bytes`.
fn memchr(byte: u8, bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == byte)
}

/// The position of the last `byte` in `bytes`.
fn memchr_last(byte: u8, bytes: &[u8]) -> Option<usize> {
    bytes.iter().rposition(|&b| b == byte)
}

/// The number of newlines in `bytes`, counted in blocks a compiler turns into vector code.
fn count_newlines(bytes: &[u8]) -> usize {
    bytes
        .chunks(255)
        .map(|block| {
            block
                .iter()
                .fold(0u8, |n, &b| n.wrapping_add(u8::from(b == b'\n'))) as usize
        })
        .sum()
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

/// A JSON string field of a line, borrowed from the line when it has no escapes (no allocation)
/// and owned when it has. (serde borrows a `Cow<str>` field only when it is not inside an
/// `Option`, so `Option<Cow<str>>` fields copy every string.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Text<'a>(pub std::borrow::Cow<'a, str>);

impl std::ops::Deref for Text<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> std::result::Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(s.to_string())))
            }
            fn visit_string<E>(self, s: String) -> std::result::Result<Text<'de>, E> {
                Ok(Text(std::borrow::Cow::Owned(s)))
            }
        }
        d.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Source;
    use proptest::prelude::*;

    /// A sequential read of the whole file, the reference: its lines numbered from 1 (as
    /// [`str::lines`] splits them) up to the first line that is not UTF-8, and that line's number.
    fn sequential(bytes: &[u8]) -> (Vec<(usize, String)>, Option<usize>) {
        let (text, bad) = match std::str::from_utf8(bytes) {
            Ok(text) => (text, None),
            Err(e) => {
                let valid = &bytes[..e.valid_up_to()];
                let start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
                (std::str::from_utf8(&bytes[..start]).unwrap(), Some(line))
            }
        };
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.to_string()))
            .collect();
        (lines, bad)
    }

    /// What the range reader hands over: every batch's lines, and the line of a UTF-8 error.
    fn ranged(path: &Path, range: usize, window: usize) -> (Vec<(usize, String)>, Option<usize>) {
        let source = Source::File(path.to_path_buf());
        let mut seen = Vec::new();
        let result = for_each_line_batch_in(path, &source, range, window, |batch| {
            assert!(!batch.is_empty(), "an empty batch");
            seen.extend(batch.iter().map(|&(n, l)| (n, l.to_string())));
            Ok(())
        });
        let bad = result.err().map(|e| {
            let text = e.to_string();
            let tail = text
                .strip_suffix(": not valid UTF-8")
                .unwrap_or_else(|| panic!("not a UTF-8 error: {text}"));
            tail.rsplit(':').next().unwrap().parse().unwrap()
        });
        (seen, bad)
    }

    fn temp_file(name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("corrcause-lines-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// One line's bytes: ASCII, two- and three-byte characters, stray carriage returns, and now
    /// and then an invalid byte; empty lines and lines longer than a range among them.
    fn line() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            8 => "[a-z {}\":,0-9]{1,6}".prop_map(String::into_bytes),
            2 => Just("é".as_bytes().to_vec()),
            1 => Just("→".as_bytes().to_vec()),
            1 => Just(b"\r".to_vec()),
            1 => Just(vec![0xff]),
            1 => Just(vec![0xe2, 0x86]),
        ];
        prop_oneof![
            1 => Just(Vec::new()),
            6 => proptest::collection::vec(piece.clone(), 1..8).prop_map(|p| p.concat()),
            1 => proptest::collection::vec(piece, 20..80).prop_map(|p| p.concat()),
        ]
    }

    /// A file: lines ended by `\n` or `\r\n`, the last with or without an end; invalid bytes
    /// kept in at most `bad` lines (the others have theirs replaced).
    fn file() -> impl Strategy<Value = Vec<u8>> {
        (
            proptest::collection::vec((line(), any::<bool>()), 0..60),
            any::<bool>(),
            0usize..3,
        )
            .prop_map(|(lines, final_end, bad)| {
                let mut out = Vec::new();
                let mut bad_left = bad;
                let count = lines.len();
                for (k, (mut l, crlf)) in lines.into_iter().enumerate() {
                    if std::str::from_utf8(&l).is_err() {
                        if bad_left > 0 {
                            bad_left -= 1;
                        } else {
                            l = String::from_utf8_lossy(&l).into_owned().into_bytes();
                        }
                    }
                    out.extend_from_slice(&l);
                    if k + 1 < count || final_end {
                        out.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
                    }
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Whatever the range and window sizes, the batches hold the lines and numbers of a
        /// sequential read, and a line that is not UTF-8 is named by the same number after
        /// every line before it was handed over.
        #[test]
        fn ranges_read_as_a_sequential_read(
            bytes in file(),
            range in 1usize..80,
            window in 1usize..6,
        ) {
            let path = temp_file(&format!("prop-{range}-{window}.txt"), &bytes);
            let (want, want_bad) = sequential(&bytes);
            let (got, got_bad) = ranged(&path, range, window);
            prop_assert_eq!(got, want);
            prop_assert_eq!(got_bad, want_bad);
        }
    }

    #[test]
    fn line_batches_number_every_line_across_windows_and_name_bad_utf8() {
        // About 2.5 windows of numbered lines of varying length, the last without a newline.
        let (range, window) = (1 << 16, 3);
        let mut text = String::new();
        let mut n = 0;
        while text.len() < range * window * 5 / 2 {
            n += 1;
            text.push_str(&format!("{n} {}\n", "x".repeat(n % 997)));
        }
        text.pop();
        let path = temp_file("numbered.txt", text.as_bytes());
        let (seen, bad) = ranged(&path, range, window);
        assert_eq!(bad, None);
        assert_eq!(seen.len(), n);
        for (k, (number, line)) in seen.iter().enumerate() {
            assert_eq!(*number, k + 1);
            assert!(line.starts_with(&format!("{number} ")), "{number}: {line}");
        }
        // The public reader (ranges of its own size, a window per thread) agrees.
        let source = Source::File(path.clone());
        let mut count = 0;
        for_each_line_batch(&path, &source, |batch| {
            for &(number, line) in batch {
                count += 1;
                assert_eq!(number, count);
                assert!(line.starts_with(&format!("{number} ")));
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(count, n);
        // Invalid UTF-8 on a line of the second window is named by its number.
        let mut bytes = text.into_bytes();
        let at = range * window + range / 2;
        let line = 1 + bytes[..at].iter().filter(|&&b| b == b'\n').count();
        bytes[at] = 0xff;
        let path = temp_file("numbered-bad.txt", &bytes);
        let (seen, bad) = ranged(&path, range, window);
        assert_eq!(bad, Some(line));
        assert_eq!(seen.len(), line - 1);
        let err = for_each_line_batch(&path, &source, |_| Ok(()))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&format!(":{line}: not valid UTF-8")), "{err}");
    }

    /// A pipe has no positions to read from: it is read in order, with the same lines and
    /// numbers (here in blocks smaller than its lines, so lines span reads).
    #[test]
    fn a_pipe_is_read_in_order() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let mut bytes = Vec::new();
        for n in 0..2000 {
            bytes.extend_from_slice(format!("{n} {}", "é".repeat(n % 50)).as_bytes());
            bytes.extend_from_slice(if n % 3 == 0 { b"\r\n" } else { b"\n" });
        }
        bytes.extend_from_slice(b"last");
        for bad_at in [None, Some(bytes.len() / 2)] {
            let mut bytes = bytes.clone();
            if let Some(at) = bad_at {
                bytes[at] = 0xff;
            }
            let (reader, mut writer) = std::io::pipe().unwrap();
            let path = std::path::PathBuf::from(format!("/proc/self/fd/{}", reader.as_raw_fd()));
            let written = bytes.clone();
            let feeder = std::thread::spawn(move || writer.write_all(&written));
            let source = Source::File(path.clone());
            let mut seen = Vec::new();
            let result = for_each_line_batch_in(&path, &source, 16, 3, |batch| {
                seen.extend(batch.iter().map(|&(n, l)| (n, l.to_string())));
                Ok(())
            });
            drop(reader);
            let _ = feeder.join().unwrap();
            let (want, want_bad) = sequential(&bytes);
            assert_eq!(seen, want);
            match want_bad {
                None => result.unwrap(),
                Some(line) => assert!(
                    result
                        .unwrap_err()
                        .to_string()
                        .ends_with(&format!(":{line}: not valid UTF-8")),
                    "line {line}"
                ),
            }
        }
    }

    #[test]
    fn an_error_from_the_caller_stops_the_read() {
        let path = temp_file("stop.txt", "a\nb\nc\n".repeat(1000).as_bytes());
        let source = Source::File(path.clone());
        let mut calls = 0;
        let err = for_each_line_batch_in(&path, &source, 64, 2, |batch| {
            calls += 1;
            Err(Error::input(&source, batch[0].0, None, "stop"))
        })
        .unwrap_err();
        assert_eq!(calls, 1);
        assert!(err.to_string().ends_with(":1: stop"), "{err}");
    }

    #[test]
    fn text_borrows_unless_escaped() {
        #[derive(serde::Deserialize)]
        struct Row<'a> {
            #[serde(borrow)]
            a: Option<Text<'a>>,
            #[serde(borrow)]
            b: Option<Text<'a>>,
            #[serde(borrow, default)]
            c: Option<Text<'a>>,
        }
        let row: Row = serde_json::from_str(r#"{"a": "plain", "b": "say \"hi\"\n"}"#).unwrap();
        let a = row.a.unwrap();
        assert!(matches!(a.0, std::borrow::Cow::Borrowed("plain")));
        assert_eq!(&*row.b.unwrap(), "say \"hi\"\n");
        assert!(row.c.is_none());
    }
}
