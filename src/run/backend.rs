//! What every model behind `corrcause run` looks like to the runner: a [`Backend`] opens
//! [`Session`]s (one per request in flight), and a session answers one [`Question`] at a time
//! with a [`Reply`] or a [`Failure`] that says whether asking again may help.

use super::stop::Endpoint;
use serde_json::{Map, Value};
use std::time::Duration;

/// One item as put to a model.
#[derive(Clone, Debug)]
pub struct Question {
    pub id: String,
    /// The rendered prompt (shots included): exactly what the model reads.
    pub prompt: String,
    pub premise: String,
    /// The hypothesis of a yes/no item, or the question of a graph item.
    pub hypothesis: String,
    /// The variables of a graph item; `None` for a yes/no item.
    pub variables: Option<Vec<String>>,
}

impl Question {
    /// The request a `cmd:` program reads: `{"id", "prompt", "premise", "hypothesis"}`, or for a
    /// graph item `{"id", "prompt", "premise", "question", "variables"}`.
    pub fn request(&self) -> Value {
        match &self.variables {
            None => {
                serde_json::json!({"id": self.id, "prompt": self.prompt, "premise": self.premise, "hypothesis": self.hypothesis})
            }
            Some(v) => {
                serde_json::json!({"id": self.id, "prompt": self.prompt, "premise": self.premise, "question": self.hypothesis, "variables": v})
            }
        }
    }
}

/// A model's answer to one question.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reply {
    /// The raw text the model wrote.
    pub output: String,
    /// Tokens read and written, when the model reports them.
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    /// Probabilities of the two answers at the first answer token (`--logprobs`): (yes, no).
    pub answer_probabilities: Option<(f64, f64)>,
}

/// Why a question got no answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Failure {
    /// Worth asking again (timeouts, dropped connections, 429, 5xx, a garbled reply);
    /// `retry_after` is the server's own wish, when it said one.
    Transient {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Worth asking again, and a sign that the model as a whole may be gone: a refused or
    /// dropped connection, a timeout, a 5xx, a program that died before its first answer. When
    /// nothing else comes for `--give-up-after`, the run stops (see [`super::stop::Watch`]).
    Unreachable(String),
    /// Asking again cannot help (a refused key, an unknown model, a bad request): the run stops.
    Fatal(String),
}

impl Failure {
    /// A transient failure without a server-given delay.
    pub fn transient(message: impl Into<String>) -> Failure {
        Failure::Transient {
            message: message.into(),
            retry_after: None,
        }
    }

    /// The failure's message.
    pub fn message(&self) -> &str {
        match self {
            Failure::Transient { message, .. }
            | Failure::Unreachable(message)
            | Failure::Fatal(message) => message,
        }
    }
}

/// A kind of model the runner can ask.
pub trait Backend: Sync {
    /// The model spec as the user wrote it (never a secret).
    fn spec(&self) -> &str;
    /// Requests in flight when `--jobs` is not given.
    fn default_jobs(&self) -> usize;
    /// The parameters recorded with every request (model, sampling, endpoint; never a secret).
    fn parameters(&self) -> Map<String, Value>;
    /// What, besides the prompt, decides the answer: the cache key is this and the prompt.
    fn cache_identity(&self) -> String;
    /// A session for one request in flight at a time (a connection, a subprocess).
    fn session(&self) -> Result<Box<dyn Session + '_>, Failure>;
    /// Who the model is, for the message that says it stopped answering (by default its spec).
    fn endpoint(&self) -> Endpoint {
        Endpoint::Server(self.spec().to_string())
    }
    /// Ends the requests in flight at once (the run is stopping): their sessions fail soon
    /// after, and sessions opened before this call answer nothing more. By default nothing.
    fn cancel(&self) {}
}

/// A channel to the model that asks one question at a time.
pub trait Session: Send {
    /// Asks one question.
    fn ask(&mut self, question: &Question) -> Result<Reply, Failure>;
}
