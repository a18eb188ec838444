//! Reading JSON-lines files fast on every core: a file is cut into byte ranges; each range is
//! read (a positioned read), checked as UTF-8, split into lines and mapped by one task while its
//! bytes are in cache, and the results are consumed in file order by whichever thread finishes
//! the range due next ([`for_each_range`], [`for_each_line`]). No thread waits for a window of
//! ranges to end, and memory holds a few ranges per thread, not the file. Lines are numbered
//! within their range and renumbered in the file as they are consumed, so numbers and errors are
//! those of a sequential read whatever the number of threads.

use crate::error::{Error, Result, Source};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Bytes per range. A range owns the lines that start in it (a line longer than a range is read
/// whole by the range it starts in).
const RANGE: usize = 1 << 20;

/// Ranges mapped ahead of the one being consumed, per thread: enough that a slow range or the
/// consumer's turn does not leave a thread idle, few enough that memory stays a few ranges per
/// thread.
const AHEAD_PER_THREAD: usize = 4;

/// Runs `map` on the lines of every byte range of `path`, on every core, and hands what it made
/// of each range to `consume` in file order, with the number of lines before the range.
///
/// Each range is read, checked as UTF-8, split into lines and mapped by one task while its bytes
/// are in cache, and no thread waits for a window of ranges to end: whichever thread finishes
/// the range due next consumes it (and any following ones ready) while the others map on. At
/// most a few ranges per thread are mapped ahead of the one consumed, so memory holds those,
/// not the file. Lines are numbered from 1 within their range (`before + k` in the file),
/// without their line ends, as [`str::lines`] splits them. A pipe is read in order, a block at a
/// time, and mapped the same way.
///
/// Errors: the first error `consume` returns ends the read and is returned; a line that is not
/// UTF-8 is an error naming it, returned after `consume` has had the lines before it.
///
/// `map` and `consume` must not wait for other rayon work (a parallel iterator, `join`, another
/// read): a thread whose window is full blocks until the range due next is consumed, and a
/// thread that waits for rayon work may pick up, and block in, a task of this very read.
pub fn for_each_range<T: Send>(
    path: &Path,
    source: &Source,
    map: impl Fn(&[(usize, &str)]) -> T + Sync,
    consume: impl FnMut(usize, T) -> Result<()> + Send,
) -> Result<()> {
    for_each_range_in(path, source, RANGE, false, |_, lines| map(lines), consume)
}

/// Maps every line of `path` with `map` on every core and hands the results to `consume` in file
/// order, with their line numbers in the file ([`for_each_range`] a line at a time). `map` is
/// given a line's number within its range, only to name it in an error: an [`Error::Input`] it
/// returns is renumbered in the file, and ends the read once `consume` has had the lines before.
pub fn for_each_line<T: Send>(
    path: &Path,
    source: &Source,
    map: impl Fn(usize, &str) -> Result<T> + Sync,
    mut consume: impl FnMut(usize, T) -> Result<()> + Send,
) -> Result<()> {
    for_each_range(
        path,
        source,
        |lines| {
            let mut mapped = Vec::with_capacity(lines.len());
            for &(line, text) in lines {
                match map(line, text) {
                    Ok(value) => mapped.push(value),
                    Err(e) => return (mapped, Some(e)),
                }
            }
            (mapped, None)
        },
        |before, (mapped, error)| {
            for (k, value) in mapped.into_iter().enumerate() {
                consume(before + k + 1, value)?;
            }
            error.map_or(Ok(()), |e| Err(e.after_lines(before)))
        },
    )
}

/// [`for_each_range`] with `map` told the number of lines before its range, so that it can
/// number lines in the file (to take the items at some positions, say). A file's lines are
/// counted first, on every core; a pipe's are counted as its blocks are read in order.
pub fn for_each_numbered_range<T: Send>(
    path: &Path,
    source: &Source,
    map: impl Fn(usize, &[(usize, &str)]) -> T + Sync,
    consume: impl FnMut(usize, T) -> Result<()> + Send,
) -> Result<()> {
    for_each_range_in(path, source, RANGE, true, map, consume)
}

/// [`for_each_range`] over several files read as one stream of ranges: the first ranges of a
/// file are mapped while the last ones of the file before are, so no core waits at the end of
/// each file. `map` and `consume` are told the file (its index in `paths`); `before` counts the
/// lines before the range in that file. Errors name the file and its line.
pub fn for_each_range_of_files<T: Send>(
    paths: &[PathBuf],
    map: impl Fn(usize, &[(usize, &str)]) -> T + Sync,
    consume: impl FnMut(usize, usize, T) -> Result<()> + Send,
) -> Result<()> {
    let inputs: Vec<(&Path, Source)> = paths
        .iter()
        .map(|p| (p.as_path(), Source::File(p.clone())))
        .collect();
    for_each_range_across(&inputs, RANGE, false, |f, _, lines| map(f, lines), consume)
}

/// The lines that start in each `range`-byte range of the regular file `file` of `len` bytes,
/// up to the first range with a line that is not UTF-8 (its lines counted up to that line).
fn lines_per_range(file: &std::fs::File, len: u64, range: usize) -> std::io::Result<Vec<usize>> {
    (0..len.div_ceil(range as u64))
        .into_par_iter()
        .map_init(Vec::new, |buf, k| {
            let lo = k * range as u64;
            read_range(file, lo, (lo + range as u64).min(len), buf).map(|r| r.lines)
        })
        .collect()
}

/// A range once read and mapped: its line count, what `map` made of it, and the index within
/// the range of a line that is not UTF-8.
type Mapped<T> = Result<(usize, T, Option<usize>)>;

/// Where [`for_each_range`] is: ranges claimed, consumed, and those mapped but not consumed.
struct Order<T> {
    /// The next range to claim.
    next: usize,
    /// Ranges in the file, once known (a pipe's at its end).
    count: Option<usize>,
    /// Ranges handed to the consumer.
    consumed: usize,
    /// Ranges `consumed..` as they are mapped (`None` while one is being mapped).
    ready: std::collections::VecDeque<Option<Mapped<T>>>,
    /// Set by an error or a panic: nothing more is claimed or consumed.
    stop: bool,
    error: Option<Error>,
}

/// What a pipe has left to read: the bytes after the last whole line read.
struct Pipe {
    file: std::fs::File,
    carried: Vec<u8>,
    /// Lines in the blocks read so far.
    lines: usize,
    /// The block to read next: blocks are read in the order they were claimed.
    turn: usize,
}

/// [`for_each_range`] with ranges (and a pipe's blocks) of `range` bytes; `map` is told the
/// lines before its range when `numbered` (else 0 for a file).
fn for_each_range_in<T: Send>(
    path: &Path,
    source: &Source,
    range: usize,
    numbered: bool,
    map: impl Fn(usize, &[(usize, &str)]) -> T + Sync,
    mut consume: impl FnMut(usize, T) -> Result<()> + Send,
) -> Result<()> {
    for_each_range_across(
        &[(path, source.clone())],
        range,
        numbered,
        |_, before, lines| map(before, lines),
        |_, before, value| consume(before, value),
    )
}

/// Where a file's ranges start among the ranges of all the files read: file `f`'s are
/// `first[f]..first[f + 1]`.
struct Ranges {
    first: Vec<usize>,
}

impl Ranges {
    /// The file of range `k` and the range's place in it.
    fn of(&self, k: usize) -> (usize, usize) {
        // The last file starting at or before k (a file without ranges starts where the next does).
        let f = self.first.partition_point(|&s| s <= k) - 1;
        (f, k - self.first[f])
    }
}

/// [`for_each_range_in`] over several inputs read as one stream of ranges, the next file's
/// mapped while the last of the one before are; `map` and `consume` are told the input (its
/// index) and the lines before the range in it. Regular files only when there are several: with
/// a pipe among them, each input is read in turn.
fn for_each_range_across<T: Send>(
    inputs: &[(&Path, Source)],
    range: usize,
    numbered: bool,
    map: impl Fn(usize, usize, &[(usize, &str)]) -> T + Sync,
    mut consume: impl FnMut(usize, usize, T) -> Result<()> + Send,
) -> Result<()> {
    let range = range.max(1);
    let mut files = Vec::with_capacity(inputs.len());
    for (path, _) in inputs {
        let file = std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?;
        let metadata = file
            .metadata()
            .map_err(|e| Error::reading(path.display(), e))?;
        files.push((file, metadata.len(), metadata.is_file()));
    }
    if inputs.len() > 1 && files.iter().any(|f| !f.2) {
        for (f, (input, file)) in inputs.iter().zip(files).enumerate() {
            let one = std::slice::from_ref(input);
            range_stream(one, vec![file], f, range, numbered, &map, &mut consume)?;
        }
        return Ok(());
    }
    range_stream(inputs, files, 0, range, numbered, map, consume)
}

/// The ranges of `inputs` (opened as `files`: regular files, or one pipe) as one stream, each
/// input known to `map` and `consume` as `first` + its index.
fn range_stream<T: Send>(
    inputs: &[(&Path, Source)],
    mut files: Vec<(std::fs::File, u64, bool)>,
    first: usize,
    range: usize,
    numbered: bool,
    map: impl Fn(usize, usize, &[(usize, &str)]) -> T + Sync,
    consume: impl FnMut(usize, usize, T) -> Result<()> + Send,
) -> Result<()> {
    use std::sync::{Condvar, Mutex, PoisonError};
    if files.is_empty() {
        return Ok(());
    }
    // A pipe or a device has no positions to read from: it is read in order.
    let pipe = match files.as_slice() {
        [(_, _, false)] => {
            let (file, _, _) = files.pop().expect("one input");
            let (carried, lines, turn) = (Vec::new(), 0, 0);
            Some(Mutex::new(Pipe {
                file,
                carried,
                lines,
                turn,
            }))
        }
        _ => None,
    };
    let ranges = Ranges {
        first: std::iter::once(0)
            .chain(files.iter().scan(0, |at, (_, len, _)| {
                *at += len.div_ceil(range as u64) as usize;
                Some(*at)
            }))
            .collect(),
    };
    // The lines before each range of each file, when `map` is to be told.
    let starts: Vec<Vec<usize>> = if numbered {
        files
            .iter()
            .zip(inputs)
            .map(|((file, len, _), (path, _))| {
                let counts = lines_per_range(file, *len, range)
                    .map_err(|e| Error::reading(path.display(), e))?;
                Ok(counts
                    .iter()
                    .scan(0, |before, &n| {
                        let at = *before;
                        *before += n;
                        Some(at)
                    })
                    .collect())
            })
            .collect::<Result<_>>()?
    } else {
        Vec::new()
    };
    let threads = rayon::current_num_threads().max(1);
    let state = Mutex::new(Order::<T> {
        next: 0,
        count: pipe.is_none().then(|| ranges.first[files.len()]),
        consumed: 0,
        ready: std::collections::VecDeque::new(),
        stop: false,
        error: None,
    });
    let moved = Condvar::new();
    // Signalled when a pipe's next block may be read.
    let pipe_turn = Condvar::new();
    // The consumer, the input of the last range it took and the lines before the next range.
    let consumer = Mutex::new((consume, 0usize, 0usize));
    let state_lock = || state.lock().unwrap_or_else(PoisonError::into_inner);
    // Consumes the ranges ready in order, unless another thread is at it; a thread that finds
    // the consumer busy leaves, and the busy one looks again once done.
    let drain = || loop {
        let Ok(mut guard) = consumer.try_lock() else {
            return;
        };
        let (consume, file, before) = &mut *guard;
        loop {
            let (k, mapped) = {
                let mut st = state_lock();
                if st.stop || !st.ready.front().is_some_and(Option::is_some) {
                    break;
                }
                st.consumed += 1;
                (
                    st.consumed - 1,
                    st.ready.pop_front().flatten().expect("front is ready"),
                )
            };
            let f = if pipe.is_some() { 0 } else { ranges.of(k).0 };
            if f != *file {
                (*file, *before) = (f, 0);
            }
            let outcome = mapped.and_then(|(lines, value, bad)| {
                let at = *before;
                *before += lines;
                consume(first + f, at, value)?;
                match bad {
                    Some(k) => Err(Error::input(
                        &inputs[f].1,
                        at + k + 1,
                        None,
                        "not valid UTF-8",
                    )),
                    None => Ok(()),
                }
            });
            let mut st = state_lock();
            if let Err(e) = outcome {
                st.error.get_or_insert(e);
                st.stop = true;
            }
            drop(st);
            moved.notify_all();
        }
        drop(guard);
        let st = state_lock();
        if st.stop || !st.ready.front().is_some_and(Option::is_some) {
            return;
        }
    };
    // Sets `stop` if a thread panics, so that no other waits for its range.
    struct OnPanic<'a, T>(&'a Mutex<Order<T>>, &'a Condvar);
    impl<T> Drop for OnPanic<'_, T> {
        fn drop(&mut self) {
            if std::thread::panicking() {
                self.0.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
                self.1.notify_all();
            }
        }
    }
    let work = || {
        let _on_panic = OnPanic(&state, &moved);
        let mut buf = Vec::new();
        loop {
            // Claim the next range, once few enough are waiting to be consumed; a pipe's
            // block is read while the claim is held, so blocks are read in order.
            let mut st = state_lock();
            let done = |st: &Order<T>| st.stop || st.count.is_some_and(|n| st.next >= n);
            while !done(&st) && st.next - st.consumed >= AHEAD_PER_THREAD * threads {
                st = moved.wait(st).unwrap_or_else(PoisonError::into_inner);
            }
            if done(&st) {
                return;
            }
            let k = st.next;
            st.next += 1;
            // What was read, its input, and the lines before it (known for a pipe, or once
            // counted).
            let read = match &pipe {
                None => {
                    drop(st);
                    let (f, j) = ranges.of(k);
                    let (file, len, _) = &files[f];
                    let lo = (j * range) as u64;
                    let read = read_range(file, lo, (lo + range as u64).min(*len), &mut buf);
                    let before = starts.get(f).and_then(|s| s.get(j)).copied().unwrap_or(0);
                    read.map(|r| Some((r, f, before)))
                }
                Some(pipe) => {
                    // Blocks are read in claim order, each in its turn; the claims are not held
                    // while a read waits for input, so mapped blocks go on being consumed.
                    drop(st);
                    let mut pipe = pipe.lock().unwrap_or_else(PoisonError::into_inner);
                    while pipe.turn != k {
                        pipe = pipe_turn.wait(pipe).unwrap_or_else(PoisonError::into_inner);
                    }
                    let read = read_block(&mut pipe, range, &mut buf);
                    let before = pipe.lines;
                    if let Ok(Some(r)) = &read {
                        pipe.lines += r.lines;
                    }
                    pipe.turn += 1;
                    drop(pipe);
                    pipe_turn.notify_all();
                    if matches!(read, Ok(None)) {
                        let mut st = state_lock();
                        st.count = Some(st.count.map_or(k, |n| n.min(k)));
                        drop(st);
                        moved.notify_all();
                    }
                    read.map(|r| r.map(|r| (r, 0, before)))
                }
            };
            let mapped = match read {
                Ok(None) => return,
                Ok(Some((r, f, before))) => {
                    // Checked when the range was read.
                    let text = std::str::from_utf8(&buf[r.begin..r.end]).unwrap_or_default();
                    let lines: Vec<(usize, &str)> =
                        text.lines().enumerate().map(|(i, l)| (i + 1, l)).collect();
                    Ok((r.lines, map(first + f, before, &lines), r.bad))
                }
                Err(e) => {
                    let path = inputs[if pipe.is_some() { 0 } else { ranges.of(k).0 }].0;
                    Err(Error::reading(path.display(), e))
                }
            };
            {
                let mut st = state_lock();
                let i = k - st.consumed;
                if st.ready.len() <= i {
                    st.ready.resize_with(i + 1, || None);
                }
                st.ready[i] = Some(mapped);
            }
            drain();
        }
    };
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| work());
        }
    });
    let st = state.into_inner().unwrap_or_else(PoisonError::into_inner);
    match st.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Reads the next block of about `block` bytes of whole lines of a pipe into `buf` (the bytes
/// after its last whole line carried to the next); `None` at the end.
fn read_block(pipe: &mut Pipe, block: usize, buf: &mut Vec<u8>) -> std::io::Result<Option<Range>> {
    use std::io::Read;
    buf.clear();
    buf.append(&mut pipe.carried);
    loop {
        let have = buf.len();
        let read = (&mut pipe.file).take(block as u64).read_to_end(buf)?;
        if read == 0 {
            return Ok((!buf.is_empty()).then(|| checked(buf, 0, buf.len())));
        }
        if let Some(i) = memchr_last(b'\n', &buf[have..]) {
            let end = have + i + 1;
            pipe.carried.extend_from_slice(&buf[end..]);
            return Ok(Some(checked(buf, 0, end)));
        }
    }
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

    /// What [`for_each_range`] hands over: every line numbered in the file (each range's own
    /// lines, numbered from 1 within it, moved by `before`), and the line of a UTF-8 error.
    fn mapped(path: &Path, range: usize, numbered: bool) -> (Vec<(usize, String)>, Option<usize>) {
        let source = Source::File(path.to_path_buf());
        let mut seen = Vec::new();
        let result = for_each_range_in(
            path,
            &source,
            range,
            numbered,
            |before, lines| {
                for (k, &(n, _)) in lines.iter().enumerate() {
                    assert_eq!(n, k + 1, "numbered from 1 within the range");
                }
                let lines: Vec<_> = lines.iter().map(|&(n, l)| (n, l.to_string())).collect();
                (before, lines)
            },
            |before, (told, lines)| {
                assert_eq!(
                    before,
                    seen.len(),
                    "ranges come in order, every line counted"
                );
                if numbered {
                    assert_eq!(told, before, "map told the lines before its range");
                }
                seen.extend(lines.into_iter().map(|(n, l)| (before + n, l)));
                Ok(())
            },
        );
        let bad = result.err().map(|e| {
            let text = e.to_string();
            let tail = text.strip_suffix(": not valid UTF-8").unwrap();
            tail.rsplit(':').next().unwrap().parse().unwrap()
        });
        (seen, bad)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(400))]
        /// Whatever the range size, the ranges consumed hold the lines of a sequential read,
        /// numbered as it numbers them; a line that is not UTF-8 ends the file with its number.
        #[test]
        fn ranges_consumed_read_as_a_sequential_read(
            bytes in file(),
            range in 1usize..80,
            numbered: bool,
        ) {
            let path = temp_file(&format!("map-{range}-{numbered}.txt"), &bytes);
            let (want, want_bad) = sequential(&bytes);
            let (got, got_bad) = mapped(&path, range, numbered);
            prop_assert_eq!(got, want);
            prop_assert_eq!(got_bad, want_bad);
        }

        /// Several files read as one stream of ranges (on 3 threads, so ranges of one file are
        /// mapped beside another's) hand over what reading each file in turn does: every line
        /// with its file and its number there, up to the first line that is not UTF-8, which
        /// ends the read with its file and number.
        #[test]
        fn files_read_as_one_stream_read_as_each_in_turn(
            files in proptest::collection::vec(file(), 0..5),
            range in 1usize..40,
        ) {
            let paths: Vec<std::path::PathBuf> = files
                .iter()
                .enumerate()
                .map(|(f, bytes)| temp_file(&format!("stream-{range}-{f}.txt"), bytes))
                .collect();
            let mut want = Vec::new();
            let mut want_bad = None;
            for (f, bytes) in files.iter().enumerate() {
                let (lines, bad) = sequential(bytes);
                want.extend(lines.into_iter().map(|(n, l)| (f, n, l)));
                if let Some(n) = bad {
                    want_bad = Some(format!("{}:{n}: not valid UTF-8", paths[f].display()));
                    break;
                }
            }
            let inputs: Vec<(&Path, Source)> = paths
                .iter()
                .map(|p| (p.as_path(), Source::File(p.clone())))
                .collect();
            let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
            let mut got = Vec::new();
            let result = pool.install(|| {
                for_each_range_across(
                    &inputs,
                    range,
                    false,
                    |f, _, lines| {
                        let lines: Vec<_> = lines.iter().map(|&(n, l)| (n, l.to_string())).collect();
                        (f, lines)
                    },
                    |f, before, (mapped_in, lines)| {
                        assert_eq!(f, mapped_in, "consumed with the file it was mapped in");
                        let so_far = got.iter().filter(|&&(g, _, _)| g == f).count();
                        assert_eq!(before, so_far, "lines before the range, in its file");
                        got.extend(lines.into_iter().map(|(n, l)| (f, before + n, l)));
                        Ok(())
                    },
                )
            });
            prop_assert_eq!(got, want);
            prop_assert_eq!(result.err().map(|e| e.to_string()), want_bad);
        }
    }

    /// On 4 threads, with ranges that take uneven times to map (so they finish out of order),
    /// every range is consumed once, in file order, and few are mapped ahead of the consumer.
    #[test]
    fn ranges_finishing_out_of_order_are_consumed_in_order() {
        let text: String = (1..=3000).map(|n| format!("{n}\n")).collect();
        let path = temp_file("uneven.txt", text.as_bytes());
        let source = Source::File(path.clone());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(4)
            .build()
            .unwrap();
        let ahead = std::sync::atomic::AtomicUsize::new(0);
        let most_ahead = std::sync::atomic::AtomicUsize::new(0);
        let mut seen = Vec::new();
        pool.install(|| {
            for_each_range_in(
                &path,
                &source,
                64,
                false,
                |_, lines| {
                    use std::sync::atomic::Ordering::SeqCst;
                    let first: u64 = lines[0].1.parse().unwrap();
                    std::thread::sleep(std::time::Duration::from_micros(first * 7919 % 500));
                    let now = ahead.fetch_add(1, SeqCst) + 1;
                    most_ahead.fetch_max(now, SeqCst);
                    lines
                        .iter()
                        .map(|l| l.1.parse::<usize>().unwrap())
                        .collect::<Vec<_>>()
                },
                |before, numbers| {
                    ahead.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
                    for (k, n) in numbers.into_iter().enumerate() {
                        assert_eq!(n, before + k + 1);
                        seen.push(n);
                    }
                    Ok(())
                },
            )
        })
        .unwrap();
        assert_eq!(seen, (1..=3000).collect::<Vec<_>>());
        let most = most_ahead.into_inner();
        // The limit, and the one range the consumer has taken but not yet finished.
        assert!(
            most <= AHEAD_PER_THREAD * 4 + 1,
            "{most} ranges mapped ahead"
        );
    }

    /// The first error the consumer returns ends the read (nothing after it is consumed), and
    /// a panic while mapping reaches the caller instead of leaving other threads waiting.
    #[test]
    fn an_error_or_a_panic_ends_the_read() {
        let path = temp_file("stop.txt", "a\nb\nc\n".repeat(1000).as_bytes());
        let source = Source::File(path.clone());
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let mut calls = 0;
        let err = pool
            .install(|| {
                for_each_range_in(
                    &path,
                    &source,
                    64,
                    false,
                    |_, l| l.len(),
                    |before, _| {
                        calls += 1;
                        match calls {
                            3 => Err(Error::input(&source, before + 1, None, "stop")),
                            _ => Ok(()),
                        }
                    },
                )
            })
            .unwrap_err();
        assert_eq!(calls, 3);
        assert!(err.to_string().ends_with(": stop"), "{err}");
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| {
                let maps = std::sync::atomic::AtomicUsize::new(0);
                let map = |_, _: &[(usize, &str)]| {
                    let k = maps.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    assert_ne!(k, 5, "a map that panics");
                };
                for_each_range_in(&path, &source, 64, false, map, |_, ()| Ok(()))
            })
        }));
        assert!(panicked.is_err(), "the panic reached the caller");
    }

    /// A pipe is read in order, a block at a time, with the lines and numbers of a sequential
    /// read (here in blocks smaller than its lines, so lines span reads).
    #[test]
    fn a_pipe_is_read_in_order() {
        use std::io::Write;
        use std::os::fd::AsRawFd;
        let mut bytes = Vec::new();
        for n in 0..3000 {
            bytes.extend_from_slice(format!("{n} {}", "é".repeat(n % 40)).as_bytes());
            bytes.extend_from_slice(if n % 4 == 0 { b"\r\n" } else { b"\n" });
        }
        bytes.extend_from_slice(b"last");
        for (bad_at, block) in [(None, 16), (None, 1000), (Some(bytes.len() / 3), 100)] {
            let mut bytes = bytes.clone();
            if let Some(at) = bad_at {
                bytes[at] = 0xff;
            }
            let (reader, mut writer) = std::io::pipe().unwrap();
            let path = std::path::PathBuf::from(format!("/proc/self/fd/{}", reader.as_raw_fd()));
            let written = bytes.clone();
            let feeder = std::thread::spawn(move || writer.write_all(&written));
            let got = mapped(&path, block, true);
            drop(reader);
            let _ = feeder.join().unwrap();
            assert_eq!(got, sequential(&bytes));
        }
    }

    /// An input error made within a range names its line in the whole file once renumbered.
    #[test]
    fn errors_within_a_range_are_renumbered_in_the_file() {
        let path = temp_file("renumber.txt", "ok\n".repeat(500).as_bytes());
        let source = Source::File(path.clone());
        let mut range = 0;
        let err = for_each_range_in(
            &path,
            &source,
            64,
            false,
            |_, lines| {
                let third = lines.iter().find(|l| l.0 == 3);
                third.map(|&(n, _)| Error::input(&source, n, Some("x"), "no"))
            },
            |before, error| {
                range += 1;
                match error {
                    Some(e) if range == 8 => Err(e.after_lines(before)),
                    _ => Ok(()),
                }
            },
        )
        .unwrap_err();
        // 64-byte ranges of 3-byte lines: the first line starting in range 7 (bytes 448..512)
        // starts at byte 450, line 151 of the file; its third line is 153.
        assert!(err.to_string().ends_with(":153: field `x`: no"), "{err}");
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
