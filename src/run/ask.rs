//! Asking a model every item of a dataset, at scale and without losing anything: requests in
//! flight on `jobs` threads, a shared pace (`--rps`), retries with exponential backoff and jitter
//! that honour `Retry-After`, a content-addressed cache, and a journal written as answers arrive,
//! so a run killed at any moment and started again asks only what is left and ends with exactly
//! one answer per item. A signal ([`Interrupt`]) or a model that stopped answering as a whole
//! ([`super::stop::Watch`]) stops the run early: nothing more is asked, the answers already
//! received are journaled, and the summary says why ([`Stopped`]).

use super::backend::{Backend, Failure, Question, Reply};
use super::cache::{self, Cache};
use super::journal::{Journal, Span};
use super::progress::{Display, Progress};
use super::prompt::{Prompt, Shot};
use super::stop::{Halt, Interrupt, Stop, Stopped, Watch};
use crate::error::{Error, Result, Source};
use crate::text::answer::{self, Answer};
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
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
    /// Give up when, for this long, nothing but failures to reach the model came (see
    /// [`super::stop::Watch`]); [`super::stop::GIVE_UP_AFTER`] by default.
    pub give_up_after: Duration,
    /// Stops the run when it fires (a signal); [`Interrupt::new`] for none.
    pub interrupt: Interrupt,
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
    /// Empty when the run stopped early: what it did not answer is unasked, not failed.
    pub failed: Vec<(String, String)>,
    /// Why the run stopped before asking every item, if it did. The journal holds every answer
    /// received; the predictions file is then left as it was (the rerun writes it).
    pub stopped: Option<Stopped>,
}

/// Spaces requests `interval` apart over all threads.
struct Pace {
    interval: Duration,
    next: Mutex<Instant>,
}

impl Pace {
    fn wait(&self, halt: &Halt) {
        let slot = {
            let mut next = self.next.lock().expect("not poisoned");
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + self.interval;
            slot
        };
        let now = Instant::now();
        if slot > now {
            halt.sleep(slot - now);
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
/// summary and left for a rerun. A signal or a model gone stops it early with
/// [`Summary::stopped`] set.
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
    let halt = Halt::default();
    let watch = Watch::new(options.give_up_after, Instant::now());
    let mut stopped: Option<Stop> = None;
    let progress = Progress::start(backend.spec(), total, options.display);
    let counters = progress.counters.clone();
    counters
        .give_up_s
        .store(options.give_up_after.as_secs(), Ordering::Relaxed);
    let mut summary = Summary::default();
    let mut written: HashMap<String, Span> = HashMap::new();
    let mut fatal: Option<String> = None;

    let (work_tx, work_rx) = mpsc::sync_channel::<Question>(jobs * 2);
    let work_rx = Mutex::new(work_rx);
    let (event_tx, event_rx) = mpsc::sync_channel::<Event>(jobs * 4);

    let (order, journal_error) = std::thread::scope(|scope| {
        // The producer: reads the dataset in order, skips what the journal holds, renders prompts.
        let producer = {
            let (done, halt, counters, shots, wanted) = (&done, &halt, &counters, &shots, &wanted);
            scope.spawn(move || -> Result<(Vec<Box<str>>, usize)> {
                let mut order: Vec<Box<str>> = Vec::new();
                let mut lines_of: HashMap<Box<str>, (usize, usize)> = HashMap::new();
                let mut from_journal = 0;
                let mut position = 0usize;
                'files: for (f, path) in files.iter().enumerate() {
                    let source = Source::File(path.clone());
                    let reader = BufReader::new(
                        std::fs::File::open(path).map_err(|e| Error::reading(path.display(), e))?,
                    );
                    for (i, line) in reader.lines().enumerate() {
                        if halt.is_raised() {
                            return Ok((order, from_journal));
                        }
                        position += 1;
                        if position > wanted.end {
                            break 'files;
                        }
                        let text = line.map_err(|e| Error::reading(path.display(), e))?;
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
            let (work_rx, event_tx, halt, pace, identity, watch) =
                (&work_rx, event_tx.clone(), &halt, &pace, &identity, &watch);
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
                    if halt.is_raised() {
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
                            pace.wait(halt);
                        }
                        if halt.is_raised() {
                            break Event::Failed {
                                id: question.id,
                                message: "the run stopped".into(),
                            };
                        }
                        let started = Instant::now();
                        let asked = match &mut session {
                            Some(s) => Ok(s),
                            None => backend.session().map(|s| session.insert(s)),
                        }
                        .and_then(|s| s.ask(&question));
                        match asked {
                            Ok(reply) => {
                                watch.answered(Instant::now());
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
                            Err(failure) => {
                                let retry_after = match &failure {
                                    Failure::Transient { retry_after, .. } => {
                                        watch.alive(Instant::now());
                                        *retry_after
                                    }
                                    _ => {
                                        watch.unreachable(failure.message());
                                        None
                                    }
                                };
                                // A session that failed may be broken (a dead subprocess).
                                session = None;
                                if attempt >= retry.retries || halt.is_raised() {
                                    break Event::Failed {
                                        id: question.id,
                                        message: failure.message().to_string(),
                                    };
                                }
                                let _ = event_tx.send(Event::Retried);
                                halt.sleep(retry.delay(attempt, retry_after, &mut rng));
                                attempt += 1;
                            }
                        }
                    };
                    if matches!(event, Event::Fatal(_)) {
                        halt.raise();
                    }
                    if event_tx.send(event).is_err() {
                        break;
                    }
                }
            });
        }
        drop(event_tx);
        // This thread: the journal, in the order answers arrive; between events it checks
        // whether to stop (a signal, a model gone).
        let mut journal_error = None;
        loop {
            let unreachable = watch.unreachable_for(Instant::now()).unwrap_or_default();
            counters
                .unreachable_s
                .store(unreachable.as_secs(), Ordering::Relaxed);
            if stopped.is_none() {
                let why = match options.interrupt.signal() {
                    Some(signal) => Some(Stop::Signal(signal)),
                    None => watch.verdict(Instant::now()).map(|s| Stop::Gone {
                        endpoint: backend.endpoint(),
                        last_success: s.last_success,
                        silent: s.silent,
                        failures: s.failures,
                        last_error: s.last_error,
                    }),
                };
                if let Some(why) = why {
                    stopped = Some(why);
                    halt.raise();
                    backend.cancel();
                }
            }
            let event = match event_rx.recv_timeout(Duration::from_millis(50)) {
                Ok(event) => event,
                Err(mpsc::RecvTimeoutError::Timeout) => continue,
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            };
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
                            halt.raise();
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
                // Once the run stops, what was not answered is unasked, not failed.
                Event::Failed { .. } if stopped.is_some() => {}
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
    if stopped.is_some() {
        // Items that failed while the model was going away are unasked too.
        summary.failed.clear();
        counters.failed.store(0, Ordering::Relaxed);
    }
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
    if let Some(why) = stopped {
        // Every answer is in the journal (of earlier runs and this one); the next run goes on.
        summary.stopped = Some(Stopped {
            why,
            answered: done.len() + written.len(),
            total: total as usize,
        });
        return Ok(summary);
    }

    let mut records = journal.reader()?;
    let mut out = crate::output::AtomicFile::create(predictions)?;
    for id in &order {
        let Some(span) = done.get(&**id).or_else(|| written.get(&**id)) else {
            continue; // failed in this run: listed in the summary
        };
        let mut line = records.get(*span)?;
        line.push(b'\n');
        out.write_all(&line)
            .map_err(|e| Error::writing(predictions.display(), e))?;
    }
    out.commit()?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::backend::Session;
    use crate::run::stop::Endpoint;
    use std::sync::atomic::AtomicUsize;

    /// A model that answers its first `answers` requests, then only fails to be reached (or, with
    /// `interrupt`, fires it after those answers and stalls until cancelled).
    struct Dying {
        answers: usize,
        asked: AtomicUsize,
        interrupt: Option<Interrupt>,
        cancelled: std::sync::atomic::AtomicBool,
    }

    struct DyingSession<'a>(&'a Dying);

    impl Session for DyingSession<'_> {
        fn ask(&mut self, _: &Question) -> Result<Reply, Failure> {
            let n = self.0.asked.fetch_add(1, Ordering::SeqCst);
            if n < self.0.answers {
                return Ok(Reply {
                    output: "Yes".into(),
                    ..Reply::default()
                });
            }
            match &self.0.interrupt {
                Some(i) => {
                    i.trigger(2);
                    while !self.0.cancelled.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                    Err(Failure::transient("cancelled"))
                }
                None => Err(Failure::Unreachable("connection refused".into())),
            }
        }
    }

    impl Backend for Dying {
        fn spec(&self) -> &str {
            "test:dying"
        }
        fn default_jobs(&self) -> usize {
            1
        }
        fn parameters(&self) -> serde_json::Map<String, Value> {
            serde_json::Map::new()
        }
        fn cache_identity(&self) -> String {
            String::new()
        }
        fn session(&self) -> Result<Box<dyn Session + '_>, Failure> {
            Ok(Box::new(DyingSession(self)))
        }
        fn endpoint(&self) -> Endpoint {
            Endpoint::Server("http://dying".into())
        }
        fn cancel(&self) {
            self.cancelled.store(true, Ordering::SeqCst);
        }
    }

    /// Runs `backend` on 40 items in a fresh folder `tag`: the summary and the journal's lines.
    fn run_dying(tag: &str, backend: &Dying, interrupt: Interrupt) -> (Summary, usize, bool) {
        let dir = std::env::temp_dir().join(format!("corrcause-ask-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let data = dir.join("items.jsonl");
        let lines: String = (0..40)
            .map(|i| format!("{{\"id\": \"i{i}\", \"premise\": \"p\", \"hypothesis\": \"h\"}}\n"))
            .collect();
        std::fs::write(&data, lines).unwrap();
        let options = Options {
            jobs: 3,
            rps: None,
            // An item runs out of retries in about 0.1 s, all of them in about 1.1 s.
            retry: Retry {
                retries: 3,
                base: Duration::from_millis(40),
                max: Duration::from_millis(40),
            },
            cache: None,
            display: Display::Quiet,
            items: None,
            give_up_after: Duration::from_millis(300),
            interrupt,
        };
        let s = ask_all(
            backend,
            &[data],
            &Prompt::Corr2Cause,
            &[],
            &dir.join("journal.jsonl"),
            &dir.join("predictions.jsonl"),
            &options,
        )
        .unwrap();
        let journal = std::fs::read_to_string(dir.join("journal.jsonl")).unwrap();
        let predictions = dir.join("predictions.jsonl").exists();
        std::fs::remove_dir_all(&dir).unwrap();
        (s, journal.lines().count(), predictions)
    }

    #[test]
    fn a_model_gone_stops_the_run_and_what_it_left_is_unasked_not_failed() {
        let backend = Dying {
            answers: 7,
            asked: AtomicUsize::new(0),
            interrupt: None,
            cancelled: Default::default(),
        };
        let (s, journaled, predictions) = run_dying("gone", &backend, Interrupt::new());
        let stopped = s.stopped.expect("the run stops");
        assert!(matches!(stopped.why, Stop::Gone { .. }), "{stopped:?}");
        assert_eq!((stopped.answered, stopped.total), (7, 40));
        assert_eq!((s.asked, journaled), (7, 7));
        // Items ran out of retries before the bound: unasked all the same.
        assert!(s.failed.is_empty(), "{:?}", s.failed);
        assert!(
            !predictions,
            "a stopped run leaves the predictions to the run that finishes"
        );
        assert_eq!(stopped.exit_code(), 75);
        assert!(
            stopped
                .message()
                .starts_with("the server at http://dying stopped answering (last success 0 s ago"),
            "{}",
            stopped.message()
        );
    }

    #[test]
    fn an_interrupt_cancels_the_requests_in_flight_and_keeps_the_answers() {
        let interrupt = Interrupt::new();
        let backend = Dying {
            answers: 5,
            asked: AtomicUsize::new(0),
            interrupt: Some(interrupt.clone()),
            cancelled: Default::default(),
        };
        let started = Instant::now();
        let (s, journaled, _) = run_dying("interrupt", &backend, interrupt);
        assert!(started.elapsed() < Duration::from_secs(5));
        let stopped = s.stopped.expect("the run stops");
        assert_eq!(stopped.why, Stop::Signal(2));
        assert_eq!((stopped.answered, journaled, s.asked), (5, 5, 5));
        assert_eq!(
            stopped.message(),
            "interrupted: 5 of 40 answered; the same command continues where this stopped"
        );
        assert!(s.failed.is_empty());
    }

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
        let halt = Halt::default();
        let started = Instant::now();
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for _ in 0..3 {
                        pace.wait(&halt);
                    }
                });
            }
        });
        // Nine requests, the first at once: at least eight intervals.
        assert!(started.elapsed() >= Duration::from_millis(160));
    }
}
