//! Copying through the terminal with OSC 52: works over SSH and in tmux
//! (`set-clipboard on`), where the terminal allows it.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use zeroize::Zeroizing;

/// The escape sequence that asks the terminal to put `text` on the clipboard.
pub fn osc52(text: &str) -> Zeroizing<String> {
    Zeroizing::new(format!("\x1b]52;c;{}\x07", STANDARD.encode(text)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_as_base64_in_an_osc_52_sequence() {
        assert_eq!(super::osc52("AKIA").as_str(), "\x1b]52;c;QUtJQQ==\x07");
    }
}
