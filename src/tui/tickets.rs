//! Tickets and who waits for each. Every change and every re-read of a user's
//! keys is issued a [`Ticket`] together with its [`Owner`]; its reply echoes
//! the ticket, and the reply is routed to that owner alone (never guessed
//! from the key id, the user or the wizard's step).

use std::collections::HashMap;

use crate::core::change::Ticket;

/// Who waits for a ticket's reply.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A change made on its own (space, create, delete, a lost secret's delete).
    Plain,
    /// A step of the rotation wizard.
    Wizard,
    /// An item of a bulk plan (`D`, `X`).
    Bulk,
    /// A change of the undo plan.
    Undo,
    /// A re-read of a user's keys after a change: nobody waits beyond the rows.
    Reread,
    /// The re-read a resumed rotation waits for before it goes on.
    WizardResume,
}

/// Hands out tickets, keeps the owner of each until its reply comes, and
/// remembers, per user, the newest ticket issued about them. A reply older
/// than that changes no row.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tickets {
    next_seq: u64,
    newest: HashMap<String, u64>,
    pending: HashMap<Ticket, Owner>,
}

impl Tickets {
    /// A ticket for a request about everyone (a load): no user's record
    /// moves, and nobody is recorded as waiting (loads go by generation).
    pub fn issue(&mut self, generation: u64) -> Ticket {
        self.next_seq += 1;
        Ticket {
            generation,
            seq: self.next_seq,
        }
    }

    /// A ticket for a request about `user` that `owner` waits for: from now
    /// on, replies issued before it are stale for that user.
    pub fn issue_for(&mut self, user: &str, generation: u64, owner: Owner) -> Ticket {
        let ticket = self.issue(generation);
        self.newest.insert(user.to_string(), ticket.seq);
        self.pending.insert(ticket, owner);
        ticket
    }

    /// Whether a reply issued at `seq` may still change what is shown of `user`.
    pub fn is_current(&self, user: &str, seq: u64) -> bool {
        self.newest.get(user).is_none_or(|&newest| seq >= newest)
    }

    /// The reply to `ticket` came: who waited for it (none for a ticket not
    /// issued here, or answered already).
    pub fn answered(&mut self, ticket: Ticket) -> Option<Owner> {
        self.pending.remove(&ticket)
    }

    /// How many tickets of `owner` wait for their reply.
    pub fn waiting(&self, owner: Owner) -> usize {
        self.pending.values().filter(|&&o| o == owner).count()
    }

    /// `owner` waits no more (the wizard closed): its tickets' replies are
    /// applied to the rows as plain ones, and advance nothing.
    pub fn disown(&mut self, owner: Owner) {
        for waiting in self.pending.values_mut() {
            if *waiting == owner {
                *waiting = match owner {
                    Owner::WizardResume => Owner::Reread,
                    _ => Owner::Plain,
                };
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reply_goes_to_the_owner_of_its_ticket_once() {
        let mut tickets = Tickets::default();
        let plain = tickets.issue_for("alice", 1, Owner::Plain);
        let wizard = tickets.issue_for("alice", 1, Owner::Wizard);
        assert_eq!(tickets.waiting(Owner::Wizard), 1);
        assert_eq!(tickets.answered(plain), Some(Owner::Plain));
        assert_eq!(tickets.answered(plain), None, "a reply is routed once");
        assert_eq!(tickets.answered(wizard), Some(Owner::Wizard));
        assert_eq!(tickets.waiting(Owner::Wizard), 0);
    }

    #[test]
    fn a_disowned_ticket_is_answered_as_a_plain_one() {
        let mut tickets = Tickets::default();
        let step = tickets.issue_for("alice", 1, Owner::Wizard);
        let resume = tickets.issue_for("alice", 1, Owner::WizardResume);
        let bulk = tickets.issue_for("bob", 1, Owner::Bulk);
        tickets.disown(Owner::Wizard);
        tickets.disown(Owner::WizardResume);
        assert_eq!(tickets.answered(step), Some(Owner::Plain));
        assert_eq!(tickets.answered(resume), Some(Owner::Reread));
        assert_eq!(tickets.answered(bulk), Some(Owner::Bulk));
    }

    #[test]
    fn a_reply_issued_before_a_newer_ticket_is_stale_for_that_user_only() {
        let mut tickets = Tickets::default();
        let old = tickets.issue_for("alice", 1, Owner::Plain);
        let _new = tickets.issue_for("alice", 1, Owner::Reread);
        assert!(!tickets.is_current("alice", old.seq));
        assert!(tickets.is_current("bob", old.seq));
    }
}
