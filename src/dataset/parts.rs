//! A split in several files: the layout Hugging Face datasets use. A split of at most
//! `items_per_file` items is one file, `SPLIT.jsonl`; a larger one is `SPLIT-00000-of-00004.jsonl`
//! and so on, each holding whole premises, the files in order giving the split in order. Each file
//! is written and hashed on its own, so that `generate` writes a large split on every core and
//! `sha256sum` still checks every file.
//!
//! [`write`] is the engine: chunks of premises are rendered on every core, in an order that
//! interleaves the files, and each file's chunks (JSONL and CSV apart) are hashed in order by one
//! thread at a time and written in order by one thread at a time, the two able to run side by
//! side; so files are written side by side, memory holds a few chunks per thread, and the bytes
//! do not depend on the number of threads.

use crate::error::{Error, Result};
use crate::output::{AtomicFile, Finished};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Items per file unless a configuration says otherwise: 20 to 80 MB of JSONL at six to twelve
/// variables. Each file is hashed in order, and written in order, by one thread at a time (SHA-256
/// and a tmpfs write each go at about 1.8 GB/s a stream, side by side), so the largest file bounds
/// how fast many cores finish; at this size it takes at most about 45 ms, under a sixteenth of
/// corr2cause-v2's work.
pub const DEFAULT_ITEMS_PER_FILE: usize = 8_192;

/// The name of part `part` (from 0) of `parts` of split `split`, with extension `ext`
/// (`jsonl`, `csv`): `split.ext` when the split is one file.
pub fn file_name(split: &str, part: usize, parts: usize, ext: &str) -> String {
    if parts <= 1 {
        format!("{split}.{ext}")
    } else {
        format!("{split}-{part:05}-of-{parts:05}.{ext}")
    }
}

/// A dataset file's name read back: its split, which part of how many, and its extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartName<'a> {
    pub split: &'a str,
    /// `(part, parts)`; `(0, 1)` for a split in one file.
    pub part: (usize, usize),
    pub ext: &'a str,
}

/// Reads a file name that [`file_name`] wrote; `None` when it has no extension.
pub fn parse(name: &str) -> Option<PartName<'_>> {
    let (stem, ext) = name.rsplit_once('.')?;
    let numbered = stem.rsplit_once("-of-").and_then(|(head, total)| {
        let (split, part) = head.rsplit_once('-')?;
        let digits = |s: &str| s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(part) || !digits(total) || split.is_empty() {
            return None;
        }
        let (part, total): (usize, usize) = (part.parse().ok()?, total.parse().ok()?);
        (part < total).then_some((split, (part, total)))
    });
    let (split, part) = numbered.unwrap_or((stem, (0, 1)));
    Some(PartName { split, part, ext })
}

/// The split a dataset file belongs to: its name without part number and extension.
pub fn split_of(name: &str) -> &str {
    parse(name).map_or(name, |p| p.split)
}

/// Cuts premises, in order, into runs of at most `max` items (`items` gives a premise's count;
/// a premise with more is a run of its own, but for premises without items before it). No
/// premises give no runs.
pub fn cut(premises: &[usize], items: impl Fn(usize) -> usize, max: usize) -> Vec<Vec<usize>> {
    let mut runs: Vec<Vec<usize>> = Vec::new();
    let mut in_run = 0;
    for &p in premises {
        let n = items(p);
        if runs.is_empty() || (in_run > 0 && in_run + n > max) {
            runs.push(Vec::new());
            in_run = 0;
        }
        in_run += n;
        runs.last_mut().expect("a run").push(p);
    }
    runs
}

/// What a chunk of premises renders to: the text of each output file, and its item count. A
/// rendering is a buffer, cleared and used again for a later chunk once written.
pub trait Rendering: Default {
    /// The text for file `k` of the piece (in [`Piece::files`] order).
    fn text(&self, k: usize) -> &str;
    fn items(&self) -> usize;
    /// Empties it for the next chunk, keeping its memory.
    fn clear(&mut self);
}

/// One piece of a file: the whole file, or (in a shard) the premises of it this shard holds.
#[derive(Clone, Debug)]
pub struct Piece {
    /// One file per output form, with the text it starts with (a CSV header, or empty).
    pub files: Vec<(String, &'static str)>,
    /// The premises, in chunks written in order.
    pub chunks: Vec<Vec<usize>>,
}

/// A file written in full, not yet at its path: [`commit`] puts it there.
#[derive(Debug)]
pub struct Written {
    pub name: String,
    pub sha256: String,
    pub bytes: u64,
    pub items: usize,
    file: Finished,
}

/// Puts written files in place, in order.
pub fn commit(files: Vec<Written>) -> Result<()> {
    for f in files {
        f.file.commit()?;
    }
    Ok(())
}

/// A file's running hash: SHA-256, bytes and items of the chunks hashed so far.
struct Hashing {
    hash: Sha256,
    bytes: u64,
    items: usize,
}

/// One file as its chunks arrive. Hashing and writing are two streams, each taking the chunks
/// in order and held by at most one thread at a time: a thread that finds a stream free takes it
/// (it may do both in turn), so a chunk that arrives while one thread hashes is written by
/// another. A chunk is let go once both streams have passed it.
struct Sink<R> {
    /// Chunks arrived and not yet both hashed and written, by number.
    waiting: BTreeMap<usize, Arc<R>>,
    /// Chunks hashed, and chunks written, so far.
    hashed: usize,
    written: usize,
    /// The hash and the file, each `None` while a thread holds it, before the file opens, once it
    /// is finished, or after a write failed.
    hashing: Option<Hashing>,
    file: Option<AtomicFile>,
    opened: bool,
    done: Option<Written>,
}

impl<R> Sink<R> {
    /// The chunks from `from` on that have arrived, in order (shared with the waiting list).
    fn ready(&self, from: usize) -> Vec<Arc<R>> {
        (from..)
            .map_while(|c| self.waiting.get(&c).cloned())
            .collect()
    }
}

/// Chunks rendered but not yet both hashed and written, over all files, most per thread: a
/// thread waits rather than render another when this many are waiting (one file written by many
/// threads).
const WAITING_PER_THREAD: usize = 2;

/// Writes every piece into `dir`: `render` writes a chunk of premises' text into an empty
/// rendering (on any thread); `rendered` is called with each chunk's premises and rendering
/// before it is written (to count them).
/// Every file of every piece is two streams of its own, hashed and written in chunk order, each
/// taken by whichever thread finds it free with chunks ready. Returns each piece's files, finished but not in
/// place (see [`commit`]); on an error every file is removed.
pub fn write<R: Rendering + Send + Sync>(
    dir: &Path,
    pieces: &[Piece],
    render: impl Fn(&[usize], &mut R) + Sync,
    rendered: impl Fn(&[usize], &R) + Sync,
) -> Result<Vec<Vec<Written>>> {
    let threads = rayon::current_num_threads().max(1);
    // Dispatch order: chunks of a window of pieces in turn, so that threads mostly work on
    // different files; a piece leaves the window when its last chunk is handed out.
    let mut order: Vec<(usize, usize)> = Vec::new();
    let mut queue = (0..pieces.len()).filter(|&p| !pieces[p].chunks.is_empty());
    let mut window: VecDeque<(usize, usize)> =
        queue.by_ref().take(2 * threads).map(|p| (p, 0)).collect();
    while let Some((p, c)) = window.pop_front() {
        order.push((p, c));
        if c + 1 < pieces[p].chunks.len() {
            window.push_back((p, c + 1));
        } else if let Some(q) = queue.next() {
            window.push_back((q, 0));
        }
    }
    // The sinks of piece p's files start at first[p].
    let mut first = Vec::with_capacity(pieces.len());
    let mut sinks: Vec<Mutex<Sink<R>>> = Vec::new();
    for piece in pieces {
        first.push(sinks.len());
        for _ in &piece.files {
            sinks.push(Mutex::new(Sink {
                waiting: BTreeMap::new(),
                hashed: 0,
                written: 0,
                hashing: None,
                file: None,
                opened: false,
                done: None,
            }));
        }
    }
    let open = |p: usize, k: usize| -> Result<(Hashing, AtomicFile)> {
        let (name, head) = &pieces[p].files[k];
        let path = dir.join(name);
        let mut file = AtomicFile::create(&path)?;
        file.write_all(head.as_bytes())
            .map_err(|e| Error::writing(path.display(), e))?;
        let mut hash = Sha256::new();
        hash.update(head.as_bytes());
        let hashing = Hashing {
            hash,
            bytes: head.len() as u64,
            items: 0,
        };
        Ok((hashing, file))
    };
    let finish = |p: usize, k: usize, (h, file): (Hashing, AtomicFile)| -> Result<Written> {
        Ok(Written {
            name: pieces[p].files[k].0.clone(),
            sha256: format!("{:x}", h.hash.finalize()),
            bytes: h.bytes,
            items: h.items,
            file: file.finish()?,
        })
    };
    // Pieces without premises (an empty split) are their start text alone.
    for (p, piece) in pieces.iter().enumerate() {
        if piece.chunks.is_empty() {
            for k in 0..piece.files.len() {
                let written = finish(p, k, open(p, k)?)?;
                sinks[first[p] + k].lock().expect("sink").done = Some(written);
            }
        }
    }
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let failure: Mutex<Option<Error>> = Mutex::new(None);
    let waiting = Mutex::new(0usize);
    let drained = Condvar::new();
    let limit = WAITING_PER_THREAD * threads;
    // Hands chunk `c` of piece `p` to its file `k`; then hashes, and writes, it and every chunk
    // it unblocks, unless another thread holds that stream (which then takes them). Renderings
    // let go by every file they go to are kept for reuse.
    let spare: Mutex<Vec<R>> = Mutex::new(Vec::new());
    let deliver = |p: usize, k: usize, c: usize, chunk: Arc<R>| -> Result<()> {
        let at = first[p] + k;
        let path = || dir.join(&pieces[p].files[k].0);
        let mut sink = sinks[at].lock().expect("sink");
        sink.waiting.insert(c, chunk);
        *waiting.lock().expect("count") += 1;
        if !sink.opened {
            let (h, f) = open(p, k)?;
            (sink.hashing, sink.file, sink.opened) = (Some(h), Some(f), true);
        }
        loop {
            let mut progress = false;
            if sink.hashing.is_some() {
                let ready = sink.ready(sink.hashed);
                if !ready.is_empty() {
                    let mut h = sink.hashing.take().expect("the hash");
                    drop(sink);
                    for chunk in &ready {
                        let text = chunk.text(k);
                        h.hash.update(text.as_bytes());
                        h.bytes += text.len() as u64;
                        h.items += chunk.items();
                    }
                    let n = ready.len();
                    drop(ready);
                    sink = sinks[at].lock().expect("sink");
                    sink.hashing = Some(h);
                    sink.hashed += n;
                    progress = true;
                }
            }
            if sink.file.is_some() {
                let ready = sink.ready(sink.written);
                if !ready.is_empty() {
                    let mut f = sink.file.take().expect("the file");
                    drop(sink);
                    for chunk in &ready {
                        f.write_all(chunk.text(k).as_bytes())
                            .map_err(|e| Error::writing(path().display(), e))?;
                    }
                    let n = ready.len();
                    drop(ready);
                    sink = sinks[at].lock().expect("sink");
                    sink.file = Some(f);
                    sink.written += n;
                    progress = true;
                }
            }
            // Chunks both streams have passed are let go.
            let passed = sink.hashed.min(sink.written);
            let mut let_go = 0;
            while let Some(entry) = sink.waiting.first_entry() {
                if *entry.key() >= passed {
                    break;
                }
                if let Ok(mut r) = Arc::try_unwrap(entry.remove()) {
                    r.clear();
                    spare.lock().expect("spare").push(r);
                }
                let_go += 1;
            }
            if let_go > 0 {
                *waiting.lock().expect("count") -= let_go;
                drained.notify_all();
            }
            if !progress {
                break;
            }
        }
        let chunks = pieces[p].chunks.len();
        // Both streams at the end: neither is held (a stream is taken only for a chunk left).
        if sink.hashed == chunks && sink.written == chunks && sink.done.is_none() {
            let (h, f) = (sink.hashing.take(), sink.file.take());
            let both = h.zip(f).expect("both streams idle at the end");
            sink.done = Some(finish(p, k, both)?);
        }
        Ok(())
    };
    rayon::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|_| loop {
                {
                    let mut w = waiting.lock().expect("count");
                    while *w >= limit && !stop.load(Ordering::Relaxed) {
                        w = drained.wait(w).expect("count");
                    }
                }
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(p, c)) = order.get(i) else { return };
                let units = &pieces[p].chunks[c];
                let mut chunk = spare.lock().expect("spare").pop().unwrap_or_default();
                render(units, &mut chunk);
                rendered(units, &chunk);
                // The last file gets the rendering itself, so that whichever file lets it go
                // last can keep it for reuse.
                let mut chunk = Some(Arc::new(chunk));
                let files = pieces[p].files.len();
                for k in 0..files {
                    let this = if k + 1 == files {
                        chunk.take()
                    } else {
                        chunk.clone()
                    };
                    if let Err(e) = deliver(p, k, c, this.expect("a rendering")) {
                        failure.lock().expect("failure").get_or_insert(e);
                        stop.store(true, Ordering::Relaxed);
                        let _held = waiting.lock().expect("count");
                        drained.notify_all();
                        return;
                    }
                }
            });
        }
    });
    if let Some(e) = failure.into_inner().expect("failure") {
        return Err(e);
    }
    let mut done: Vec<Option<Written>> = sinks
        .into_iter()
        .map(|s| s.into_inner().expect("sink").done)
        .collect();
    Ok(pieces
        .iter()
        .enumerate()
        .map(|(p, piece)| {
            (0..piece.files.len())
                .map(|k| done[first[p] + k].take().expect("every file finished"))
                .collect()
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(file_name("test", 0, 1, "jsonl"), "test.jsonl");
        assert_eq!(file_name("train", 3, 12, "csv"), "train-00003-of-00012.csv");
        for (name, split, part) in [
            ("test.jsonl", "test", (0, 1)),
            ("train-00003-of-00012.csv", "train", (3, 12)),
            ("my-split-00000-of-00002.jsonl", "my-split", (0, 2)),
            ("x-0003-of-00012.jsonl", "x-0003-of-00012", (0, 1)),
            ("x-00012-of-00012.jsonl", "x-00012-of-00012", (0, 1)),
        ] {
            let p = parse(name).unwrap();
            assert_eq!((p.split, p.part), (split, part), "{name}");
        }
        assert_eq!(parse("noext"), None);
    }

    #[derive(Default)]
    struct Text(String, String, usize);
    impl Rendering for Text {
        fn text(&self, k: usize) -> &str {
            if k == 0 {
                &self.0
            } else {
                &self.1
            }
        }
        fn items(&self) -> usize {
            self.2
        }
        fn clear(&mut self) {
            self.0.clear();
            self.1.clear();
            self.2 = 0;
        }
    }

    /// Writes `pieces` on 8 threads (more than the cores, so chunks arrive out of order and
    /// wait), unit `u` rendering to `a(u)` in a piece's first file and `b(u)` in its second after
    /// `delay(u)` microseconds; then checks that every file holds its head and its premises' text
    /// in order, with the hash and counts of those bytes.
    fn check_written_on_8_threads(
        tag: &str,
        pieces: &[Piece],
        a: impl Fn(usize) -> String + Sync,
        b: impl Fn(usize) -> String + Sync,
        delay: impl Fn(usize) -> u64 + Sync,
    ) {
        let dir = std::env::temp_dir().join(format!("corrcause-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(8)
            .build()
            .unwrap();
        let written = pool
            .install(|| {
                write(
                    &dir,
                    pieces,
                    |units, out: &mut Text| {
                        for &u in units {
                            std::thread::sleep(std::time::Duration::from_micros(delay(u)));
                            out.0 += &a(u);
                            out.1 += &b(u);
                            out.2 += 1;
                        }
                    },
                    |_, _| {},
                )
            })
            .unwrap();
        for (piece, files) in pieces.iter().zip(written) {
            let units: Vec<usize> = piece.chunks.concat();
            let texts: [&(dyn Fn(usize) -> String + Sync); 2] = [&a, &b];
            let expected: Vec<String> = texts
                .iter()
                .zip(&piece.files)
                .map(|(text, (_, head))| {
                    head.to_string() + &units.iter().map(|&u| text(u)).collect::<String>()
                })
                .collect();
            for (f, expected) in files.iter().zip(&expected) {
                assert_eq!((f.items, f.bytes), (units.len(), expected.len() as u64));
                assert_eq!(
                    f.sha256,
                    format!("{:x}", Sha256::digest(expected.as_bytes()))
                );
            }
            let names: Vec<String> = files.iter().map(|f| f.name.clone()).collect();
            commit(files).unwrap();
            for (name, expected) in names.iter().zip(&expected) {
                assert!(
                    &std::fs::read_to_string(dir.join(name)).unwrap() == expected,
                    "{name}"
                );
            }
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Many small files, with uneven work so that threads finish out of order.
    #[test]
    fn every_file_gets_its_chunks_in_order_whatever_the_threads() {
        let mut pieces = Vec::new();
        let mut unit = 0;
        for p in 0..23 {
            let chunks: Vec<Vec<usize>> = (0..(p % 7))
                .map(|c| {
                    let v: Vec<usize> = (unit..unit + 1 + (p * c) % 5).collect();
                    unit += v.len();
                    v
                })
                .collect();
            pieces.push(Piece {
                files: vec![(format!("f{p}.a"), ""), (format!("f{p}.b"), "head\n")],
                chunks,
            });
        }
        check_written_on_8_threads(
            "parts",
            &pieces,
            |u| format!("{u}\n"),
            |u| format!("<{u}>\n"),
            |u| (u % 3) as u64 * 200,
        );
    }

    /// One file of many large chunks, some slow to render: its hash and its writing are held by
    /// different threads at once (8 times in a run, counted with a temporary print), each
    /// stream still in order.
    #[test]
    fn one_file_of_many_chunks_is_hashed_and_written_in_order() {
        let pieces = vec![Piece {
            files: vec![("one.a".to_string(), "head\n"), ("one.b".to_string(), "")],
            chunks: (0..400).map(|c| vec![c]).collect(),
        }];
        check_written_on_8_threads(
            "parts1",
            &pieces,
            |u| format!("{u:>8}\n").repeat(2_000),
            |u| format!("<{u}>\n"),
            |u| if u % 7 == 0 { 300 } else { 0 },
        );
    }

    proptest! {
        /// Runs hold every premise once, in order, at most `max` items unless one premise with
        /// items is alone over it, and a premise starts a new run only when it would not fit in
        /// the current one.
        #[test]
        fn cut_is_greedy_and_bounded(items in proptest::collection::vec(0usize..50, 0..60), max in 1usize..120) {
            let premises: Vec<usize> = (0..items.len()).collect();
            let runs = cut(&premises, |p| items[p], max);
            prop_assert_eq!(runs.concat(), premises);
            prop_assert!(runs.iter().all(|r| !r.is_empty()));
            let sum = |r: &[usize]| r.iter().map(|&p| items[p]).sum::<usize>();
            for (k, run) in runs.iter().enumerate() {
                let with_items = run.iter().filter(|&&p| items[p] > 0).count();
                prop_assert!(sum(run) <= max || with_items == 1, "{:?}", run);
                if k > 0 {
                    prop_assert!(sum(&runs[k - 1]) + items[run[0]] > max);
                }
            }
        }
    }
}
