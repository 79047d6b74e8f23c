//! The MFA dialog: the session's role credentials come due and a new code
//! renews them (`iam::mfa_session`). It opens over whatever is on screen,
//! which comes back once the code is typed or refused; requests wait for it.

use tui_input::Input;

use crate::tui::action::Effect;
use crate::tui::dialog::Dialog;
use crate::tui::state::State;

/// A code is asked (request `id`): the dialog opens over the current one.
pub fn open(state: &mut State, id: u64, prompt: String) {
    let beneath = state.screen.dialog.take().map(Box::new);
    state.screen.dialog = Some(Dialog::MfaCode {
        id,
        prompt: crate::core::sanitize::owned(&prompt),
        typed: Input::default(),
        error: None,
        beneath,
    });
}

/// Enter: six digits go to the session; anything else is said.
pub fn submit(state: &mut State) -> Vec<Effect> {
    let Some(Dialog::MfaCode {
        id,
        prompt,
        typed,
        beneath,
        ..
    }) = state.screen.dialog.take()
    else {
        return Vec::new();
    };
    let code = typed.value().trim().to_string();
    if code.len() != 6 || !code.chars().all(|c| c.is_ascii_digit()) {
        state.screen.dialog = Some(Dialog::MfaCode {
            id,
            prompt,
            typed,
            error: Some("an MFA code is 6 digits".into()),
            beneath,
        });
        return Vec::new();
    }
    state.screen.dialog = beneath.map(|d| *d);
    vec![Effect::AnswerMfa { id, code: Ok(code) }]
}

/// Esc: no code; the requests waiting for it fail with the reason.
pub fn cancel(state: &mut State) -> Vec<Effect> {
    let Some(Dialog::MfaCode { id, beneath, .. }) = state.screen.dialog.take() else {
        return Vec::new();
    };
    state.screen.dialog = beneath.map(|d| *d);
    vec![Effect::AnswerMfa {
        id,
        code: Err(format!(
            "no MFA code was typed (Esc): requests fail until the session is renewed; {} tries again",
            super::key(state, &crate::tui::action::Action::Refresh)
        )),
    }]
}
