//! Header (who and where, load progress) and footer (status line, key hints).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::priority_line::{self, Part};
use super::{format, theme};
use crate::aws::inventory::DataSource;
use crate::core::model::{KeyStatus, UseSource};

use crate::core::policy::Finding;
use crate::tui::state::{SILENCE_SHOWN_AFTER, STALE_AFTER, State};

const SPINNER: [&str; 4] = ["◐", "◓", "◑", "◒"];

pub fn draw_header(frame: &mut Frame, area: Rect, state: &State) {
    let ctx = &state.context;
    let mut who = Vec::new();
    if ctx.read_only {
        who.push(Part::new(
            0,
            vec![
                Span::styled(" READ-ONLY ", theme::READ_ONLY),
                Span::raw(" "),
            ],
        ));
    }
    who.push(Part::new(
        0,
        vec![
            Span::styled("iamkeys ", theme::TITLE),
            Span::styled("account ", theme::LABEL),
            Span::raw(ctx.identity.account.clone()),
        ],
    ));
    who.push(Part::new(
        1,
        vec![
            Span::styled("  as ", theme::LABEL),
            Span::raw(ctx.identity.arn.clone()),
        ],
    ));
    if let Some(profile) = &ctx.profile {
        who.push(Part::new(
            2,
            vec![
                Span::styled("  profile ", theme::LABEL),
                Span::raw(profile.clone()),
            ],
        ));
    }
    match (&ctx.endpoint, &ctx.region) {
        (Some(endpoint), _) => who.push(Part::new(
            3,
            vec![
                Span::styled("  endpoint ", theme::LABEL),
                Span::raw(endpoint.clone()),
            ],
        )),
        (None, Some(region)) => who.push(Part::new(
            3,
            vec![
                Span::styled("  region ", theme::LABEL),
                Span::raw(region.clone()),
            ],
        )),
        (None, None) => {}
    }
    let lines = vec![
        priority_line::fit(who, area.width),
        glance_line(state, area.width),
        load_line(state),
    ];
    frame.render_widget(Paragraph::new(lines), area);
}

/// Account-wide counts: what needs attention at a glance (exempt users not counted).
#[derive(Default)]
struct Glance {
    keys: usize,
    active: usize,
    /// Keys per finding, in [`Finding::ALL`] order.
    findings: [usize; Finding::ALL.len()],
}

fn glance(state: &State) -> Glance {
    let mut g = Glance::default();
    for user in &state.inventory.users {
        for entry in user.key_entries() {
            g.keys += 1;
            g.active += usize::from(entry.key.status == KeyStatus::Active);
            let (findings, exempt) = state.findings(user, entry);
            if exempt {
                continue;
            }
            for finding in findings {
                if let Some(at) = Finding::ALL.iter().position(|f| *f == finding) {
                    g.findings[at] += 1;
                }
            }
        }
    }
    g
}

/// Whether the credential report (or, without it, GetAccountSummary) says
/// the root user has an access key.
pub fn root_has_key(state: &State) -> bool {
    matches!(
        state.inventory.load.source,
        Some(DataSource::Report {
            root_has_key: true,
            ..
        })
    ) || matches!(state.inventory.load.root_key_summary, Some(Ok(true)))
}

/// The counts, whole: findings first, then the root key, marks, and the totals.
fn glance_line(state: &State, width: u16) -> Line<'static> {
    let g = glance(state);
    let plain = ratatui::style::Style::new();
    let mut parts = Vec::new();
    if root_has_key(state) {
        parts.push(Part::new(
            0,
            vec![Span::styled(
                "⚠ root-key: the root user has an access key ",
                theme::ERROR,
            )],
        ));
    }
    let count = |rank, label: String, n: usize, style| {
        Part::new(
            rank,
            vec![
                Span::styled(label, theme::LABEL),
                Span::styled(n.to_string(), style),
            ],
        )
    };
    parts.push(count(
        3,
        "users ".into(),
        state.inventory.users.len(),
        plain,
    ));
    parts.push(count(3, "  keys ".into(), g.keys, plain));
    parts.push(count(4, "  active ".into(), g.active, plain));
    for (finding, n) in Finding::ALL.iter().zip(g.findings) {
        if matches!(finding, Finding::RootKey | Finding::ThisSession) {
            continue;
        }
        let style = if n > 0 { theme::ATTENTION } else { plain };
        parts.push(count(1, format!("  {} ", finding.name()), n, style));
    }
    if !state.jobs.marked.is_empty() {
        parts.push(count(
            2,
            "  ✓ marked ".into(),
            state.jobs.marked.len(),
            theme::PENDING,
        ));
    }
    priority_line::fit(parts, width)
}

/// Load progress (or when it finished) and where the last uses came from.
fn load_line(state: &State) -> Line<'static> {
    let load = &state.inventory.load;
    let users = state.inventory.users.len();
    let mut spans = Vec::new();
    if let Some(silence) = silence_spans(state) {
        spans.extend(silence);
    }
    if load.in_flight {
        let tick = state.now.as_millisecond() / 250;
        let frame = SPINNER[tick.rem_euclid(SPINNER.len() as i64) as usize];
        let listed = if load.users_listed { "" } else { "+" };
        spans.push(Span::styled(
            format!(
                "{frame} loading: keys of {}/{users}{listed} users, last use of {}/{} keys",
                load.users_with_keys,
                load.answered_keys.len(),
                load.keys_known
            ),
            theme::WARNING,
        ));
        if load.retries > 0 {
            spans.push(Span::styled(
                format!(" · {} retries", load.retries),
                theme::WARNING,
            ));
        }
        if let Some(per_second) = load.paced_at {
            spans.push(Span::styled(
                format!(" · IAM throttling: reading at ~{per_second}/s, retrying"),
                theme::ERROR,
            ));
        }
    } else if let Some(err) = &load.error {
        // The refresh failed: what is on screen is older data, and says so.
        let shown = match state.inventory.loaded_at {
            Some(at) => format!(
                "STALE: showing data loaded at {} ({} ago)",
                format::clock(at),
                format::duration(state.now.duration_since(at))
            ),
            None => "no data".to_string(),
        };
        spans.push(Span::styled(
            format!(
                "⚠ {shown}; the refresh failed ({}), {} retries",
                err.code,
                state
                    .context
                    .keymap
                    .key_of(&crate::tui::action::Action::Refresh)
            ),
            theme::ERROR,
        ));
    } else if let (Some(started), Some(finished)) = (load.started, load.finished) {
        let took = finished.duration_since(started).as_secs_f64();
        spans.push(Span::styled(
            format!("loaded at {} in {took:.1}s", format::clock(finished)),
            theme::LABEL,
        ));
    }
    match &load.source {
        Some(DataSource::Report { generated, .. }) => {
            spans.push(Span::styled(
                format!(
                    " · last uses: credential report of {} {} ({} old)",
                    format::date(*generated),
                    format::clock(*generated),
                    format::duration(state.now.duration_since(*generated))
                ),
                theme::LABEL,
            ));
            let provisional = state
                .inventory
                .users
                .iter()
                .flat_map(|u| u.key_entries())
                .filter(|k| k.use_source.is_some_and(UseSource::provisional))
                .count();
            if provisional > 0 {
                let what = if load.in_flight {
                    "confirming live"
                } else {
                    "not confirmed live"
                };
                spans.push(Span::styled(
                    format!(", {provisional} keys as of it ({what})"),
                    theme::WARNING,
                ));
            }
        }
        Some(DataSource::Live {
            reason: Some(reason),
        }) => spans.push(Span::styled(
            format!(" · {reason}: last uses read key by key"),
            theme::WARNING,
        )),
        Some(DataSource::Live { reason: None }) => {
            spans.push(Span::styled(" · last uses read key by key", theme::LABEL))
        }
        None => {}
    }
    Line::from(spans)
}

/// IAM has left a request unanswered for a while, or refused the connection:
/// say so, and from 15 s on mark what is on screen STALE.
fn silence_spans(state: &State) -> Option<Vec<Span<'static>>> {
    let silent = state.iam_silence()?;
    let failure = state.iam_health.failure.as_deref();
    if silent < SILENCE_SHOWN_AFTER && failure.is_none() {
        return None;
    }
    let who = match &state.context.endpoint {
        Some(url) => format!("IAM at {url}"),
        None => "IAM".to_string(),
    };
    let mut spans = Vec::new();
    if silent >= STALE_AFTER {
        let of = state
            .inventory
            .loaded_at
            .map_or("no data yet".to_string(), |at| {
                format!("data of {}", format::clock(at))
            });
        spans.push(Span::styled(format!("⚠ STALE ({of}) · "), theme::ERROR));
    }
    let why = failure.map_or(String::new(), |f| format!(": {f}"));
    spans.push(Span::styled(
        format!(
            "{who} has not answered for {} s (retrying){why} · ",
            silent.as_secs()
        ),
        theme::ERROR,
    ));
    Some(spans)
}

/// Whether `action` can do anything now: the footer offers only those.
fn works(state: &State, action: &crate::tui::action::Action) -> bool {
    use crate::tui::action::Action;
    let on_key = state.key_focused() && state.selected_key_entry().is_some();
    let writable = !state.context.read_only;
    match action {
        Action::ToggleKey | Action::DeleteKey => on_key && writable,
        Action::CopyKeyId => on_key,
        Action::CreateKey => state.selected_user().is_some() && writable,
        Action::Undo => writable,
        Action::Mark => on_key,
        Action::Rotate => {
            state
                .selected_user()
                .is_some_and(|u| !u.key_entries().is_empty())
                && writable
        }
        Action::BulkStart(_) => !state.jobs.marked.is_empty() && writable,
        // The view on screen is not offered: the other one is.
        Action::ShowBoard(board) => *board != state.screen.board,
        _ => true,
    }
}

pub fn draw_footer(frame: &mut Frame, area: Rect, state: &State) {
    let status = match &state.screen.status {
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
    let keymap = &state.context.keymap;
    let hints: Vec<Part> = keymap
        .hints_where(state.input_mode(), |action| works(state, action))
        .map(|(keys, word)| {
            // Quitting and help are never the ones that go.
            let rank = u8::from(!matches!(word, "quit" | "help"));
            Part::new(
                rank,
                vec![
                    Span::styled(keys.into_owned(), theme::KEY_HINT),
                    Span::raw(format!(" {word}  ")),
                ],
            )
        })
        .collect();
    let hints = priority_line::fit(hints, area.width);
    frame.render_widget(Paragraph::new(vec![status, hints]), area);
}
