//! Copying through the terminal with OSC 52: works over SSH and in tmux
//! (`set-clipboard on`), where the terminal allows it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// The escape sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> Zeroizing<String> {
    // Room for it all up front, so no reallocation leaves a copy behind.
    let mut sequence = Zeroizing::new(String::with_capacity(16 + text.len().div_ceil(3) * 4));
    sequence.push_str("\x1b]52;c;");
    STANDARD.encode_string(text, &mut sequence);
    sequence.push('\x07');
    sequence
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_as_base64_in_an_osc_52_sequence() {
        assert_eq!(super::osc52("AKIA").as_str(), "\x1b]52;c;QUtJQQ==\x07");
    }
}
