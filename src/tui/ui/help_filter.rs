//! The help's section on the filter language: every term and operator with
//! an example and its meaning (the same list as the README's "Filter terms").

/// `(example, meaning)` for each term and operator of `crate::core::filter`.
pub const TERMS: [(&str, &str); 12] = [
    ("alice", "in the user name, path, key id or description"),
    ("is:unused", "the key has that finding (see Findings)"),
    ("is:active", "the key is active (is:inactive: inactive)"),
    ("service:s3", "last used by that service"),
    ("region:eu-west-1", "last used in that region"),
    ("path:/eng/", "the user's path starts with it"),
    ("age>90", "the key is older than 90 days"),
    ("unused>45", "not used for over 45 days (never: age counts)"),
    ("age<=7", "also >=, < and <= for age and unused"),
    ("-is:active", "not: the term does not hold (also !term)"),
    ("is:unused,never-used", "a comma: any of the values"),
    ("alice | bob", "either side; terms side by side all hold"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::filter::Filter;

    #[test]
    fn every_example_is_a_filter_that_parses_and_fits_the_help() {
        for (example, meaning) in TERMS {
            assert!(Filter::parse(example).is_ok(), "{example}");
            // The help is 70 wide: 68 inside, 22 for the example.
            assert!(meaning.chars().count() <= 46, "{meaning}");
        }
    }
}
