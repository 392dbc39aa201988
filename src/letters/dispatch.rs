//! How a letter goes out (process.md §6, design): by email when the customer gave an address and
//! has not asked for post; by post otherwise, and always by post for a letter with an enclosure
//! or for a customer the organisation may only write to on paper.

use crate::vocabulary::{ContactRestriction, DispatchChannel};

/// What the choice depends on.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// The customer's email address, if known.
    pub email: Option<&'a str>,
    /// Whether they asked for post.
    pub prefers_post: bool,
    /// Their contact restriction (written-only customers are written to on paper).
    pub restriction: ContactRestriction,
}

/// The channel for a letter with `enclosures` to `recipient`.
pub fn channel(recipient: Recipient<'_>, enclosures: &[&str]) -> DispatchChannel {
    let by_email = recipient.email.is_some_and(|e| !e.trim().is_empty())
        && !recipient.prefers_post
        && enclosures.is_empty()
        && recipient.restriction != ContactRestriction::WrittenOnly;
    if by_email {
        DispatchChannel::Email
    } else {
        DispatchChannel::Post
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMAIL: Recipient<'static> = Recipient {
        email: Some("jane@example.org"),
        prefers_post: false,
        restriction: ContactRestriction::None,
    };

    #[test]
    fn email_when_the_customer_can_and_may_be_emailed() {
        assert_eq!(channel(EMAIL, &[]), DispatchChannel::Email);
    }

    #[test]
    fn post_otherwise() {
        assert_eq!(
            channel(
                Recipient {
                    email: None,
                    ..EMAIL
                },
                &[]
            ),
            DispatchChannel::Post
        );
        assert_eq!(
            channel(
                Recipient {
                    prefers_post: true,
                    ..EMAIL
                },
                &[]
            ),
            DispatchChannel::Post
        );
        assert_eq!(
            channel(EMAIL, &["CMSB0011"]),
            DispatchChannel::Post,
            "enclosures go by post"
        );
        let written = Recipient {
            restriction: ContactRestriction::WrittenOnly,
            ..EMAIL
        };
        assert_eq!(channel(written, &[]), DispatchChannel::Post);
    }
}
