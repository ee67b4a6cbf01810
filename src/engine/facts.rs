//! What one step learns that another needs (the identity's ids, when a credential was written),
//! handed from step to step by the engine. Steps never share mutable state: the engine resolves
//! facts before the checks that read them and passes each apply's facts to the later steps.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

/// A set of facts keyed by their type: one value per type, the newest wins. Cheap to clone.
#[derive(Clone, Default)]
pub struct Facts {
    values: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Facts {
    pub fn new() -> Facts {
        Facts::default()
    }

    /// These facts with `value` added (or replacing the fact of its type).
    #[must_use]
    pub fn with<T: Any + Send + Sync>(mut self, value: T) -> Facts {
        self.insert(value);
        self
    }

    pub fn insert<T: Any + Send + Sync>(&mut self, value: T) {
        self.values.insert(TypeId::of::<T>(), Arc::new(value));
    }

    pub fn get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.values
            .get(&TypeId::of::<T>())
            .and_then(|value| value.downcast_ref::<T>())
    }

    /// Adds every fact of `newer`; where both hold a fact of one type, `newer`'s wins.
    pub fn merge(&mut self, newer: Facts) {
        self.values.extend(newer.values);
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl fmt::Debug for Facts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Facts({} known)", self.values.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct ClientId(&'static str);

    #[derive(Debug, PartialEq)]
    struct Written(u32);

    #[test]
    fn a_fact_is_found_by_its_type_and_newer_facts_win() {
        let mut facts = Facts::new().with(ClientId("old"));
        assert_eq!(facts.get::<ClientId>(), Some(&ClientId("old")));
        assert_eq!(facts.get::<Written>(), None);
        facts.merge(Facts::new().with(ClientId("new")).with(Written(1)));
        assert_eq!(facts.get::<ClientId>(), Some(&ClientId("new")));
        assert_eq!(facts.get::<Written>(), Some(&Written(1)));
    }
}
