//! The errors a user of the `corrcause` tool can see, each saying what to fix.

use std::fmt;
use std::path::PathBuf;

/// Where a piece of input came from: a file or standard input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Stdin,
    File(PathBuf),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("<stdin>"),
            Source::File(p) => write!(f, "{}", p.display()),
        }
    }
}

/// Every error the tool reports; `main` prints it and exits non-zero.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A line of input is malformed; names the source, the line (from 1) and the field.
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Input {
        file: Source,
        line: usize,
        field: Option<String>,
        message: String,
    },
    /// A model could not be asked: it refused (a key, a model name) or misbehaved.
    #[error("{model}: {message}")]
    Model { model: String, message: String },
    /// Options that cannot be honoured as given.
    #[error("{0}")]
    Usage(String),
    /// A run stopped before its end (a signal, a model gone): the message says why and how to
    /// go on, and the process exits with `code`.
    #[error("{message}")]
    Stopped { message: String, code: i32 },
}

impl Error {
    /// An I/O error on `path`.
    pub fn io(path: impl fmt::Display, source: std::io::Error) -> Error {
        Error::Io {
            path: path.to_string(),
            source,
        }
    }

    /// A malformed input line.
    pub fn input(
        source: &Source,
        line: usize,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Error {
        Error::Input {
            file: source.clone(),
            line,
            field: field.map(str::to_string),
            message: message.into(),
        }
    }
}

/// Results of the tool's operations.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_errors_name_file_line_and_field() {
        let e = Error::input(
            &Source::File("g.jsonl".into()),
            3,
            Some("edges"),
            "expected a list",
        );
        assert_eq!(e.to_string(), "g.jsonl:3: field `edges`: expected a list");
        let e = Error::input(&Source::Stdin, 1, None, "not JSON");
        assert_eq!(e.to_string(), "<stdin>:1: not JSON");
    }
}
