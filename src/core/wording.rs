//! Words shared by the dashboard and the headless commands.

/// `today`, `1 day ago`, `40 days ago`.
pub fn days_ago(days: i64) -> String {
    match days {
        0 => "today".to_string(),
        1 => "1 day ago".to_string(),
        n => format!("{n} days ago"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn one_day_is_singular() {
        assert_eq!(super::days_ago(1), "1 day ago");
        assert_eq!(super::days_ago(0), "today");
        assert_eq!(super::days_ago(2), "2 days ago");
    }
}
