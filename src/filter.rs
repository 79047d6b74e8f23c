//! The user filter shared by the dashboard (`/`) and `iamkeys list --filter`:
//! a case-insensitive substring of the user name, its path or any of its key ids.

/// Whether a user matches `needle` (already lower-case; empty matches everyone).
pub fn matches<'a>(
    needle: &str,
    name: &str,
    path: &str,
    mut key_ids: impl Iterator<Item = &'a str>,
) -> bool {
    needle.is_empty()
        || name.to_lowercase().contains(needle)
        || path.to_lowercase().contains(needle)
        || key_ids.any(|id| id.to_lowercase().contains(needle))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn name_path_or_key_id_case_insensitively() {
        let keys = ["AKIAEXAMPLE1"];
        assert!(matches("", "alice", "/", keys.into_iter()));
        assert!(matches("ali", "Alice", "/", keys.into_iter()));
        assert!(matches("ops", "alice", "/ops/", keys.into_iter()));
        assert!(matches("akiaexample1", "alice", "/", keys.into_iter()));
        assert!(!matches("bob", "alice", "/", keys.into_iter()));
    }
}
