//! Asking a model every item of a dataset, at scale and without losing anything: requests in
//! flight on `jobs` threads, a shared pace (`--rps`), retries with exponential backoff and jitter
//! that honour `Retry-After`, a content-addressed cache, and a journal written as answers arrive,
//! so a run killed at any moment and started again asks only what is left and ends with exactly
//! one answer per item.

use super::backend::{Backend, Failure, Question, Reply};
use super::cache::{self, Cache};
use super::journal::{Journal, Span};
use super::progress::{Display, Progress};
use super::prompt::{Prompt, Shot};
use crate::error::{Error, Result, Source};
use crate::text::answer::{self, Answer};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

/// When and how often to ask again after a transient failure.
#[derive(Clone, Copy, Debug)]
pub struct Retry {
    /// Attempts after the first.
    pub retries: u32,
    /// The first delay; each retry doubles it, up to `max`, with jitter.
    pub base: Duration,
    pub max: Duration,
}

impl Retry {
    /// The wait before retry number `attempt` (from 0): "equal jitter" over an exponential
    /// delay, and never less than the server's `Retry-After`.
    pub fn delay(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut impl Rng,
    ) -> Duration {
        let exponential = self
            .base
            .saturating_mul(1u32 << attempt.min(20))
            .min(self.max);
        let half = exponential / 2;
        let jittered = half + half.mul_f64(rng.random::<f64>());
        jittered.max(retry_after.unwrap_or_default())
    }
}

/// How to run: concurrency, pace, retries, cache, progress.
#[derive(Clone, Debug)]
pub struct Options {
    /// Requests in flight.
    pub jobs: usize,
    /// At most this many requests per second, over all jobs.
    pub rps: Option<f64>,
    pub retry: Retry,
    pub cache: Option<Cache>,
    pub display: Display,
    /// Only these items (by position in the dataset, from 0): a shard.
    pub items: Option<std::ops::Range<usize>>,
}

/// What a run did.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Items in the dataset.
    pub items: usize,
    /// Answers found in the journal of an earlier run.
    pub from_journal: usize,
    /// Answers found in the cache.
    pub from_cache: usize,
    /// Answers the model gave in this run.
    pub asked: usize,
    pub retries: u64,
    /// Items without an answer after every retry: (id, last error). A rerun asks them again.
    pub failed: Vec<(String, String)>,
}

/// Spaces requests `interval` apart over all threads.
struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pace {
    fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().expect("not poisoned");
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            std::thread::sleep(slot - now);
        }
    }
}

/// What a worker reports.
enum Event {
    Answered {
        question: Question,
        reply: Reply,
        latency: Duration,
        attempts: u32,
        cached: bool,
    },
    Retried,
    Failed {
        id: String,
        message: String,
    },
    Fatal(String),
}

/// A prediction line for one reply: the raw output and the parsed answer, or, when the reply
/// carries answer probabilities, the likelier answer as `prediction` (which the scorer takes)
/// with both probabilities.
pub fn answer_record(id: &str, reply: &Reply) -> Value {
    let read = answer::read(&reply.output).answer;
    let mut record = json!({
        "id": id,
        "output": reply.output,
        "answer": (read != Answer::Unparsed).then(|| read.as_str()),
    });
    if let Some((yes, no)) = reply.answer_probabilities {
        let decided = if yes > no {
            Answer::Valid
        } else {
            Answer::Invalid
        };
        record["answer"] = json!(decided.as_str());
        record["prediction"] = json!(decided.as_str());
        record["answer_probabilities"] = json!({"yes": yes, "no": no});
    }
    record
}

/// The journal record of one answer: [`answer_record`] and the request as it was made.
fn record(
    backend: &dyn Backend,
    parameters: &Value,
    question: &Question,
    reply: &Reply,
    latency: Duration,
    attempts: u32,
    cached: bool,
) -> Value {
    let mut request = json!({
        "model": backend.spec(),
        "prompt": question.prompt,
        "parameters": parameters,
        "latency_ms": latency.as_secs_f64() * 1e3,
        "attempts": attempts,
        "cached": cached,
    });
    if let Some(t) = reply.prompt_tokens {
        request["prompt_tokens"] = json!(t);
    }
    if let Some(t) = reply.completion_tokens {
        request["completion_tokens"] = json!(t);
    }
    let mut record = answer_record(&question.id, reply);
    if let Some(variables) = &question.variables {
        // A graph item's answer is the graph as read (the scorer reads `output` again).
        record["answer"] = crate::text::graph_answer::read(&reply.output, variables)
            .answer
            .ok()
            .map_or(Value::Null, |g| g.to_json(variables));
    }
    record["request"] = request;
    record
}

/// Asks `backend` every item of the JSONL dataset `files` (each prompt rendered with `prompt`
/// after the worked examples `shots`) that the journal at `journal_path` does not hold yet, then
/// writes `predictions` (one line per answered item, in dataset order, atomically).
///
/// A fatal failure (a refused key, a misbehaving program) stops the run with an error after
/// journaling every answer that arrived; items still failing after every retry are listed in the
/// summary and left for a rerun.
pub fn ask_all(
    backend: &dyn Backend,
    files: &[PathBuf],
    prompt: &Prompt,
    shots: &[Shot],
    journal_path: &Path,
    predictions: &Path,
    options: &Options,
) -> Result<Summary> {
    let total = match &options.items {
        Some(r) => r.len() as u64,
        None => super::count_items(files)? as u64,
    };
    let wanted = options.items.clone().unwrap_or(0..usize::MAX);
    let (mut journal, done) = Journal::open(journal_path)?;
    let parameters = Value::Object(backend.parameters());
    let identity = backend.cache_identity();
    let jobs = options.jobs.max(1);
    let pace = options.rps.map(|rps| Pace {
        interval: Duration::from_secs_f64(1.0 / rps),
        next: Mutex::new(Instant::now()),
    });
    let stop = AtomicBool::new(false);
    let progress = Progress::start(backend.spec(), total, options.display);
    let counters = progress.counters.clone();
    let mut summary = Summary::default();
    let mut written: HashMap<String, Span> = HashMap::new();
    let mut fatal: Option<String> = None;

    let (work_tx, work_rx) = mpsc::sync_channel::<Question>(jobs * 2);
    let work_rx = Mutex::new(work_rx);
    let (event_tx, event_rx) = mpsc::sync_channel::<Event>(jobs * 4);

    let (order, journal_error) = std::thread::scope(|scope| {
        // The producer: reads the dataset in order, skips what the journal holds, renders prompts.
        let producer = {
            let (done, stop, counters, shots, wanted) = (&done, &stop, &counters, &shots, &wanted);
            scope.spawn(move || -> Result<(Vec<Box<str>>, usize)> {
                let mut order: Vec<Box<str>> = Vec::new();
                let mut lines_of: HashMap<Box<str>, (usize, usize)> = HashMap::new();
                let mut from_journal = 0;
                let mut position = 0usize;
                'files: for (f, path) in files.iter().enumerate() {
                    let source = Source::File(path.clone());
                    let reader = BufReader::new(
                        std::fs::File::open(path).map_err(|e| Error::io(path.display(), e))?,
                    );
                    for (i, line) in reader.lines().enumerate() {
                        if stop.load(Ordering::Relaxed) {
                            return Ok((order, from_journal));
                        }
                        position += 1;
                        if position > wanted.end {
                            break 'files;
                        }
                        let text = line.map_err(|e| Error::io(path.display(), e))?;
                        if position <= wanted.start {
                            continue;
                        }
                        let item = super::parse_item(&source, i + 1, &text)?;
                        if let Some((file, line)) =
                            lines_of.insert(item.id.as_str().into(), (f, i + 1))
                        {
                            return Err(Error::input(
                                &source,
                                i + 1,
                                Some("id"),
                                format!(
                                    "{:?} repeats the id of {}:{line}; every item needs its own",
                                    item.id,
                                    files[file].display()
                                ),
                            ));
                        }
                        order.push(item.id.as_str().into());
                        if done.contains_key(&item.id) {
                            from_journal += 1;
                            counters.done.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        let question = Question {
                            prompt: prompt.render_item(shots, &item),
                            id: item.id,
                            premise: item.premise,
                            hypothesis: item.hypothesis,
                            variables: item.variables,
                        };
                        if work_tx.send(question).is_err() {
                            break;
                        }
                    }
                }
                drop(work_tx);
                Ok((order, from_journal))
            })
        };
        // The workers: each asks one question at a time through its own session.
        for worker in 0..jobs {
            let (work_rx, event_tx, stop, pace, identity) =
                (&work_rx, event_tx.clone(), &stop, &pace, &identity);
            let cache = options.cache.as_ref();
            let retry = options.retry;
            scope.spawn(move || {
                // Jitter only spreads retries out; it need not be reproducible.
                let clock = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos() as u64);
                let seed = clock
                    ^ (worker as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    ^ std::process::id() as u64;
                let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
                let mut session = None;
                loop {
                    let next = work_rx.lock().expect("not poisoned").recv();
                    let Ok(question) = next else { break };
                    if stop.load(Ordering::Relaxed) {
                        continue;
                    }
                    let key = cache.map(|_| cache::key(identity, &question.prompt));
                    if let (Some(cache), Some(key)) = (cache, &key) {
                        if let Some(reply) = cache.get(key) {
                            let _ = event_tx.send(Event::Answered {
                                question,
                                reply,
                                latency: Duration::ZERO,
                                attempts: 0,
                                cached: true,
                            });
                            continue;
                        }
                    }
                    let mut attempt = 0;
                    let event = loop {
                        if let Some(pace) = pace {
                            pace.wait();
                        }
                        let started = Instant::now();
                        let asked = match &mut session {
                            Some(s) => Ok(s),
                            None => backend.session().map(|s| session.insert(s)),
                        }
                        .and_then(|s| s.ask(&question));
                        match asked {
                            Ok(reply) => {
                                if let (Some(cache), Some(key)) = (cache, &key) {
                                    if let Err(e) = cache.put(key, &reply) {
                                        break Event::Fatal(format!("the cache: {e}"));
                                    }
                                }
                                break Event::Answered {
                                    question,
                                    reply,
                                    latency: started.elapsed(),
                                    attempts: attempt + 1,
                                    cached: false,
                                };
                            }
                            Err(Failure::Fatal(message)) => break Event::Fatal(message),
                            Err(Failure::Transient {
                                message,
                                retry_after,
                            }) => {
                                // A session that failed may be broken (a dead subprocess).
                                session = None;
                                if attempt >= retry.retries || stop.load(Ordering::Relaxed) {
                                    break Event::Failed {
                                        id: question.id,
                                        message,
                                    };
                                }
                                let _ = event_tx.send(Event::Retried);
                                std::thread::sleep(retry.delay(attempt, retry_after, &mut rng));
                                attempt += 1;
                            }
                        }
                    };
                    if matches!(event, Event::Fatal(_)) {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if event_tx.send(event).is_err() {
                        break;
                    }
                }
            });
        }
        drop(event_tx);
        // This thread: the journal, in the order answers arrive.
        let mut journal_error = None;
        for event in event_rx.iter() {
            match event {
                Event::Answered {
                    question,
                    reply,
                    latency,
                    attempts,
                    cached,
                } => {
                    if journal_error.is_some() {
                        continue;
                    }
                    let r = record(
                        backend,
                        &parameters,
                        &question,
                        &reply,
                        latency,
                        attempts,
                        cached,
                    );
                    match journal.append(&r) {
                        Ok(span) => {
                            written.insert(question.id, span);
                        }
                        Err(e) => {
                            stop.store(true, Ordering::Relaxed);
                            journal_error = Some(e);
                            continue;
                        }
                    }
                    if cached {
                        summary.from_cache += 1;
                    } else {
                        summary.asked += 1;
                    }
                    counters.done.fetch_add(1, Ordering::Relaxed);
                    counters.answered_now.fetch_add(1, Ordering::Relaxed);
                    let tokens =
                        reply.prompt_tokens.unwrap_or(0) + reply.completion_tokens.unwrap_or(0);
                    counters.tokens.fetch_add(tokens, Ordering::Relaxed);
                }
                Event::Retried => {
                    summary.retries += 1;
                    counters.retries.fetch_add(1, Ordering::Relaxed);
                }
                Event::Failed { id, message } => {
                    counters.failed.fetch_add(1, Ordering::Relaxed);
                    summary.failed.push((id, message));
                }
                Event::Fatal(message) => {
                    fatal.get_or_insert(message);
                }
            }
        }
        (
            producer.join().expect("the producer does not panic"),
            journal_error,
        )
    });
    progress.finish();
    if let Some(e) = journal_error {
        return Err(e);
    }
    if let Some(message) = fatal {
        return Err(Error::Model {
            model: backend.spec().to_string(),
            message,
        });
    }
    let (order, from_journal) = order?;
    summary.items = order.len();
    summary.from_journal = from_journal;

    let mut records = journal.reader()?;
    let mut out = crate::output::AtomicFile::create(predictions)?;
    for id in &order {
        let Some(span) = done.get(&**id).or_else(|| written.get(&**id)) else {
            continue; // failed in this run: listed in the summary
        };
        let mut line = records.get(*span)?;
        line.push(b'\n');
        out.write_all(&line)
            .map_err(|e| Error::io(predictions.display(), e))?;
    }
    out.commit()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_honours_retry_after() {
        let retry = Retry {
            retries: 5,
            base: Duration::from_millis(100),
            max: Duration::from_secs(1),
        };
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
        for attempt in 0..8 {
            let full = Duration::from_millis(100 * (1 << attempt)).min(Duration::from_secs(1));
            for _ in 0..50 {
                let d = retry.delay(attempt, None, &mut rng);
                assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
            }
        }
        let d = retry.delay(0, Some(Duration::from_secs(3)), &mut rng);
        assert_eq!(d, Duration::from_secs(3));
    }

    #[test]
    fn pace_spaces_requests() {
        let pace = Pace {
            interval: Duration::from_millis(20),
            next: Mutex::new(Instant::now()),
        };
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for _ in 0..3 {
                        pace.wait();
                    }
                });
            }
        });
        // Nine requests, the first at once: at least eight intervals.
        assert!(started.elapsed() >= Duration::from_millis(160));
    }
}
