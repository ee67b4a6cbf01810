//! One line of the sandbox's request log, so tests and the demo can show what a client did.

/// A request the sandbox answered. Bodies and credentials are not kept.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    /// The raw query string, empty when there was none.
    pub query: String,
    pub status: u16,
}

impl RequestRecord {
    /// The value of query parameter `name`, percent-decoding not applied.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .split('&')
            .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    }
}
