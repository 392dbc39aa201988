//! API client tokens: how they are made, stored and checked (README "Security").
//!
//! A token is `cmpl_<client id>_<secret>`: the client id (a UUID, in simple form) finds the
//! client's row, and the secret — 256 random bits from the operating system's generator,
//! base64url — is checked against the SHA-256 kept for it, in constant time. The token itself is
//! never stored, logged or shown again after `complaints clients add` prints it.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use rand::rngs::OsRng;
use rand::TryRngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

/// Every token starts with this, so a leaked one is recognisable (secret scanners).
const PREFIX: &str = "cmpl_";

/// A freshly made token and the hash of its secret, which is all that is stored.
pub struct NewToken {
    /// The whole token, to show once.
    pub token: String,
    /// SHA-256 of the secret.
    pub secret_sha256: Vec<u8>,
}

/// Makes a token for client `id`.
pub fn new_token(id: Uuid) -> anyhow::Result<NewToken> {
    let mut secret = [0u8; 32];
    OsRng
        .try_fill_bytes(&mut secret)
        .map_err(|e| anyhow::anyhow!("the operating system's random generator failed: {e}"))?;
    let secret = URL_SAFE_NO_PAD.encode(secret);
    Ok(NewToken {
        token: format!("{PREFIX}{}_{secret}", id.simple()),
        secret_sha256: sha256(&secret),
    })
}

/// The client id and secret of a token, or `None` for anything not shaped like one.
pub fn parse_token(token: &str) -> Option<(Uuid, &str)> {
    let (id, secret) = token.strip_prefix(PREFIX)?.split_once('_')?;
    let id = Uuid::try_parse(id).ok()?;
    (secret.len() == 43).then_some((id, secret))
}

/// Whether `secret` is the one whose hash is `stored`, compared in constant time.
pub fn secret_matches(secret: &str, stored: &[u8]) -> bool {
    sha256(secret).ct_eq(stored).into()
}

fn sha256(secret: &str) -> Vec<u8> {
    Sha256::digest(secret.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_checks_against_its_own_hash_only() {
        let id = Uuid::now_v7();
        let made = new_token(id).unwrap();
        let (parsed_id, secret) = parse_token(&made.token).expect("a token parses");
        assert_eq!(parsed_id, id);
        assert!(secret_matches(secret, &made.secret_sha256));
        let other = new_token(id).unwrap();
        assert_ne!(made.token, other.token, "each token is random");
        assert!(!secret_matches(secret, &other.secret_sha256));
    }

    #[test]
    fn malformed_tokens_are_not_tokens() {
        for token in [
            "",
            "cmpl_",
            "cmpl_x_y",
            "Bearer x",
            "cmpl_00000000000000000000000000000000_short",
        ] {
            assert!(parse_token(token).is_none(), "{token}");
        }
    }
}
