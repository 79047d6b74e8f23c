//! Header (who and where, load progress) and footer (status line, key hints).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{format, theme};
use crate::keymap;
use crate::state::State;

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

pub fn draw_header(frame: &mut Frame, area: Rect, state: &State) {
    let ctx = &state.context;
    let mut who = Vec::new();
    if ctx.read_only {
        who.push(Span::styled(" READ-ONLY ", theme::READ_ONLY));
        who.push(Span::raw(" "));
    }
    who.extend([
        Span::styled("iamkeys ", theme::TITLE),
        Span::styled("account ", theme::LABEL),
        Span::raw(ctx.identity.account.clone()),
        Span::styled("  as ", theme::LABEL),
        Span::raw(ctx.identity.arn.clone()),
    ]);
    if let Some(profile) = &ctx.profile {
        who.push(Span::styled("  profile ", theme::LABEL));
        who.push(Span::raw(profile.clone()));
    }
    match (&ctx.endpoint, &ctx.region) {
        (Some(endpoint), _) => {
            who.push(Span::styled("  endpoint ", theme::LABEL));
            who.push(Span::raw(endpoint.clone()));
        }
        (None, Some(region)) => {
            who.push(Span::styled("  region ", theme::LABEL));
            who.push(Span::raw(region.clone()));
        }
        (None, None) => {}
    }
    let lines = vec![Line::from(who), progress_line(state)];
    frame.render_widget(Paragraph::new(lines), area);
}

fn progress_line(state: &State) -> Line<'static> {
    let load = &state.load;
    let users = state.users.len();
    let keys: usize = state.users.iter().map(|u| u.key_entries().len()).sum();
    let active: usize = state.users.iter().map(|u| u.active_keys()).sum();
    let mut spans = vec![
        Span::styled("users ", theme::LABEL),
        Span::raw(users.to_string()),
        Span::styled("  keys ", theme::LABEL),
        Span::raw(keys.to_string()),
        Span::styled("  active ", theme::LABEL),
        Span::raw(active.to_string()),
    ];
    if load.in_flight {
        let tick = state.now.as_millisecond() / 250;
        let frame = SPINNER[tick.rem_euclid(SPINNER.len() as i64) as usize];
        let listed = if load.users_listed { "" } else { "+" };
        spans.push(Span::styled(
            format!(
                "  {frame} loading: keys of {}/{users}{listed} users, last use of {}/{} keys",
                load.users_with_keys, load.last_used_known, load.keys_known
            ),
            theme::WARNING,
        ));
    } else if let (Some(started), Some(finished)) = (load.started, load.finished) {
        let took = finished.duration_since(started).as_secs_f64();
        spans.push(Span::styled(
            format!("  loaded at {} in {took:.1}s", format::clock(finished)),
            theme::LABEL,
        ));
    }
    Line::from(spans)
}

pub fn draw_footer(frame: &mut Frame, area: Rect, state: &State) {
    let status = match &state.status {
        Some(s) => Line::styled(
            s.text.clone(),
            if s.is_error {
                theme::ERROR
            } else {
                theme::LABEL
            },
        ),
        None => Line::raw(""),
    };
    let mut hints = Vec::new();
    for (keys, word) in keymap::hints(state.input_mode()) {
        hints.push(Span::styled(keys, theme::KEY_HINT));
        hints.push(Span::raw(format!(" {word}  ")));
    }
    frame.render_widget(Paragraph::new(vec![status, Line::from(hints)]), area);
}
