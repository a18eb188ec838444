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
    /// A file or folder could not be read or written: what was being done, on which path, and
    /// the operating system's reason (`writing out/x/predictions.jsonl: No space left on device`).
    #[error("{action} {path}: {source}")]
    Io {
        /// What was being done: `reading`, `writing`, `creating folder`, ...
        action: &'static str,
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
    /// Another process holds the output lock of what this command would write.
    #[error("another corrcause {holder} (pid {pid}) is writing {path}; wait for it, or give another {flag}", pid = pid.map_or_else(|| "unknown".to_string(), |p| p.to_string()))]
    Locked {
        /// The command holding the lock (`run`, `generate`, `merge`, `import batch`).
        holder: String,
        /// Its process id, when the lock file says.
        pid: Option<u32>,
        /// The folder or file locked.
        path: String,
        /// The option that names another output (`--out`, `-o`).
        flag: &'static str,
    },
    /// Options that cannot be honoured as given.
    #[error("{0}")]
    Usage(String),
    /// A run stopped before its end (a signal, a model gone): the message says why and how to
    /// go on, and the process exits with `code`.
    #[error("{message}")]
    Stopped { message: String, code: i32 },
}

impl Error {
    /// An I/O error on `path` while doing `action` (`reading`, `writing`, `creating folder`).
    pub fn io_at(action: &'static str, path: impl fmt::Display, source: std::io::Error) -> Error {
        Error::Io {
            action,
            path: path.to_string(),
            source,
        }
    }

    /// An error reading `path`.
    pub fn reading(path: impl fmt::Display, source: std::io::Error) -> Error {
        Error::io_at("reading", path, source)
    }

    /// An error writing `path`.
    pub fn writing(path: impl fmt::Display, source: std::io::Error) -> Error {
        Error::io_at("writing", path, source)
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
            message: shortened(message.into()),
        }
    }

    /// This error with its line moved `lines` further into the file: an [`Error::Input`] found
    /// in a part of a file, numbered within that part, renumbered in the whole file.
    pub fn after_lines(self, lines: usize) -> Error {
        match self {
            Error::Input {
                file,
                line,
                field,
                message,
            } => Error::Input {
                file,
                line: line + lines,
                field,
                message,
            },
            other => other,
        }
    }
}

/// The longest message an input error shows; longer ones (quoting a 10 MB line, say) are cut.
const MAX_MESSAGE: usize = 400;

/// `message`, cut to [`MAX_MESSAGE`] bytes (at a character boundary) with the length it had.
fn shortened(mut message: String) -> String {
    if message.len() <= MAX_MESSAGE {
        return message;
    }
    let total = message.len();
    let mut end = MAX_MESSAGE;
    while !message.is_char_boundary(end) {
        end -= 1;
    }
    message.truncate(end);
    message.push_str(&format!("... ({total} bytes in all)"));
    message
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
        // A message quoting a huge input is cut, at a character boundary.
        let e = Error::input(&Source::Stdin, 2, Some("id"), "é".repeat(5_000_000));
        let shown = e.to_string();
        assert!(shown.len() < 500, "{}", shown.len());
        assert!(shown.ends_with("... (10000000 bytes in all)"), "{shown}");
    }
}
