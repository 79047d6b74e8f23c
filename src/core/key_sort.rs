//! How the keys view (`2`) orders its rows: `s` cycles the column, `S`
//! reverses it, as in the users view. Orders read the way an administrator
//! looks: most urgent first (the default), owners A→Z, paths A→Z, oldest key
//! first, longest unused (and never used) first.

use std::cmp::Ordering;

use crate::core::entries::KeyEntry;
use crate::core::model::LastUsed;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeySortColumn {
    /// The key's most urgent finding first (the default).
    Urgency,
    Owner,
    Path,
    KeyAge,
    LastUsed,
}

impl KeySortColumn {
    pub const ALL: [KeySortColumn; 5] = [
        KeySortColumn::Urgency,
        KeySortColumn::Owner,
        KeySortColumn::Path,
        KeySortColumn::KeyAge,
        KeySortColumn::LastUsed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            KeySortColumn::Urgency => "urgency",
            KeySortColumn::Owner => "user",
            KeySortColumn::Path => "path",
            KeySortColumn::KeyAge => "key age",
            KeySortColumn::LastUsed => "last used",
        }
    }

    pub fn next(self) -> KeySortColumn {
        let at = Self::ALL.iter().position(|c| *c == self).unwrap_or(0);
        Self::ALL[(at + 1) % Self::ALL.len()]
    }
}

/// The keys view's sort: a column and whether it is reversed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeySort {
    pub column: KeySortColumn,
    pub reversed: bool,
}

impl Default for KeySort {
    fn default() -> Self {
        KeySort {
            column: KeySortColumn::Urgency,
            reversed: false,
        }
    }
}

/// What the comparison of two rows needs to know about each.
pub struct KeyRow<'a> {
    /// The rank of the key's most urgent finding that asks for action.
    pub rank: usize,
    pub owner: &'a str,
    pub path: &'a str,
    pub entry: &'a KeyEntry,
}

impl KeySort {
    /// Orders two rows: the column first, then most urgent, oldest and by key
    /// id, so that the order is total and stable between rebuilds.
    pub fn compare(&self, a: &KeyRow, b: &KeyRow) -> Ordering {
        let primary = match self.column {
            KeySortColumn::Urgency => Ordering::Equal,
            KeySortColumn::Owner => a.owner.to_lowercase().cmp(&b.owner.to_lowercase()),
            KeySortColumn::Path => a.path.cmp(b.path),
            KeySortColumn::KeyAge => a.entry.key.created.cmp(&b.entry.key.created),
            KeySortColumn::LastUsed => use_rank(a.entry).cmp(&use_rank(b.entry)),
        };
        let order = primary
            .then_with(|| a.rank.cmp(&b.rank))
            .then_with(|| a.entry.key.created.cmp(&b.entry.key.created))
            .then_with(|| a.entry.key.id.cmp(&b.entry.key.id));
        if self.reversed {
            order.reverse()
        } else {
            order
        }
    }
}

/// Never used first, then the oldest use, then keys whose use is not known.
fn use_rank(entry: &KeyEntry) -> (u8, Option<jiff::Timestamp>) {
    match entry.settled_use() {
        Some(LastUsed::Never) => (0, None),
        Some(LastUsed::Used { at, .. }) => (1, Some(*at)),
        None => (2, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::entries::Fetch;
    use crate::core::model::{AccessKey, KeyStatus};

    fn entry(id: &str, created: &str, used: Option<&str>) -> KeyEntry {
        KeyEntry {
            key: AccessKey {
                id: id.into(),
                user: "u".into(),
                status: KeyStatus::Active,
                created: created.parse().unwrap(),
                description: None,
            },
            last_used: Fetch::Ready(match used {
                None => LastUsed::Never,
                Some(at) => LastUsed::Used {
                    at: at.parse().unwrap(),
                    service: None,
                    region: None,
                },
            }),
            use_source: None,
        }
    }

    #[test]
    fn each_column_orders_as_an_administrator_reads_it() {
        let old = entry(
            "AKIA1",
            "2020-01-01T00:00:00Z",
            Some("2026-01-01T00:00:00Z"),
        );
        let new = entry("AKIA2", "2026-01-01T00:00:00Z", None);
        let a = KeyRow {
            rank: 5,
            owner: "Zed",
            path: "/a/",
            entry: &old,
        };
        let b = KeyRow {
            rank: 1,
            owner: "amy",
            path: "/b/",
            entry: &new,
        };
        let sort = |column, reversed| KeySort { column, reversed };
        use KeySortColumn::*;
        assert_eq!(sort(Urgency, false).compare(&a, &b), Ordering::Greater);
        assert_eq!(sort(Urgency, true).compare(&a, &b), Ordering::Less);
        assert_eq!(sort(Owner, false).compare(&a, &b), Ordering::Greater);
        assert_eq!(sort(Path, false).compare(&a, &b), Ordering::Less);
        assert_eq!(sort(KeyAge, false).compare(&a, &b), Ordering::Less);
        // Never used comes before any use.
        assert_eq!(sort(LastUsed, false).compare(&a, &b), Ordering::Greater);
        let mut column = Urgency;
        for _ in 0..KeySortColumn::ALL.len() {
            column = column.next();
        }
        assert_eq!(column, Urgency);
    }
}
