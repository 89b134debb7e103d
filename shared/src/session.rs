//! Session tokens: HS256 JWTs (RFC 7519) carrying a session id, issued-at and expiry.
//!
//! The agent issues tokens; the agent and the edge verify them with the deployment's signing key.
//! The session id inside a token is a random secret: the agent's store keeps only its SHA-256
//! ([`session_key`]), so a copy of the database cannot be replayed as a token. Verification here
//! checks the signature and the expiry only — whether the session is still live (not logged out,
//! not replaced by a newer login) is the store's answer.
//!
//! Only HS256 is spoken, so the three parts of a token are written and read here, on `hmac` +
//! `sha2`, rather than through a general JWT library: the edge checks a token at the start of
//! every request in a fresh component instance, and a general library's header model (key sets,
//! certificate chains, every algorithm) made that check take several times longer and each
//! component ~86 KB larger. The signature is checked, in constant time, over the exact bytes
//! received before any part is parsed; the header must name HS256. Tokens are byte for byte
//! what the library issued before, so sessions survive an upgrade.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "bangui_session";

/// The response header in which the edge hands a bearer client its re-signed token after
/// revalidating the session (cookie clients get a new [`COOKIE_NAME`] cookie instead).
pub const REFRESHED_TOKEN_HEADER: &str = "x-bangui-session-token";

/// Shortest accepted signing key.
pub const MIN_KEY_BYTES: usize = 32;

/// Longest token looked at (ours are ~170 bytes).
const MAX_TOKEN_BYTES: usize = 4096;

/// The protected header of every token issued here.
const HEADER_JSON: &str = r#"{"typ":"JWT","alg":"HS256"}"#;

/// What a token says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// Random session secret (base64url); never stored in clear.
    pub sid: String,
    /// Issued at, Unix seconds.
    pub iat: i64,
    /// Expires at, Unix seconds.
    pub exp: i64,
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    #[error("signing key shorter than {MIN_KEY_BYTES} bytes")]
    WeakKey,
    #[error("session token is malformed")]
    Malformed,
    #[error("session token signature is invalid")]
    BadSignature,
    #[error("session token has expired")]
    Expired,
    #[error("cannot create session token")]
    Signing,
}

/// The SHA-256 (hex) of a session id: how the store names a session.
pub fn session_key(sid: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    Sha256::digest(sid.as_bytes())
        .iter()
        .flat_map(|b| [HEX[usize::from(b >> 4)], HEX[usize::from(b & 0x0f)]])
        .map(char::from)
        .collect()
}

/// Signs claims with `key`.
pub fn sign(claims: &Claims, key: &[u8]) -> Result<String, TokenError> {
    let payload = serde_json::to_vec(claims).map_err(|_| TokenError::Signing)?;
    encode(HEADER_JSON, &payload, key)
}

/// `header.payload.signature`, each part base64url without padding.
fn encode(header_json: &str, payload_json: &[u8], key: &[u8]) -> Result<String, TokenError> {
    let mut token = URL_SAFE_NO_PAD.encode(header_json);
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(payload_json, &mut token);
    let signature = hs256(key)?.chain_update(&token).finalize().into_bytes();
    token.push('.');
    URL_SAFE_NO_PAD.encode_string(signature, &mut token);
    Ok(token)
}

/// Verifies `token` against `key` at `now` (Unix seconds) and returns its claims.
pub fn verify(token: &str, key: &[u8], now: i64) -> Result<Claims, TokenError> {
    let mac = hs256(key)?;
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::Malformed);
    }
    let (signed, signature) = token.rsplit_once('.').ok_or(TokenError::Malformed)?;
    let (header, payload) = signed.split_once('.').ok_or(TokenError::Malformed)?;
    let signature = URL_SAFE_NO_PAD
        .decode(signature)
        .map_err(|_| TokenError::Malformed)?;
    mac.chain_update(signed.as_bytes())
        .verify_slice(&signature)
        .map_err(|_| TokenError::BadSignature)?;
    let header: Header = decode_part(header)?;
    if header.alg != "HS256" {
        return Err(TokenError::Malformed);
    }
    let claims: Claims = decode_part(payload)?;
    if claims.sid.is_empty() || claims.exp <= claims.iat {
        return Err(TokenError::Malformed);
    }
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

/// The header members read; others (`typ`, `kid`…) are ignored.
#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// A base64url (unpadded) JSON part of a token.
fn decode_part<T: DeserializeOwned>(part: &str) -> Result<T, TokenError> {
    let json = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|_| TokenError::Malformed)?;
    serde_json::from_slice(&json).map_err(|_| TokenError::Malformed)
}

/// HMAC-SHA256 keyed with `key`.
fn hs256(key: &[u8]) -> Result<Hmac<Sha256>, TokenError> {
    if key.len() < MIN_KEY_BYTES {
        return Err(TokenError::WeakKey);
    }
    Hmac::<Sha256>::new_from_slice(key).map_err(|_| TokenError::WeakKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn claims() -> Claims {
        Claims {
            sid: "c2Vzc2lvbi1zZWNyZXQ".into(),
            iat: 1_000,
            exp: 2_000,
        }
    }

    #[test]
    fn signed_token_verifies_until_expiry() {
        let token = sign(&claims(), KEY).unwrap();
        assert_eq!(verify(&token, KEY, 1_500).unwrap(), claims());
        assert_eq!(verify(&token, KEY, 2_000), Err(TokenError::Expired));
    }

    #[test]
    fn other_key_tampering_and_garbage_are_refused() {
        let token = sign(&claims(), KEY).unwrap();
        let other = b"ffffffffffffffffffffffffffffffff";
        assert_eq!(verify(&token, other, 1_500), Err(TokenError::BadSignature));

        // Swap the payload for one with a later expiry, keep the signature.
        let parts: Vec<&str> = token.split('.').collect();
        let forged_claims = Claims {
            exp: 9_999_999,
            ..claims()
        };
        let forged = sign(&forged_claims, other).unwrap();
        let forged_payload = forged.split('.').nth(1).unwrap();
        let tampered = format!("{}.{}.{}", parts[0], forged_payload, parts[2]);
        assert_eq!(verify(&tampered, KEY, 1_500), Err(TokenError::BadSignature));

        assert_eq!(
            verify("not.a.token", KEY, 1_500),
            Err(TokenError::Malformed)
        );
        assert_eq!(verify("", KEY, 1_500), Err(TokenError::Malformed));
    }

    #[test]
    fn alg_none_is_refused() {
        // {"alg":"none","typ":"JWT"} . {"sid":"x","iat":1000,"exp":2000} . (no signature)
        let token =
            "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJzaWQiOiJ4IiwiaWF0IjoxMDAwLCJleHAiOjIwMDB9.";
        assert!(verify(token, KEY, 1_500).is_err());
    }

    /// Issued by the JWT library this module replaced (same claims and key): still valid, and
    /// issued the same way.
    const ISSUED_BEFORE: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9.eyJzaWQiOiJjMlZ6YzJsdmJpMXpaV055WlhRIiwiaWF0IjoxMDAwLCJleHAiOjIwMDB9.h8lpbDIxV3f2Nls6uhU0YsH6XsjpZVdttSAi_FwLLK0";

    #[test]
    fn tokens_issued_before_still_verify_and_are_issued_alike() {
        assert_eq!(verify(ISSUED_BEFORE, KEY, 1_500).unwrap(), claims());
        assert_eq!(sign(&claims(), KEY).unwrap(), ISSUED_BEFORE);
    }

    /// A token with this header and payload JSON, signed with `KEY`.
    fn signed_with(header: &str, payload: &str) -> String {
        encode(header, payload.as_bytes(), KEY).unwrap()
    }

    #[test]
    fn the_header_must_name_hs256_and_may_carry_more() {
        let payload = r#"{"sid":"x","iat":1000,"exp":2000}"#;
        let kid = signed_with(r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#, payload);
        assert_eq!(verify(&kid, KEY, 1_500).unwrap().sid, "x");
        let headers = [
            r#"{"alg":"HS512"}"#,
            r#"{"alg":"none"}"#,
            r#"{"typ":"JWT"}"#,
            "[]",
        ];
        assert_all_malformed(headers.map(|header| signed_with(header, payload)));
    }

    /// Each token, though signed with `KEY`, is refused as malformed.
    fn assert_all_malformed(tokens: impl IntoIterator<Item = String>) {
        for token in tokens {
            assert_eq!(
                verify(&token, KEY, 1_500),
                Err(TokenError::Malformed),
                "{token}"
            );
        }
    }

    #[test]
    fn padded_truncated_or_extended_parts_are_refused() {
        let (signed, signature) = ISSUED_BEFORE.rsplit_once('.').unwrap();
        let padded = format!("{ISSUED_BEFORE}=");
        let short = &ISSUED_BEFORE[..ISSUED_BEFORE.len() - 2];
        let extra = format!("{signed}.e30.{signature}");
        let two_parts = format!("{}.{signature}", signed.split_once('.').unwrap().0);
        for token in [padded.as_str(), short, &extra, &two_parts] {
            assert!(verify(token, KEY, 1_500).is_err(), "{token}");
        }
        let long = format!("{ISSUED_BEFORE}{}", "A".repeat(MAX_TOKEN_BYTES));
        assert_eq!(verify(&long, KEY, 1_500), Err(TokenError::Malformed));
    }

    #[test]
    fn claims_that_cannot_be_a_session_are_refused() {
        let payloads = [
            r#"{"sid":"","iat":1000,"exp":2000}"#,
            r#"{"sid":"x","iat":2000,"exp":2000}"#,
            r#"{"sid":"x","iat":1000}"#,
            "not json",
        ];
        assert_all_malformed(payloads.map(|payload| signed_with(HEADER_JSON, payload)));
        assert_eq!(
            verify(ISSUED_BEFORE, b"short", 1_500),
            Err(TokenError::WeakKey)
        );
    }

    #[test]
    fn short_keys_are_refused() {
        assert_eq!(sign(&claims(), b"short"), Err(TokenError::WeakKey));
    }

    #[test]
    fn session_key_is_sha256_hex() {
        assert_eq!(
            session_key("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
