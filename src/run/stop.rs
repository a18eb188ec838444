//! Why a run stops before it has asked every item, and what stops it: a signal (SIGINT,
//! SIGTERM, or a front end's own [`Interrupt`]) or a model that stopped answering as a whole (a
//! server gone, a program that keeps dying at start), which the runner's [`Watch`] notices.
//!
//! Either way the runner stops asking, lets the answers it already has reach the journal, ends
//! the requests in flight and returns a [`Stopped`]; the front end prints its message and exits
//! with its code. Nothing is lost: the same command asks only what is left.

use crate::error::Error;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Failed attempts in a row (each a refused or dropped connection, a timeout, a 5xx, or a
/// program that died before its first answer) that, with no sign of life for
/// [`Watch`]'s bound, mean the model is gone.
pub const GIVE_UP_FAILURES: u32 = 5;

/// The default bound: seconds without any sign of life before a run gives up.
pub const GIVE_UP_AFTER: Duration = Duration::from_secs(60);

/// Who a model is, for the message that says it stopped answering.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A server, by its base URL.
    Server(String),
    /// A program, by its command line, with the last lines it wrote on standard error.
    Program {
        command: String,
        stderr: Vec<String>,
    },
}

/// Why a run stopped before every item was asked.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// A signal arrived (its number: 2 for SIGINT, 15 for SIGTERM).
    Signal(i32),
    /// Every attempt for a while failed to reach the model.
    Gone {
        endpoint: Endpoint,
        /// How long ago the last answer of this run came (none: no answer in this run).
        last_success: Option<Duration>,
        /// How long nothing but failures to reach the model came.
        silent: Duration,
        /// Attempts in a row that failed so.
        failures: u32,
        /// The last of those failures.
        last_error: String,
    },
}

impl Stop {
    /// The process exit status: 128 + the signal (130 for SIGINT, 143 for SIGTERM), or 75
    /// (EX_TEMPFAIL: try again later) when the model stopped answering.
    pub fn exit_code(&self) -> i32 {
        match self {
            Stop::Signal(signal) => 128 + signal,
            Stop::Gone { .. } => 75,
        }
    }

    /// What to tell the user; `counts` is (items answered, items in the run) when known.
    pub fn message(&self, counts: Option<(usize, usize)>) -> String {
        let answered = match counts {
            Some((done, total)) => format!("{done} of {total} answered; "),
            None => String::new(),
        };
        let resume = "the same command continues where this stopped";
        match self {
            Stop::Signal(_) => format!("interrupted: {answered}{resume}"),
            Stop::Gone {
                endpoint,
                last_success,
                silent,
                failures,
                last_error,
            } => {
                let since = match last_success {
                    Some(d) => format!("last success {} s ago", d.as_secs()),
                    None => format!("no success in {} s", silent.as_secs()),
                };
                match endpoint {
                    Endpoint::Server(url) => format!(
                        "the server at {url} stopped answering ({since}, {failures} failed attempts in a row, the last: {last_error}); {answered}{resume}"
                    ),
                    Endpoint::Program { command, stderr } => {
                        let mut m = format!(
                            "the program `{command}` keeps dying at start ({since}, {failures} starts in a row ended before an answer, the last: {last_error}); {answered}{resume}"
                        );
                        if stderr.is_empty() {
                            m.push_str("; it wrote nothing on standard error");
                        } else {
                            m.push_str("; its last lines on standard error:");
                            for line in stderr {
                                m.push_str("\n  | ");
                                m.push_str(line);
                            }
                        }
                        m
                    }
                }
            }
        }
    }
}

/// A run that stopped before its end: why, and how far it got.
#[derive(Clone, Debug, PartialEq)]
pub struct Stopped {
    pub why: Stop,
    /// Items with an answer in the journal (of earlier runs and this one).
    pub answered: usize,
    /// Items the run was to ask (a shard's, or the dataset's).
    pub total: usize,
}

impl Stopped {
    /// `interrupted: 33 of 102 answered; the same command continues where this stopped`, or
    /// the like for a model that stopped answering.
    pub fn message(&self) -> String {
        self.why.message(Some((self.answered, self.total)))
    }

    /// See [`Stop::exit_code`].
    pub fn exit_code(&self) -> i32 {
        self.why.exit_code()
    }

    /// The error that ends the command with this message and exit status.
    pub fn error(&self) -> Error {
        Error::Stopped {
            message: self.message(),
            code: self.exit_code(),
        }
    }
}

/// A request to stop a run, shared by whoever may make it (a signal handler, a front end) and
/// the runner, which checks it as it goes. Cheap to clone; clones share one state.
#[derive(Clone, Debug, Default)]
pub struct Interrupt(Arc<AtomicUsize>);

impl Interrupt {
    /// An interrupt that fires only when [`Interrupt::trigger`] is called.
    pub fn new() -> Interrupt {
        Interrupt::default()
    }

    /// Asks the run to stop as if `signal` had arrived.
    pub fn trigger(&self, signal: i32) {
        self.0.store(signal.max(1) as usize, Ordering::SeqCst);
    }

    /// The signal that asked to stop, if one did.
    pub fn signal(&self) -> Option<i32> {
        match self.0.load(Ordering::SeqCst) {
            0 => None,
            s => Some(s as i32),
        }
    }

    /// An error when a signal asked to stop: for the points between the steps of a command
    /// (between models, before scoring), where no count of answers applies.
    pub fn check(&self) -> crate::error::Result<()> {
        match self.signal() {
            Some(signal) => {
                let why = Stop::Signal(signal);
                Err(Error::Stopped {
                    message: why.message(None),
                    code: why.exit_code(),
                })
            }
            None => Ok(()),
        }
    }

    /// The process's interrupt, fired by SIGINT and SIGTERM. The first signal only asks the run
    /// to stop; a second one ends the process at once with status 128 + its number (the journal
    /// stays readable: at worst its last line is torn, and the next run cuts it). Installed once;
    /// later calls return the same interrupt.
    pub fn on_signals() -> std::io::Result<Interrupt> {
        static INSTALLED: OnceLock<Interrupt> = OnceLock::new();
        if let Some(i) = INSTALLED.get() {
            return Ok(i.clone());
        }
        let interrupt = Interrupt::new();
        let armed = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // The order matters: the second signal finds the flag the first one set.
            signal_hook::flag::register_conditional_shutdown(signal, 128 + signal, armed.clone())?;
            signal_hook::flag::register_usize(signal, interrupt.0.clone(), signal as usize)?;
            signal_hook::flag::register(signal, armed.clone())?;
        }
        Ok(INSTALLED.get_or_init(|| interrupt).clone())
    }
}

/// A flag that stops a run's threads, waking those that sleep (backoff, pace) at once.
#[derive(Debug, Default)]
pub(crate) struct Halt {
    set: AtomicBool,
    lock: Mutex<()>,
    wake: Condvar,
}

impl Halt {
    /// Raises the flag and wakes every sleeper.
    pub fn raise(&self) {
        self.set.store(true, Ordering::SeqCst);
        let _guard = self.lock.lock().expect("not poisoned");
        self.wake.notify_all();
    }

    pub fn is_raised(&self) -> bool {
        self.set.load(Ordering::SeqCst)
    }

    /// Sleeps `d`, or less when the flag is raised meanwhile.
    pub fn sleep(&self, d: Duration) {
        let deadline = Instant::now() + d;
        let mut guard = self.lock.lock().expect("not poisoned");
        while !self.is_raised() {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            guard = self
                .wake
                .wait_timeout(guard, deadline - now)
                .expect("not poisoned")
                .0;
        }
    }
}

/// Watches whether a model answers at all: a run gives up when, for `give_up_after`, nothing
/// but failures to reach it came (refused or dropped connections, timeouts, 5xx, a program
/// dying before its first answer), at least [`GIVE_UP_FAILURES`] of them in a row. Any answer or
/// other reply (a 429, a garbled body: the model is there) starts the count again.
#[derive(Debug)]
pub(crate) struct Watch {
    give_up_after: Duration,
    state: Mutex<WatchState>,
}

#[derive(Debug)]
struct WatchState {
    last_success: Option<Instant>,
    /// The last sign of life (an answer or any other reply), or the start.
    last_alive: Instant,
    failures: u32,
    last_error: String,
}

/// What the watch saw when it gave up.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Silence {
    pub last_success: Option<Duration>,
    pub silent: Duration,
    pub failures: u32,
    pub last_error: String,
}

impl Watch {
    pub fn new(give_up_after: Duration, now: Instant) -> Watch {
        Watch {
            give_up_after,
            state: Mutex::new(WatchState {
                last_success: None,
                last_alive: now,
                failures: 0,
                last_error: String::new(),
            }),
        }
    }

    /// An answer came.
    pub fn answered(&self, now: Instant) {
        let mut s = self.state.lock().expect("not poisoned");
        s.last_success = Some(now);
        s.last_alive = now;
        s.failures = 0;
    }

    /// A reply came that is no answer but shows the model is there (a 429, a garbled body).
    pub fn alive(&self, now: Instant) {
        let mut s = self.state.lock().expect("not poisoned");
        s.last_alive = now;
        s.failures = 0;
    }

    /// An attempt failed to reach the model.
    pub fn unreachable(&self, message: &str) {
        let mut s = self.state.lock().expect("not poisoned");
        s.failures += 1;
        s.last_error = message.to_string();
    }

    /// For how long every attempt failed to reach the model, if the last one did.
    pub fn unreachable_for(&self, now: Instant) -> Option<Duration> {
        let s = self.state.lock().expect("not poisoned");
        (s.failures > 0).then(|| now.saturating_duration_since(s.last_alive))
    }

    /// Whether to give up now, and what was seen.
    pub fn verdict(&self, now: Instant) -> Option<Silence> {
        let s = self.state.lock().expect("not poisoned");
        let silent = now.saturating_duration_since(s.last_alive);
        (s.failures >= GIVE_UP_FAILURES && silent >= self.give_up_after).then(|| Silence {
            last_success: s.last_success.map(|t| now.saturating_duration_since(t)),
            silent,
            failures: s.failures,
            last_error: s.last_error.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_watch_gives_up_only_after_the_bound_and_enough_failures_in_a_row() {
        let t0 = Instant::now();
        let s = |n: u64| t0 + Duration::from_secs(n);
        let w = Watch::new(Duration::from_secs(60), t0);
        w.answered(s(1));
        for _ in 0..GIVE_UP_FAILURES - 1 {
            w.unreachable("connection refused");
        }
        // Too few failures, however long the silence.
        assert_eq!(w.verdict(s(500)), None);
        assert_eq!(w.unreachable_for(s(31)), Some(Duration::from_secs(30)));
        w.unreachable("HTTP 503");
        // Enough failures, but not yet silent for the bound.
        assert_eq!(w.verdict(s(60)), None);
        let v = w.verdict(s(61)).expect("gives up");
        assert_eq!(v.failures, GIVE_UP_FAILURES);
        assert_eq!(v.last_success, Some(Duration::from_secs(60)));
        assert_eq!(v.last_error, "HTTP 503");
        // A 429 shows the server is there: the count starts again.
        w.alive(s(62));
        for _ in 0..10 {
            w.unreachable("connection refused");
        }
        assert_eq!(w.verdict(s(121)), None);
        let v = w.verdict(s(122)).expect("gives up");
        assert_eq!(
            (v.silent, v.last_success),
            (Duration::from_secs(60), Some(Duration::from_secs(121)))
        );
        // With no answer at all in the run, the silence counts from the start.
        let w = Watch::new(Duration::from_secs(2), t0);
        for _ in 0..GIVE_UP_FAILURES {
            w.unreachable("x");
        }
        let v = w.verdict(s(2)).unwrap();
        assert_eq!(v.last_success, None);
    }

    #[test]
    fn messages_and_exit_codes() {
        let i = Stop::Signal(2);
        assert_eq!(
            i.message(Some((33, 102))),
            "interrupted: 33 of 102 answered; the same command continues where this stopped"
        );
        assert_eq!((i.exit_code(), Stop::Signal(15).exit_code()), (130, 143));
        let gone = Stop::Gone {
            endpoint: Endpoint::Server("http://127.0.0.1:8000/v1".into()),
            last_success: Some(Duration::from_millis(61_400)),
            silent: Duration::from_secs(61),
            failures: 20,
            last_error: "connection refused".into(),
        };
        assert_eq!(
            gone.message(Some((69, 822))),
            "the server at http://127.0.0.1:8000/v1 stopped answering (last success 61 s ago, 20 failed attempts in a row, the last: connection refused); 69 of 822 answered; the same command continues where this stopped"
        );
        assert_eq!(gone.exit_code(), 75);
        let crash = Stop::Gone {
            endpoint: Endpoint::Program {
                command: "python3 m.py".into(),
                stderr: vec!["Traceback".into(), "ImportError: torch".into()],
            },
            last_success: None,
            silent: Duration::from_secs(3),
            failures: 5,
            last_error: "exit status: 1".into(),
        };
        let m = crash.message(Some((0, 10)));
        assert!(
            m.starts_with(
                "the program `python3 m.py` keeps dying at start (no success in 3 s, 5 starts"
            ),
            "{m}"
        );
        assert!(
            m.ends_with("standard error:\n  | Traceback\n  | ImportError: torch"),
            "{m}"
        );
    }

    #[test]
    fn a_raised_halt_wakes_sleepers_and_interrupts_say_their_signal() {
        let halt = Halt::default();
        let started = Instant::now();
        std::thread::scope(|s| {
            s.spawn(|| halt.sleep(Duration::from_secs(30)));
            std::thread::sleep(Duration::from_millis(50));
            halt.raise();
        });
        assert!(started.elapsed() < Duration::from_secs(5));
        let i = Interrupt::new();
        assert_eq!(i.signal(), None);
        assert!(i.check().is_ok());
        i.clone().trigger(15);
        assert_eq!(i.signal(), Some(15));
        match i.check() {
            Err(Error::Stopped { message, code }) => {
                assert_eq!(
                    (message.as_str(), code),
                    (
                        "interrupted: the same command continues where this stopped",
                        143
                    )
                );
            }
            other => panic!("{other:?}"),
        }
    }
}
