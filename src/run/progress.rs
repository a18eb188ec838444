//! Progress of a run, told as it goes: a bar on a terminal (done, rate, ETA, retries, failures,
//! tokens), plain periodic lines otherwise (logs of batch jobs), or nothing.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// How progress is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Display {
    /// A redrawn bar on standard error.
    Bar,
    /// One line on standard error every so often.
    Lines(Duration),
    /// Nothing.
    Quiet,
}

impl Display {
    /// A bar when standard error is a terminal, else a line every 10 s.
    pub fn auto() -> Display {
        if std::io::stderr().is_terminal() {
            Display::Bar
        } else {
            Display::Lines(Duration::from_secs(10))
        }
    }
}

/// The counters of a run, shared by its threads.
#[derive(Debug, Default)]
pub struct Counters {
    /// Items with an answer (from the journal, the cache or the model).
    pub done: AtomicU64,
    /// Of those, answered in this run by the model or the cache (the rate counts only these).
    pub answered_now: AtomicU64,
    pub retries: AtomicU64,
    pub failed: AtomicU64,
    pub tokens: AtomicU64,
    /// Seconds for which every attempt failed to reach the model (0: it answers).
    pub unreachable_s: AtomicU64,
    /// When the run gives up on a model that does not answer, in seconds.
    pub give_up_s: AtomicU64,
}

/// A running progress display; [`Progress::finish`] stops it.
pub struct Progress {
    pub counters: Arc<Counters>,
    stop: Arc<(Mutex<bool>, Condvar)>,
    thread: Option<std::thread::JoinHandle<()>>,
}

fn duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m{:02}s", s / 60, s % 60),
        _ => format!("{}h{:02}m", s / 3600, (s % 3600) / 60),
    }
}

/// One line of state: `120/500 (24%), 38.2/s, ETA 10s, 3 retries, 0 failed, 30k tokens`, and
/// while the model does not answer, for how long and when the run gives up.
fn line(c: &Counters, total: u64, started: Instant) -> String {
    let done = c.done.load(Ordering::Relaxed);
    let now = c.answered_now.load(Ordering::Relaxed);
    let rate = now as f64 / started.elapsed().as_secs_f64().max(1e-3);
    let eta = if rate > 0.0 && total > done {
        duration((total - done) as f64 / rate)
    } else {
        "-".into()
    };
    let percent = if total == 0 {
        100.0
    } else {
        100.0 * done as f64 / total as f64
    };
    let mut line = format!(
        "{done}/{total} ({percent:.0}%), {rate:.1}/s, ETA {eta}, {} retries, {} failed, {} tokens",
        c.retries.load(Ordering::Relaxed),
        c.failed.load(Ordering::Relaxed),
        c.tokens.load(Ordering::Relaxed)
    );
    let unreachable = c.unreachable_s.load(Ordering::Relaxed);
    if unreachable > 0 {
        line.push_str(&format!(
            ", the model unreachable for {} (gives up at {})",
            duration(unreachable as f64),
            duration(c.give_up_s.load(Ordering::Relaxed) as f64)
        ));
    }
    line
}

impl Progress {
    /// Starts showing the progress of `name` over `total` items.
    pub fn start(name: &str, total: u64, display: Display) -> Progress {
        let counters = Arc::new(Counters::default());
        let stop = Arc::new((Mutex::new(false), Condvar::new()));
        let (c, s, name) = (counters.clone(), stop.clone(), name.to_string());
        let started = Instant::now();
        let thread = match display {
            Display::Quiet => None,
            Display::Bar => Some(std::thread::spawn(move || {
                let bar = indicatif::ProgressBar::new(total);
                bar.set_style(
                    indicatif::ProgressStyle::with_template("{prefix} [{bar:30}] {msg}")
                        .expect("a valid template")
                        .progress_chars("=> "),
                );
                bar.set_prefix(name);
                let (lock, cv) = &*s;
                let mut stopped = lock.lock().expect("not poisoned");
                loop {
                    bar.set_position(c.done.load(Ordering::Relaxed));
                    bar.set_message(line(&c, total, started));
                    if *stopped {
                        break;
                    }
                    stopped = cv
                        .wait_timeout(stopped, Duration::from_millis(200))
                        .expect("not poisoned")
                        .0;
                }
                bar.finish();
            })),
            Display::Lines(every) => Some(std::thread::spawn(move || {
                let (lock, cv) = &*s;
                let mut stopped = lock.lock().expect("not poisoned");
                loop {
                    if !*stopped {
                        stopped = cv.wait_timeout(stopped, every).expect("not poisoned").0;
                    }
                    eprintln!("{name}: {}", line(&c, total, started));
                    if *stopped {
                        break;
                    }
                }
            })),
        };
        Progress {
            counters,
            stop,
            thread,
        }
    }

    /// Stops the display after showing the final state.
    pub fn finish(mut self) {
        self.halt();
    }

    /// Tells the display to show the final state and stop, and waits for it (once).
    fn halt(&mut self) {
        *self.stop.0.lock().expect("not poisoned") = true;
        self.stop.1.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.halt();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_say_done_rate_eta_and_trouble() {
        let c = Counters::default();
        c.done.store(50, Ordering::Relaxed);
        c.answered_now.store(40, Ordering::Relaxed);
        c.retries.store(3, Ordering::Relaxed);
        c.tokens.store(1234, Ordering::Relaxed);
        let text = line(&c, 200, Instant::now() - Duration::from_secs(4));
        assert!(
            text.starts_with("50/200 (25%), 10.0/s, ETA 15s, 3 retries, 0 failed, 1234 tokens"),
            "{text}"
        );
        c.unreachable_s.store(12, Ordering::Relaxed);
        c.give_up_s.store(60, Ordering::Relaxed);
        assert!(
            line(&c, 200, Instant::now())
                .ends_with("tokens, the model unreachable for 12s (gives up at 1m00s)"),
            "{}",
            line(&c, 200, Instant::now())
        );
        assert_eq!(duration(75.0), "1m15s");
        assert_eq!(duration(7300.0), "2h01m");
    }
}
