//! The shape of a CreateAccessKey reply. The secret is server input like any
//! other string: it goes to stdout, to a CSV and into `~/.aws/credentials`, so
//! a secret with an escape sequence or a line break in it (a hostile proxy, a
//! broken server) must be refused before it is written anywhere.

/// Why `key_id` and `secret` are not what IAM hands out, if they are not.
///
/// IAM documents access key ids as 16–128 word characters (`[\w]+`); real
/// secrets are 40 characters of `[A-Za-z0-9/+]`. Accepted: printable ASCII
/// with no whitespace, 1–128 characters (a little wider than IAM's, never
/// anything a terminal or an INI file acts on).
pub fn unusable_because(key_id: &str, secret: &str) -> Option<String> {
    if !is_key_id(key_id) {
        return Some(format!(
            "the new access key id is not of IAM's shape (16–128 letters, digits or _; got {} characters)",
            key_id.chars().count()
        ));
    }
    if !is_secret(secret) {
        return Some(format!(
            "the secret of {key_id} is not of IAM's shape (printable ASCII without spaces; got {} characters, {})",
            secret.chars().count(),
            if secret.is_empty() {
                "none"
            } else {
                "some of them control characters, spaces or not ASCII"
            }
        ));
    }
    None
}

/// IAM's documented pattern for access key ids: `[\w]+`, 16 to 128 long.
pub fn is_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Printable ASCII, no whitespace, at most 128 characters.
fn is_secret(secret: &str) -> bool {
    (1..=128).contains(&secret.len()) && secret.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ids_and_secrets_of_iams_shape_are_accepted() {
        let id = "AKIAIOSFODNN7EXAMPLE";
        let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
        assert_eq!(unusable_because(id, secret), None);
        for bad in [
            "wJalrXUtnFEMI\u{1b}]0;owned\u{7}",
            "line\naws_session_token = x",
            "with space",
            "tab\there",
            "",
            "caf\u{e9}",
            "\u{9b}1m",
        ] {
            let why = unusable_because(id, bad).expect(bad);
            assert!(why.contains(id), "{why}");
            assert!(
                bad.is_empty() || !why.contains(bad),
                "the bad secret is never echoed: {why}"
            );
        }
        assert!(unusable_because(&"S".repeat(129), secret).is_some());
        for bad_id in [
            "AKIASHORT",
            "AKIA\u{1b}[2J000000000000",
            "AKIA IOSFODNN7EXAMPLE",
            &"A".repeat(129),
        ] {
            assert!(unusable_because(bad_id, secret).is_some(), "{bad_id:?}");
        }
        assert!(is_key_id(&"A".repeat(128)));
        assert!(is_key_id("AKIA_0123456789AB"));
    }
}
