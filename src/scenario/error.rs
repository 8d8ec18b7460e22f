//! Input errors: file, line, column, what is wrong and what to do, with a source snippet.

use miette::{Diagnostic, NamedSource, SourceSpan};
use std::fmt;
use std::sync::Arc;

/// Why a scenario could not be loaded. Every variant means exit code 2 and nothing written.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(Box<InputError>),
    /// Several errors, in file order (each document's first).
    #[error("{} errors in the input", .0.len())]
    Many(#[related] Vec<InputError>),
}

impl LoadError {
    /// One error as itself, several as `Many`.
    pub fn many(mut errors: Vec<InputError>) -> LoadError {
        if errors.len() == 1 { LoadError::Input(Box::new(errors.remove(0))) } else { LoadError::Many(errors) }
    }

    /// Every input error it holds.
    pub fn input_errors(&self) -> Vec<&InputError> {
        match self {
            LoadError::Io { .. } => Vec::new(),
            LoadError::Input(e) => vec![e],
            LoadError::Many(v) => v.iter().collect(),
        }
    }
}

impl From<InputError> for LoadError {
    fn from(e: InputError) -> Self {
        LoadError::Input(Box::new(e))
    }
}

impl From<Box<InputError>> for LoadError {
    fn from(e: Box<InputError>) -> Self {
        LoadError::Input(e)
    }
}

/// A problem at a place in an input file.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub struct InputError {
    pub file: String,
    /// 1-based; 0 when the problem has no single place (e.g. an empty file).
    pub line: usize,
    pub column: usize,
    pub message: String,
    #[help]
    pub help: Option<String>,
    #[source_code]
    pub src: NamedSource<Arc<String>>,
    #[label("{label}")]
    pub span: Option<SourceSpan>,
    pub label: String,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "{}:{}:{}: {}", self.file, self.line, self.column, self.message)
        } else {
            write!(f, "{}: {}", self.file, self.message)
        }
    }
}

/// The text of one input file, for building errors that point into it.
#[derive(Clone)]
pub struct SourceFile {
    pub name: String,
    pub text: Arc<String>,
}

impl SourceFile {
    pub fn error(&self, line: usize, column: usize, message: impl Into<String>, help: Option<String>) -> InputError {
        let message = message.into();
        let span = (line > 0).then(|| {
            let off = self.offset(line, column);
            let len = self.text[off..].chars().next().map_or(0, |c| c.len_utf8());
            SourceSpan::from((off, len))
        });
        InputError {
            file: self.name.clone(),
            line,
            column,
            label: short_label(&message),
            message,
            help,
            src: NamedSource::new(self.name.clone(), self.text.clone()),
            span,
        }
    }

    /// Byte offset of a 1-based (line, column in characters).
    fn offset(&self, line: usize, column: usize) -> usize {
        let mut off = 0;
        for (i, l) in self.text.split_inclusive('\n').enumerate() {
            if i + 1 == line {
                let col: usize = l.chars().take(column.saturating_sub(1)).map(|c| c.len_utf8()).sum();
                return (off + col).min(self.text.len());
            }
            off += l.len();
        }
        self.text.len()
    }
}

fn short_label(msg: &str) -> String {
    let m = msg.split(", expected").next().unwrap_or(msg);
    if m.len() > 60 {
        format!("{}...", &m[..m.char_indices().nth(57).map_or(m.len(), |(i, _)| i)])
    } else {
        m.to_string()
    }
}

/// "did you mean `replicas`?" for an unknown field or variant in a serde message.
pub fn suggestion(message: &str) -> Option<String> {
    let start = message
        .find("unknown field `")
        .map(|i| i + 15)
        .or_else(|| message.find("unknown variant `").map(|i| i + 17))?;
    let rest = &message[start..];
    let name = &rest[..rest.find('`')?];
    let expected = rest.split_once("expected ").map(|x| x.1)?;
    let expected = expected.strip_prefix("one of ").unwrap_or(expected);
    let best = expected
        .split([',', ' '])
        .map(|c| c.trim().trim_matches('`'))
        .filter(|c| !c.is_empty() && *c != "or")
        .map(|c| (levenshtein(&name.to_lowercase(), &c.to_lowercase()), c))
        .min()?;
    let limit = (name.len() / 3).max(2);
    (best.0 <= limit).then(|| format!("did you mean `{}`?", best.1))
}

pub fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb)).min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names() {
        assert_eq!(
            suggestion("unknown field `replica`, expected one of `replicas`, `selector`, `template`").as_deref(),
            Some("did you mean `replicas`?")
        );
        assert_eq!(
            suggestion("unknown field `replica`, expected one of replicas, selector").as_deref(),
            Some("did you mean `replicas`?")
        );
        assert_eq!(suggestion("unknown field `zzzzzz`, expected one of `replicas`, `selector`"), None);
        assert_eq!(
            suggestion("unknown variant `pod-kil`, expected one of `pod-kill`, `node-crash`").as_deref(),
            Some("did you mean `pod-kill`?")
        );
    }

    #[test]
    fn error_points_at_line_and_column() {
        let f = SourceFile { name: "a.yaml".into(), text: Arc::new("ab\ncd: x\n".into()) };
        let e = f.error(2, 5, "bad", None);
        assert_eq!(e.to_string(), "a.yaml:2:5: bad");
        assert_eq!(e.span.unwrap().offset(), 7);
    }
}
