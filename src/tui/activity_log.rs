//! The log pane: what the wizard did, newest last, without timestamps so that a rendering is a
//! pure function of state.

/// How a log line reads: a plain notice, something done, or something that failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogKind {
    Info,
    Done,
    Failed,
}

impl LogKind {
    pub fn symbol(self) -> &'static str {
        match self {
            LogKind::Info => "·",
            LogKind::Done => "✓",
            LogKind::Failed => "✗",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub kind: LogKind,
    pub text: String,
}

/// The last lines of the session; older ones are dropped.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActivityLog {
    lines: Vec<LogLine>,
}

impl ActivityLog {
    const KEPT: usize = 200;

    pub fn push(&mut self, kind: LogKind, text: impl Into<String>) {
        if self.lines.len() == Self::KEPT {
            self.lines.remove(0);
        }
        self.lines.push(LogLine {
            kind,
            text: text.into(),
        });
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.push(LogKind::Info, text);
    }

    pub fn done(&mut self, text: impl Into<String>) {
        self.push(LogKind::Done, text);
    }

    pub fn failed(&mut self, text: impl Into<String>) {
        self.push(LogKind::Failed, text);
    }

    pub fn lines(&self) -> &[LogLine] {
        &self.lines
    }

    /// The last `count` lines, oldest first.
    pub fn last(&self, count: usize) -> &[LogLine] {
        &self.lines[self.lines.len().saturating_sub(count)..]
    }
}
