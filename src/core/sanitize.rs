//! The one place where text that came from the server (or from any other
//! party iamkeys does not control) is made safe to print. Every string the
//! `iam` module hands out has passed through [`server_text`], so the screen,
//! `list` (table, CSV, JSON), stderr and the log never carry a terminal control
//! sequence that a hostile endpoint wrote.
//!
//! C0 controls, DEL and C1 controls become visible escapes (`\x1b`, `\x7f`,
//! `\u{9b}`); the bidirectional overrides and isolates U+202A–202E and
//! U+2066–2069 become `\u{202e}` and the like, so they cannot reorder what the
//! administrator reads. Real IAM names, paths and tag values cannot contain
//! any of these characters, so nothing legitimate changes.

use std::borrow::Cow;
use std::fmt::Write;

/// Whether `c` must not reach a terminal as it is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every unsafe character replaced by a visible escape.
pub fn server_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_visible(&mut out, c);
    }
    Cow::Owned(out)
}

/// Owned convenience for [`server_text`].
pub fn owned(text: &str) -> String {
    server_text(text).into_owned()
}

/// Like [`server_text`], but keeps line breaks (for multi-line log records).
pub fn keep_newlines(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c != '\n' && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c == '\n' {
            out.push(c);
        } else {
            push_visible(&mut out, c);
        }
    }
    Cow::Owned(out)
}

/// Like [`server_text`], but keeps line breaks and tabs (for a printed
/// plan, whose columns are tab-separated).
pub fn keep_layout(text: &str) -> Cow<'_, str> {
    let kept = |c: char| c == '\n' || c == '\t';
    if !text.chars().any(|c| !kept(c) && is_unsafe(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if kept(c) {
            out.push(c);
        } else {
            push_visible(&mut out, c);
        }
    }
    Cow::Owned(out)
}

fn push_visible(out: &mut String, c: char) {
    if !is_unsafe(c) {
        out.push(c);
        return;
    }
    let code = u32::from(c);
    // Writing to a String cannot fail.
    let _ = if code < 0x80 {
        write!(out, "\\x{code:02x}")
    } else {
        write!(out, "\\u{{{code:x}}}")
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_and_bidi_characters_become_visible_escapes() {
        assert_eq!(server_text("alice"), "alice");
        assert!(matches!(server_text("alice"), Cow::Borrowed(_)));
        assert_eq!(server_text("a\u{1b}[2Jb"), "a\\x1b[2Jb");
        assert_eq!(server_text("\u{1b}]52;c;aGk=\u{7}"), "\\x1b]52;c;aGk=\\x07");
        assert_eq!(server_text("x\u{7f}\u{9b}y"), "x\\x7f\\u{9b}y");
        assert_eq!(server_text("evil\u{202e}fdp.exe"), "evil\\u{202e}fdp.exe");
        assert_eq!(server_text("a\u{2066}b\u{2069}"), "a\\u{2066}b\\u{2069}");
        assert_eq!(server_text("tab\there\nnl"), "tab\\x09here\\x0anl");
        assert_eq!(keep_newlines("l1\nl2\u{1b}"), "l1\nl2\\x1b");
        assert_eq!(keep_layout("a\tb\nc\u{1b}[2J\r"), "a\tb\nc\\x1b[2J\\x0d");
        // Letters of every script, spaces and IAM's punctuation are left alone.
        assert_eq!(server_text("Zoë 東京 +=,.@-_"), "Zoë 東京 +=,.@-_");
    }

    #[test]
    fn nothing_unsafe_survives_any_input() {
        for code in (0u32..0x3000).chain([0xFEFF, 0x10FFFF]) {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let text = format!("a{c}b");
            assert!(!server_text(&text).chars().any(is_unsafe), "{code:x}");
        }
    }
}
