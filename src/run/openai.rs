//! `openai:MODEL@BASE_URL`: any server that speaks the OpenAI HTTP API (vLLM, llama.cpp's server,
//! ollama, hosted APIs), through `BASE_URL/chat/completions` or `BASE_URL/completions`.
//!
//! The API key is read from the environment variable the user names and sent only in the
//! `Authorization` header: it is never part of the recorded parameters, the cache key, an error
//! message or anything written to a file.
//!
//! Each session sends its requests from a thread of its own, so that a run that stops
//! ([`Backend::cancel`]) does not wait for the answers in flight.

use super::backend::{Backend, Failure, Question, Reply, Session};
use super::stop::Endpoint;
use serde_json::{json, Map, Value};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

/// Which endpoint of the API to call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Api {
    /// `/chat/completions`, the prompt as one user message.
    Chat,
    /// `/completions`, the prompt as plain text.
    Completions,
}

/// How answers are forced into the two allowed forms, where the server supports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Constrain {
    /// Free text.
    None,
    /// A GBNF grammar (llama.cpp's `grammar` field): `Yes` or `No`, or the JSON answer object.
    Grammar,
    /// `response_format` with a JSON schema: `{"answer": "yes" | "no"}`.
    JsonSchema,
}

/// The shape of the answer a prompt asks for, which decides the grammar.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AnswerShape {
    /// `Yes` or `No`.
    Word,
    /// `{"answer": "yes"}` or `{"answer": "no"}`.
    Json,
}

/// Everything a request carries besides the prompt.
#[derive(Clone, Debug)]
pub struct Settings {
    pub api: Api,
    pub system: Option<String>,
    pub temperature: f64,
    pub max_tokens: Option<u32>,
    pub seed: Option<u64>,
    pub stop: Vec<String>,
    pub constrain: Constrain,
    pub shape: AnswerShape,
    pub logprobs: bool,
}

/// How many alternatives to ask for at each token with `--logprobs`.
const TOP_LOGPROBS: u32 = 10;

impl Settings {
    /// The JSON body of the request for `prompt` to `model`.
    pub fn body(&self, model: &str, prompt: &str) -> Value {
        let mut body = Map::new();
        body.insert("model".into(), json!(model));
        match self.api {
            Api::Chat => {
                let mut messages = Vec::new();
                if let Some(system) = &self.system {
                    messages.push(json!({"role": "system", "content": system}));
                }
                messages.push(json!({"role": "user", "content": prompt}));
                body.insert("messages".into(), Value::Array(messages));
            }
            Api::Completions => {
                let text = match &self.system {
                    Some(system) => format!("{system}\n\n{prompt}"),
                    None => prompt.to_string(),
                };
                body.insert("prompt".into(), json!(text));
            }
        }
        body.insert("temperature".into(), json!(self.temperature));
        if let Some(n) = self.max_tokens {
            body.insert("max_tokens".into(), json!(n));
        }
        if let Some(seed) = self.seed {
            body.insert("seed".into(), json!(seed));
        }
        if !self.stop.is_empty() {
            body.insert("stop".into(), json!(self.stop));
        }
        if self.logprobs {
            match self.api {
                Api::Chat => {
                    body.insert("logprobs".into(), json!(true));
                    body.insert("top_logprobs".into(), json!(TOP_LOGPROBS));
                }
                Api::Completions => {
                    body.insert("logprobs".into(), json!(TOP_LOGPROBS));
                }
            }
        }
        match (self.constrain, self.shape) {
            (Constrain::None, _) => {}
            (Constrain::Grammar, AnswerShape::Word) => {
                body.insert("grammar".into(), json!("root ::= \"Yes\" | \"No\"\n"));
            }
            (Constrain::Grammar, AnswerShape::Json) => {
                body.insert(
                    "grammar".into(),
                    json!("root ::= \"{\\\"answer\\\": \\\"\" (\"yes\" | \"no\") \"\\\"}\"\n"),
                );
            }
            (Constrain::JsonSchema, _) => {
                body.insert(
                    "response_format".into(),
                    json!({"type": "json_schema", "json_schema": {"name": "answer", "strict": true, "schema": {
                        "type": "object",
                        "properties": {"answer": {"type": "string", "enum": ["yes", "no"]}},
                        "required": ["answer"],
                        "additionalProperties": false
                    }}}),
                );
            }
        }
        body.insert("stream".into(), json!(false));
        Value::Object(body)
    }
}

/// Reads a chat or text completion response body: the text, the token counts and, when the
/// response carries log-probabilities, those of the two answers. Errors say what is missing.
pub fn read_completion(body: &Value) -> Result<Reply, String> {
    let choice = body
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or("the response has no `choices[0]`")?;
    let output = choice
        .pointer("/message/content")
        .or_else(|| choice.get("text"))
        .and_then(Value::as_str)
        .ok_or("`choices[0]` has neither `message.content` nor `text`")?
        .to_string();
    let usage = |field: &str| {
        body.get("usage")
            .and_then(|u| u.get(field))
            .and_then(Value::as_u64)
    };
    Ok(Reply {
        output,
        prompt_tokens: usage("prompt_tokens"),
        completion_tokens: usage("completion_tokens"),
        answer_probabilities: choice.get("logprobs").and_then(answer_probabilities),
    })
}

/// Which answer a token spells, if any: `Yes`/`yes`/` Yes` and `No`/`no`/` No`.
fn answer_token(token: &str) -> Option<bool> {
    match token.trim().trim_matches('"').to_ascii_lowercase().as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// The probabilities of yes and no at the first position whose alternatives include either,
/// from the chat form (`content[i].top_logprobs[j] = {token, logprob}`) or the legacy completions
/// form (`top_logprobs[i] = {token: logprob}`).
fn answer_probabilities(logprobs: &Value) -> Option<(f64, f64)> {
    let positions: Vec<Vec<(String, f64)>> =
        if let Some(content) = logprobs.get("content").and_then(Value::as_array) {
            content
                .iter()
                .map(|position| {
                    let mut alternatives: Vec<(String, f64)> = position
                        .get("top_logprobs")
                        .and_then(Value::as_array)
                        .map(|top| {
                            top.iter()
                                .filter_map(|t| {
                                    Some((
                                        t.get("token")?.as_str()?.to_string(),
                                        t.get("logprob")?.as_f64()?,
                                    ))
                                })
                                .collect()
                        })
                        .unwrap_or_default();
                    if let (Some(t), Some(lp)) = (
                        position.get("token").and_then(Value::as_str),
                        position.get("logprob").and_then(Value::as_f64),
                    ) {
                        if !alternatives.iter().any(|(a, _)| a == t) {
                            alternatives.push((t.to_string(), lp));
                        }
                    }
                    alternatives
                })
                .collect()
        } else {
            logprobs
                .get("top_logprobs")
                .and_then(Value::as_array)?
                .iter()
                .map(|position| {
                    position
                        .as_object()
                        .map(|m| {
                            m.iter()
                                .filter_map(|(t, lp)| Some((t.clone(), lp.as_f64()?)))
                                .collect()
                        })
                        .unwrap_or_default()
                })
                .collect()
        };
    positions.into_iter().find_map(|alternatives| {
        let (mut yes, mut no, mut any) = (0.0, 0.0, false);
        for (token, logprob) in alternatives {
            match answer_token(&token) {
                Some(true) => (yes, any) = (yes + logprob.exp(), true),
                Some(false) => (no, any) = (no + logprob.exp(), true),
                None => {}
            }
        }
        any.then_some((yes, no))
    })
}

/// An OpenAI-compatible model.
pub struct OpenAi {
    spec: String,
    model: String,
    base_url: String,
    settings: Settings,
    client: Client,
    /// Raised by [`Backend::cancel`]: sessions opened before answer nothing more.
    epoch: AtomicU64,
}

/// What sends a request, owned so that a session's thread can hold it.
#[derive(Clone)]
struct Client {
    agent: ureq::Agent,
    url: String,
    /// `Bearer <key>`, from the environment; never printed or written.
    authorization: Option<String>,
    /// Whether any response ever came back: until then a refused connection is a wrong
    /// address, not a passing fault.
    reached: Arc<AtomicBool>,
}

impl std::fmt::Debug for OpenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAi")
            .field("spec", &self.spec)
            .field("settings", &self.settings)
            .field(
                "authorization",
                &self.client.authorization.as_ref().map(|_| "<hidden>"),
            )
            .finish()
    }
}

/// Splits `openai:MODEL@BASE_URL` into the model name and the base URL (without a trailing `/`).
pub fn parse_spec(spec: &str) -> Result<(String, String), String> {
    let rest = spec
        .strip_prefix("openai:")
        .ok_or_else(|| format!("{spec:?} is not an openai: model"))?;
    let at = rest.rfind("@http").ok_or_else(|| {
        format!("{spec:?}: write openai:MODEL@BASE_URL, e.g. openai:gpt-4o-mini@https://api.openai.com/v1")
    })?;
    let (model, url) = (&rest[..at], &rest[at + 1..]);
    if model.is_empty() {
        return Err(format!("{spec:?}: the model name is empty"));
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) || url.len() < 9 {
        return Err(format!("{spec:?}: {url:?} is not an http(s) URL"));
    }
    Ok((model.to_string(), url.trim_end_matches('/').to_string()))
}

impl OpenAi {
    /// A model for `openai:MODEL@BASE_URL`; `api_key` is sent as a bearer token.
    pub fn new(
        spec: &str,
        settings: Settings,
        api_key: Option<String>,
        timeout: Duration,
    ) -> Result<OpenAi, String> {
        let (model, base_url) = parse_spec(spec)?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(timeout))
            .max_idle_connections_per_host(1024)
            .max_idle_connections(1024)
            .user_agent(concat!("corrcause/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        let url = match settings.api {
            Api::Chat => format!("{base_url}/chat/completions"),
            Api::Completions => format!("{base_url}/completions"),
        };
        Ok(OpenAi {
            spec: spec.to_string(),
            model,
            base_url,
            settings,
            client: Client {
                agent,
                url,
                authorization: api_key.map(|k| format!("Bearer {k}")),
                reached: Arc::new(AtomicBool::new(false)),
            },
            epoch: AtomicU64::new(0),
        })
    }

    /// The endpoint's URL.
    pub fn url(&self) -> String {
        self.client.url.clone()
    }
}

impl Client {
    fn url(&self) -> &str {
        &self.url
    }

    fn post(&self, body: &Value) -> Result<Reply, Failure> {
        let mut request = self.agent.post(self.url()).content_type("application/json");
        if let Some(auth) = &self.authorization {
            request = request.header("Authorization", auth);
        }
        let sent = request.send(serde_json::to_vec(body).expect("a body serialises"));
        let mut response = match sent {
            Ok(r) => r,
            Err(e) => return Err(self.connection_failure(e)),
        };
        self.reached.store(true, Ordering::Relaxed);
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        let text = response
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()
            .map_err(|e| Failure::Unreachable(format!("reading the response: {e}")))?;
        let snippet = || text.chars().take(300).collect::<String>();
        match status {
            200..=299 => {}
            408 | 409 | 425 | 429 => {
                return Err(Failure::Transient {
                    message: format!("HTTP {status}: {}", snippet()),
                    retry_after,
                })
            }
            500..=599 => {
                return Err(Failure::Unreachable(format!(
                    "HTTP {status}: {}",
                    snippet()
                )))
            }
            401 | 403 => {
                return Err(Failure::Fatal(format!(
                    "HTTP {status} from {}: the server refused the credentials (is the key's variable, given by --api-key-env, set?): {}",
                    self.url(),
                    snippet()
                )))
            }
            _ => {
                return Err(Failure::Fatal(format!(
                    "HTTP {status} from {}: {}",
                    self.url(),
                    snippet()
                )))
            }
        }
        let value: Value = serde_json::from_str(&text).map_err(|e| {
            Failure::transient(format!("the response is not JSON ({e}): {}", snippet()))
        })?;
        read_completion(&value).map_err(|e| Failure::transient(format!("{e}: {}", snippet())))
    }

    fn connection_failure(&self, e: ureq::Error) -> Failure {
        use ureq::Error as E;
        // Refused or unresolvable before any response ever came: a wrong address. A connection
        // that breaks once made is a passing fault.
        let unreachable = match &e {
            E::ConnectionFailed | E::HostNotFound => true,
            E::Io(io) => io.kind() == std::io::ErrorKind::ConnectionRefused,
            _ => false,
        };
        if unreachable && !self.reached.load(Ordering::Relaxed) {
            return Failure::Fatal(format!(
                "cannot reach {}: {e} (is the server running at that address?)",
                self.url()
            ));
        }
        match e {
            E::BadUri(_) | E::Http(_) | E::Tls(_) | E::InvalidProxyUrl | E::BodyExceedsLimit(_) => {
                Failure::Fatal(format!("{}: {e}", self.url()))
            }
            e => Failure::Unreachable(format!("{e}")),
        }
    }
}

/// `Retry-After` in seconds (integer or decimal); HTTP dates fall back to the backoff.
fn parse_retry_after(value: &str) -> Option<Duration> {
    let seconds: f64 = value.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(3600.0)))
}

impl Backend for OpenAi {
    fn spec(&self) -> &str {
        &self.spec
    }

    fn default_jobs(&self) -> usize {
        8
    }

    fn parameters(&self) -> Map<String, Value> {
        let mut p = match self.settings.body(&self.model, "") {
            Value::Object(m) => m,
            _ => unreachable!("a body is an object"),
        };
        p.remove("messages");
        p.remove("prompt");
        if let Some(system) = &self.settings.system {
            p.insert("system".into(), json!(system));
        }
        p.insert("url".into(), json!(self.url()));
        p
    }

    fn cache_identity(&self) -> String {
        // The request body without its prompt, and the endpoint kind; not the host, so the same
        // model served at another address reuses answers.
        let mut p = self.parameters();
        p.remove("url");
        p.insert("api".into(), json!(format!("{:?}", self.settings.api)));
        Value::Object(p).to_string()
    }

    fn session(&self) -> Result<Box<dyn Session + '_>, Failure> {
        Ok(Box::new(OpenAiSession {
            model: self,
            epoch: self.epoch.load(Ordering::SeqCst),
            sender: None,
        }))
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint::Server(self.base_url.clone())
    }

    fn cancel(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }
}

/// Requests share the agent's connection pool; a session sends them from a thread of its own
/// and waits for the reply, or for [`Backend::cancel`], whichever comes first.
struct OpenAiSession<'a> {
    model: &'a OpenAi,
    /// The model's epoch when the session opened.
    epoch: u64,
    /// Its thread, once started.
    sender: Option<Sender>,
}

/// A session's thread: a body in, the reply out.
struct Sender {
    bodies: mpsc::Sender<Value>,
    replies: mpsc::Receiver<Result<Reply, Failure>>,
}

impl OpenAiSession<'_> {
    fn cancelled(&self) -> bool {
        self.model.epoch.load(Ordering::SeqCst) != self.epoch
    }
}

impl Session for OpenAiSession<'_> {
    fn ask(&mut self, question: &Question) -> Result<Reply, Failure> {
        let stopped = || Failure::transient("the run stopped before the answer came");
        if self.cancelled() {
            return Err(stopped());
        }
        let body = self
            .model
            .settings
            .body(&self.model.model, &question.prompt);
        let Sender { bodies, replies } = self.sender.get_or_insert_with(|| {
            let (body_tx, body_rx) = mpsc::channel::<Value>();
            let (reply_tx, reply_rx) = mpsc::channel();
            let client = self.model.client.clone();
            // Ends when the session drops its sender; one cancelled mid-request ends after it.
            std::thread::spawn(move || {
                for body in body_rx {
                    if reply_tx.send(client.post(&body)).is_err() {
                        break;
                    }
                }
            });
            Sender {
                bodies: body_tx,
                replies: reply_rx,
            }
        });
        let (model, epoch) = (self.model, self.epoch);
        let failure = if bodies.send(body).is_err() {
            Failure::transient("the request thread ended")
        } else {
            loop {
                match replies.recv_timeout(Duration::from_millis(20)) {
                    Ok(reply) => return reply,
                    Err(mpsc::RecvTimeoutError::Timeout) => {
                        if model.epoch.load(Ordering::SeqCst) != epoch {
                            break stopped();
                        }
                    }
                    Err(mpsc::RecvTimeoutError::Disconnected) => {
                        break Failure::transient("the request thread ended");
                    }
                }
            }
        };
        // A thread cancelled mid-request is left to finish it alone.
        self.sender = None;
        Err(failure)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(api: Api) -> Settings {
        Settings {
            api,
            system: Some("Be brief.".into()),
            temperature: 0.0,
            max_tokens: Some(8),
            seed: Some(3),
            stop: vec!["\n".into()],
            constrain: Constrain::Grammar,
            shape: AnswerShape::Word,
            logprobs: true,
        }
    }

    #[test]
    fn specs_split_at_the_url() {
        assert_eq!(
            parse_spec("openai:org/m@v2@http://127.0.0.1:8080/v1/").unwrap(),
            (
                "org/m@v2".to_string(),
                "http://127.0.0.1:8080/v1".to_string()
            )
        );
        assert!(parse_spec("openai:gpt-4o").is_err());
        assert!(parse_spec("openai:@https://x.org/v1").is_err());
    }

    #[test]
    fn bodies_carry_every_setting() {
        let chat = settings(Api::Chat).body("m", "Q?");
        assert_eq!(chat["messages"][0]["content"], "Be brief.");
        assert_eq!(chat["messages"][1]["content"], "Q?");
        assert_eq!(chat["max_tokens"], 8);
        assert_eq!(chat["seed"], 3);
        assert_eq!(chat["stop"][0], "\n");
        assert_eq!(chat["logprobs"], true);
        assert_eq!(chat["grammar"], "root ::= \"Yes\" | \"No\"\n");
        let text = settings(Api::Completions).body("m", "Q?");
        assert_eq!(text["prompt"], "Be brief.\n\nQ?");
        assert_eq!(text["logprobs"], TOP_LOGPROBS);
        let mut s = settings(Api::Chat);
        s.constrain = Constrain::JsonSchema;
        let schema = s.body("m", "Q?");
        assert_eq!(
            schema["response_format"]["json_schema"]["schema"]["properties"]["answer"]["enum"],
            json!(["yes", "no"])
        );
    }

    #[test]
    fn reads_both_response_forms_and_their_logprobs() {
        let chat = json!({"choices": [{"message": {"content": "No"}, "logprobs": {"content": [
            {"token": "No", "logprob": -1.0, "top_logprobs": [
                {"token": "No", "logprob": -1.0}, {"token": " Yes", "logprob": -2.0}, {"token": "no", "logprob": -3.0}]}]}}],
            "usage": {"prompt_tokens": 250, "completion_tokens": 1}});
        let r = read_completion(&chat).unwrap();
        assert_eq!(r.output, "No");
        assert_eq!((r.prompt_tokens, r.completion_tokens), (Some(250), Some(1)));
        let (yes, no) = r.answer_probabilities.unwrap();
        assert!((yes - (-2.0f64).exp()).abs() < 1e-12);
        assert!((no - ((-1.0f64).exp() + (-3.0f64).exp())).abs() < 1e-12);
        // The legacy form, where the answer is the second token.
        let text = json!({"choices": [{"text": "{\"answer\": \"yes\"}", "logprobs": {"top_logprobs": [
            {"{": -0.1}, {"yes": -0.5, "no": -0.7}]}}]});
        let r = read_completion(&text).unwrap();
        assert_eq!(r.prompt_tokens, None);
        let (yes, no) = r.answer_probabilities.unwrap();
        assert!(yes > no);
        assert!(read_completion(&json!({"choices": []})).is_err());
        assert!(read_completion(&json!({"choices": [{"message": {}}]})).is_err());
    }

    #[test]
    fn the_key_stays_out_of_everything_recorded() {
        let m = OpenAi::new(
            "openai:m@http://127.0.0.1:9/v1",
            settings(Api::Chat),
            Some("sk-secret".into()),
            Duration::from_secs(1),
        )
        .unwrap();
        let recorded = format!(
            "{:?} {} {}",
            m,
            Value::Object(m.parameters()),
            m.cache_identity()
        );
        assert!(!recorded.contains("sk-secret"), "{recorded}");
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("0.25"), Some(Duration::from_millis(250)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }
}
