//! Text that must fit a cell: never cut into something else. A cut name or
//! path ends in `…`; a list of findings shows whole findings, most urgent
//! first, and counts the rest (`+2`).

use ratatui::style::Style;
use ratatui::text::{Line, Span};

/// Cells `text` takes on screen.
pub fn width(text: &str) -> u16 {
    u16::try_from(Span::raw(text).width()).unwrap_or(u16::MAX)
}

/// `text` in at most `cells` cells: whole, or cut and ending in `…`.
pub fn ellipsize(text: &str, cells: u16) -> String {
    if width(text) <= cells {
        return text.to_string();
    }
    if cells == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0u16;
    for c in text.chars() {
        let w = width(c.encode_utf8(&mut [0; 4]));
        if used + w + 1 > cells {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// A name in at most `cells` cells: whole, or cut in the middle with `…` so
/// that its end stays (`contractor.ext…-00011`): names that differ only in
/// their last digits still differ.
pub fn ellipsize_name(text: &str, cells: u16) -> String {
    if width(text) <= cells || cells < 5 {
        return ellipsize(text, cells);
    }
    let chars: Vec<char> = text.chars().collect();
    // The tail keeps the trailing digits (and what joins them), at least half.
    let digits = chars
        .iter()
        .rev()
        .take_while(|c| !c.is_alphabetic())
        .count();
    let room = usize::from(cells) - 1;
    let tail = digits.max(room / 2).min(room.saturating_sub(2));
    let head: String = chars[..room - tail].iter().collect();
    let end: String = chars[chars.len() - tail..].iter().collect();
    // Narrow characters assumed; a wide one is cut from the end instead.
    let cut = format!("{head}…{end}");
    if width(&cut) <= cells {
        cut
    } else {
        ellipsize(text, cells)
    }
}

/// Separator between two items of a list cell.
const SEPARATOR: &str = ", ";

/// The items, in order, that fit whole into `cells` cells, with `+N` for
/// those left out. At least `+N` alone when not even the first fits.
pub fn whole_items(items: &[(String, Style)], cells: u16) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0u16;
    for (shown, (text, style)) in items.iter().enumerate() {
        let gap = if shown == 0 { 0 } else { width(SEPARATOR) };
        let left_after = items.len() - shown - 1;
        // Room for this item and, if any remain, for the count of the rest.
        let tail = if left_after > 0 {
            width(&format!(" +{left_after}"))
        } else {
            0
        };
        if used + gap + width(text) + tail > cells {
            let rest = items.len() - shown;
            spans.push(Span::raw(if shown == 0 {
                format!("+{rest}")
            } else {
                format!(" +{rest}")
            }));
            return Line::from(spans);
        }
        if shown > 0 {
            spans.push(Span::raw(SEPARATOR));
        }
        spans.push(Span::styled(text.clone(), *style));
        used += gap + width(text);
    }
    Line::from(spans)
}

/// Cells [`whole_items`] needs to show every item.
pub fn items_width(items: &[(String, Style)]) -> u16 {
    let texts: u16 = items.iter().map(|(t, _)| width(t)).sum();
    texts + width(SEPARATOR) * items.len().saturating_sub(1) as u16
}

/// Cells [`whole_items`] needs to show the first item and count the rest.
pub fn first_item_width(items: &[(String, Style)]) -> u16 {
    match items {
        [] => 0,
        [only] => width(&only.0),
        [first, rest @ ..] => width(&first.0) + width(&format!(" +{}", rest.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(names: &[&str]) -> Vec<(String, Style)> {
        names
            .iter()
            .map(|n| (n.to_string(), Style::new()))
            .collect()
    }

    fn text(line: &Line) -> String {
        line.spans.iter().map(|s| s.content.as_ref()).collect()
    }

    #[test]
    fn a_cut_ends_in_an_ellipsis_and_never_passes_its_width() {
        assert_eq!(ellipsize("svc-dynamodb-38", 15), "svc-dynamodb-38");
        assert_eq!(ellipsize("svc-dynamodb-38", 14), "svc-dynamodb-…");
        assert_eq!(
            ellipsize("/engineering/platform/", 20),
            "/engineering/platfo…"
        );
        assert_eq!(ellipsize("abc", 1), "…");
        assert_eq!(ellipsize("abc", 0), "");
        for cells in 0..20 {
            assert!(width(&ellipsize("ivan.smith-00115", cells)) <= cells);
        }
    }

    #[test]
    fn a_cut_name_keeps_its_end() {
        let a = ellipsize_name("contractor.external-team-00011", 16);
        let b = ellipsize_name("contractor.external-team-00010", 16);
        assert_ne!(a, b);
        assert!(a.ends_with("-00011") && a.contains('…'), "{a}");
        assert_eq!(ellipsize_name("ivan.smith-00115", 14), "ivan.sm…-00115");
        for cells in 0..32 {
            assert!(width(&ellipsize_name("bartholomew.featherstonehaugh-42", cells)) <= cells);
        }
    }

    #[test]
    fn findings_are_whole_most_urgent_first_and_the_rest_counted() {
        let all = items(&["never-used", "unused", "rotation-due"]);
        assert_eq!(items_width(&all), 32);
        assert_eq!(
            text(&whole_items(&all, 32)),
            "never-used, unused, rotation-due"
        );
        assert_eq!(text(&whole_items(&all, 31)), "never-used, unused +1");
        assert_eq!(text(&whole_items(&all, 20)), "never-used +2");
        assert_eq!(text(&whole_items(&all, 5)), "+3");
        assert_eq!(first_item_width(&all), 13);
        for cells in 2..40 {
            assert!(width(&text(&whole_items(&all, cells))) <= cells, "{cells}");
        }
    }
}
