//! The inventory's entries as the dashboard holds them: a value being
//! fetched, and a key with its last use and where that was read. Plain data,
//! beneath `state`, `dialog` and the views.

use crate::core::IamError;
use crate::core::model::{AccessKey, LastUsed, UseSource};

/// A value that is being fetched, has arrived, or could not be read.
#[derive(Clone, Debug, PartialEq)]
pub enum Fetch<T> {
    Loading,
    Ready(T),
    Failed(IamError),
}

impl<T> Fetch<T> {
    pub fn ready(&self) -> Option<&T> {
        match self {
            Fetch::Ready(value) => Some(value),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct KeyEntry {
    pub key: AccessKey,
    pub last_used: Fetch<LastUsed>,
    /// Where `last_used` was read and as of when (none while loading).
    pub use_source: Option<UseSource>,
}

impl KeyEntry {
    /// The last use if it is settled: not loading, and not a credential
    /// report's value that a live read has yet to confirm.
    pub fn settled_use(&self) -> Option<&LastUsed> {
        if self.use_source.is_some_and(UseSource::provisional) {
            return None;
        }
        self.last_used.ready()
    }
}
