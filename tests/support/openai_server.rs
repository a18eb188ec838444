//! An OpenAI-compatible HTTP server on 127.0.0.1 for the tests and benchmarks of the runner: a
//! real server over TCP (HTTP/1.1 with keep-alive, `/v1/chat/completions` and `/v1/completions`)
//! that answers every prompt deterministically and can inject faults: 500s, 429 with
//! Retry-After, slow responses, truncated bodies, malformed JSON and dropped connections.
//!
//! It can also die mid-run ([`Server::kill`]) and start again on the same port.
//!
//! The answer to a prompt is [`expected`]; faults strike the first attempts of a chosen share of
//! prompts, so every prompt is eventually answered and tests can count what happened.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A fault the server can inject instead of an answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fault {
    /// HTTP 500.
    ServerError,
    /// HTTP 429 with `Retry-After: <seconds>`.
    TooMany { retry_after_s: u64 },
    /// The answer, after this long (beyond the client's timeout).
    Slow(Duration),
    /// Headers promising more body than is sent, then the connection closes.
    Truncated,
    /// HTTP 200 with a body that is not JSON.
    Malformed,
    /// The connection closes without a response.
    Drop,
}

/// What the server does.
#[derive(Clone, Debug, Default)]
pub struct Plan {
    /// Share of prompts (0..=1) whose first attempts fail.
    pub fault_rate: f64,
    /// How many first attempts of such a prompt fail.
    pub failing_attempts: u32,
    /// The faults, chosen per prompt and attempt.
    pub faults: Vec<Fault>,
    /// Delay before every answer.
    pub delay: Duration,
    /// When set, requests without `Authorization: Bearer <key>` get 401.
    pub key: Option<String>,
}

/// What the server saw.
#[derive(Debug, Default)]
pub struct Stats {
    pub requests: AtomicU64,
    /// Answers sent.
    pub answers: AtomicU64,
    /// Faults injected, by kind.
    pub faults: Mutex<HashMap<&'static str, u32>>,
    /// For a prompt that got a 429: when, and the Retry-After it was given.
    pub too_many_at: Mutex<HashMap<String, (Instant, Duration)>>,
    /// Gaps between a 429 and the next attempt of the same prompt, with the Retry-After.
    pub retry_gaps: Mutex<Vec<(Duration, Duration)>>,
    /// The Authorization headers seen.
    pub authorizations: Mutex<Vec<String>>,
    /// Request bodies seen (the last 100).
    pub bodies: Mutex<Vec<Value>>,
}

/// A running server; it stops when dropped.
pub struct Server {
    pub port: u16,
    pub stats: Arc<Stats>,
    stop: Arc<AtomicBool>,
    /// The open connections, so that [`Server::kill`] can cut them.
    connections: Arc<Mutex<Vec<TcpStream>>>,
    accepting: Option<std::thread::JoinHandle<()>>,
}

impl Server {
    /// The base URL clients take: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// Starts a server following `plan` on a free port.
    pub fn start(plan: Plan) -> Server {
        Server::start_on(0, plan)
    }

    /// Starts a server following `plan` on `port` (0: a free one), e.g. again where a killed
    /// one listened.
    pub fn start_on(port: u16, plan: Plan) -> Server {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let stats = Arc::new(Stats::default());
        let stop = Arc::new(AtomicBool::new(false));
        let connections: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let plan = Arc::new(plan);
        let attempts: Arc<Mutex<HashMap<u64, u32>>> = Arc::default();
        let accepting = {
            let (stats, stop, connections) = (stats.clone(), stop.clone(), connections.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    if let Ok(clone) = stream.try_clone() {
                        connections.lock().unwrap().push(clone);
                    }
                    let (plan, stats, attempts, stop) =
                        (plan.clone(), stats.clone(), attempts.clone(), stop.clone());
                    std::thread::spawn(move || serve(stream, &plan, &stats, &attempts, &stop));
                }
            })
        };
        Server {
            port,
            stats,
            stop,
            connections,
            accepting: Some(accepting),
        }
    }

    /// Dies as a crashed server does: stops listening and cuts every open connection, so that
    /// clients meet refused connections from now on. Returns once the port is closed.
    pub fn kill(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accept loop
        if let Some(t) = self.accepting.take() {
            let _ = t.join();
        }
        for c in self.connections.lock().unwrap().drain(..) {
            let _ = c.shutdown(Shutdown::Both);
        }
    }

    /// Faults injected of one kind (`"500"`, `"429"`, `"slow"`, `"truncated"`, `"malformed"`, `"drop"`).
    pub fn faults(&self, kind: &str) -> u32 {
        self.stats
            .faults
            .lock()
            .unwrap()
            .get(kind)
            .copied()
            .unwrap_or(0)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// FNV-1a, for decisions that must not depend on the run.
fn hash(bytes: &[u8], salt: u64) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64 ^ salt.wrapping_mul(0x100_0000_01b3);
    for &b in bytes {
        h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
    }
    h
}

/// The server's answer to a prompt: "Yes" or "No", fixed by the prompt's text.
pub fn expected(prompt: &str) -> &'static str {
    if hash(prompt.as_bytes(), 0).is_multiple_of(3) {
        "Yes"
    } else {
        "No"
    }
}

fn fault_name(f: Fault) -> &'static str {
    match f {
        Fault::ServerError => "500",
        Fault::TooMany { .. } => "429",
        Fault::Slow(_) => "slow",
        Fault::Truncated => "truncated",
        Fault::Malformed => "malformed",
        Fault::Drop => "drop",
    }
}

fn respond(stream: &mut TcpStream, status: &str, headers: &str, body: &str) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{headers}\r\n",
        body.len()
    );
    let mut bytes = head.into_bytes();
    bytes.extend_from_slice(body.as_bytes());
    stream.write_all(&bytes)
}

/// Serves one connection until the client closes it (or a fault does).
fn serve(
    stream: TcpStream,
    plan: &Plan,
    stats: &Stats,
    attempts: &Mutex<HashMap<u64, u32>>,
    stop: &AtomicBool,
) {
    let _ = stream.set_nodelay(true);
    let mut writer = stream.try_clone().expect("a socket clones");
    let mut reader = BufReader::new(stream);
    loop {
        // The request line and headers.
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
        let mut length = 0usize;
        let mut authorization = None;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap_or(0),
                    "authorization" => authorization = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() || stop.load(Ordering::Relaxed) {
            return;
        }
        stats.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(a) = &authorization {
            let mut seen = stats.authorizations.lock().unwrap();
            if seen.len() < 16 {
                seen.push(a.clone());
            }
        }
        if let Some(key) = &plan.key {
            if authorization.as_deref() != Some(&format!("Bearer {key}")) {
                let _ = respond(
                    &mut writer,
                    "401 Unauthorized",
                    "",
                    r#"{"error": {"message": "Incorrect API key"}}"#,
                );
                continue;
            }
        }
        let Ok(request) = serde_json::from_slice::<Value>(&body) else {
            let _ = respond(
                &mut writer,
                "400 Bad Request",
                "",
                r#"{"error": {"message": "not JSON"}}"#,
            );
            continue;
        };
        let chat = path.ends_with("/chat/completions");
        if !chat && !path.ends_with("/completions") {
            let _ = respond(
                &mut writer,
                "404 Not Found",
                "",
                r#"{"error": {"message": "no such endpoint"}}"#,
            );
            continue;
        }
        let prompt = if chat {
            request["messages"]
                .as_array()
                .and_then(|m| m.last())
                .and_then(|m| m["content"].as_str())
        } else {
            request["prompt"].as_str()
        }
        .unwrap_or("")
        .to_string();
        {
            let mut bodies = stats.bodies.lock().unwrap();
            if bodies.len() < 100 {
                bodies.push(request.clone());
            }
        }
        // Which attempt of this prompt is it, and does a fault strike it?
        let h = hash(prompt.as_bytes(), 1);
        let attempt = if plan.faults.is_empty() {
            0
        } else {
            let mut a = attempts.lock().unwrap();
            let n = a.entry(h).or_insert(0);
            *n += 1;
            *n - 1
        };
        if let Some((at, retry_after)) = stats.too_many_at.lock().unwrap().remove(&prompt) {
            stats
                .retry_gaps
                .lock()
                .unwrap()
                .push((at.elapsed(), retry_after));
        }
        let faulty = !plan.faults.is_empty()
            && attempt < plan.failing_attempts
            && (hash(prompt.as_bytes(), 2) % 10_000) < (plan.fault_rate * 10_000.0) as u64;
        let fault = faulty.then(|| {
            plan.faults
                [(hash(prompt.as_bytes(), 3 + attempt as u64) % plan.faults.len() as u64) as usize]
        });
        if let Some(f) = fault {
            *stats
                .faults
                .lock()
                .unwrap()
                .entry(fault_name(f))
                .or_insert(0) += 1;
        }
        match fault {
            Some(Fault::ServerError) => {
                let _ = respond(
                    &mut writer,
                    "500 Internal Server Error",
                    "",
                    r#"{"error": {"message": "overloaded"}}"#,
                );
                continue;
            }
            Some(Fault::TooMany { retry_after_s }) => {
                stats.too_many_at.lock().unwrap().insert(
                    prompt.clone(),
                    (Instant::now(), Duration::from_secs(retry_after_s)),
                );
                let _ = respond(
                    &mut writer,
                    "429 Too Many Requests",
                    &format!("Retry-After: {retry_after_s}\r\n"),
                    r#"{"error": {"message": "rate limited"}}"#,
                );
                continue;
            }
            Some(Fault::Malformed) => {
                let _ = respond(
                    &mut writer,
                    "200 OK",
                    "",
                    r#"{"choices": [{"message": {"content": "Ye"#,
                );
                continue;
            }
            Some(Fault::Truncated) => {
                let body = answer_body(&request, &prompt, chat);
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                    body.len() + 100
                );
                let _ = writer.write_all(head.as_bytes());
                let _ = writer.write_all(&body.as_bytes()[..body.len() / 2]);
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Drop) => {
                let _ = writer.shutdown(Shutdown::Both);
                return;
            }
            Some(Fault::Slow(d)) => std::thread::sleep(d),
            None => {}
        }
        if !plan.delay.is_zero() {
            std::thread::sleep(plan.delay);
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let body = answer_body(&request, &prompt, chat);
        if respond(&mut writer, "200 OK", "", &body).is_err() {
            return;
        }
        stats.answers.fetch_add(1, Ordering::Relaxed);
    }
}

/// A completion answering `prompt`, with usage and (when asked) first-token log-probabilities.
fn answer_body(request: &Value, prompt: &str, chat: bool) -> String {
    let answer = expected(prompt);
    let other = if answer == "Yes" { "No" } else { "Yes" };
    let wants_logprobs = request["logprobs"] == json!(true) || request["logprobs"].is_u64();
    let usage = json!({"prompt_tokens": prompt.len() / 4, "completion_tokens": 1, "total_tokens": prompt.len() / 4 + 1});
    let mut choice = if chat {
        json!({"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": answer}})
    } else {
        json!({"index": 0, "finish_reason": "stop", "text": format!(" {answer}")})
    };
    if wants_logprobs {
        choice["logprobs"] = json!({"content": [{"token": answer, "logprob": -0.2, "top_logprobs": [
            {"token": answer, "logprob": -0.2}, {"token": other, "logprob": -1.9}, {"token": "The", "logprob": -4.0}]}]});
    }
    json!({"id": "cmpl-test", "object": if chat { "chat.completion" } else { "text_completion" },
        "model": request["model"], "choices": [choice], "usage": usage})
    .to_string()
}
