//! A line made of parts that each show whole or not at all: when the width
//! does not hold them all, the least important go (their order on the line
//! stays), so a header or footer is never cut mid-word.

use ratatui::text::{Line, Span};

/// One part of a line and its importance (0 first).
pub struct Part {
    pub rank: u8,
    pub spans: Vec<Span<'static>>,
}

impl Part {
    pub fn new(rank: u8, spans: Vec<Span<'static>>) -> Self {
        Part { rank, spans }
    }

    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// The parts that fit `width` cells, most important first, in line order.
pub fn fit(parts: Vec<Part>, width: u16) -> Line<'static> {
    let mut order: Vec<usize> = (0..parts.len()).collect();
    order.sort_by_key(|&i| parts[i].rank);
    let mut room = usize::from(width);
    let mut keep = vec![false; parts.len()];
    for i in order {
        let w = parts[i].width();
        if w <= room {
            room -= w;
            keep[i] = true;
        }
    }
    Line::from(
        parts
            .into_iter()
            .zip(keep)
            .filter(|(_, k)| *k)
            .flat_map(|(p, _)| p.spans)
            .collect::<Vec<_>>(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_important_parts_go_whole_and_the_order_stays() {
        let part = |rank, text: &str| Part::new(rank, vec![Span::raw(text.to_string())]);
        let parts = || {
            vec![
                part(2, "users 19 "),
                part(0, "never-used 26 "),
                part(1, "q quit"),
            ]
        };
        let text = |line: Line| {
            line.spans
                .iter()
                .map(|s| s.content.to_string())
                .collect::<String>()
        };
        assert_eq!(text(fit(parts(), 80)), "users 19 never-used 26 q quit");
        assert_eq!(text(fit(parts(), 22)), "never-used 26 q quit");
        assert_eq!(text(fit(parts(), 14)), "never-used 26 ");
        assert_eq!(text(fit(parts(), 5)), "");
    }
}
