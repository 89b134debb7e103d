//! Session tokens: HS256 JWTs carrying a session id, issued-at and expiry.
//!
//! The agent issues tokens; the agent and the edge verify them with the deployment's signing key.
//! The session id inside a token is a random secret: the agent's store keeps only its SHA-256
//! ([`session_key`]), so a copy of the database cannot be replayed as a token. Verification here
//! checks the signature and the expiry only — whether the session is still live (not logged out,
//! not replaced by a newer login) is the store's answer.
//!
//! jsonwebtoken's own providers link RSA/EC code (or need aws-lc, which does not build for wasm);
//! this module installs a small HS256-only provider on `hmac` + `sha2` instead.

use std::sync::OnceLock;

use hmac::{Hmac, KeyInit, Mac};
use jsonwebtoken::crypto::{CryptoProvider, JwtSigner, JwtVerifier, KeyUtils};
use jsonwebtoken::errors::{ErrorKind, Result as JwtResult};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Name of the session cookie.
pub const COOKIE_NAME: &str = "bangui_session";

/// Shortest accepted signing key.
pub const MIN_KEY_BYTES: usize = 32;

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
    let digest = Sha256::digest(sid.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Signs claims with `key`.
pub fn sign(claims: &Claims, key: &[u8]) -> Result<String, TokenError> {
    ensure_provider();
    if key.len() < MIN_KEY_BYTES {
        return Err(TokenError::WeakKey);
    }
    let key = EncodingKey::from_secret(key).map_err(|_| TokenError::WeakKey)?;
    jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &key)
        .map_err(|_| TokenError::Signing)
}

/// Verifies signature and expiry against `now` (Unix seconds; the caller owns the clock).
pub fn verify(token: &str, key: &[u8], now: i64) -> Result<Claims, TokenError> {
    ensure_provider();
    if key.len() < MIN_KEY_BYTES {
        return Err(TokenError::WeakKey);
    }
    if token.len() > 4096 {
        return Err(TokenError::Malformed);
    }
    let key = DecodingKey::from_secret(key).map_err(|_| TokenError::WeakKey)?;
    let mut validation = Validation::new(Algorithm::HS256);
    // Expiry is checked below against the caller's clock, without leeway.
    validation.validate_exp = false;
    validation.required_spec_claims.clear();
    let data =
        jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => TokenError::BadSignature,
            _ => TokenError::Malformed,
        })?;
    let claims = data.claims;
    if claims.sid.is_empty() || claims.exp <= claims.iat {
        return Err(TokenError::Malformed);
    }
    if now >= claims.exp {
        return Err(TokenError::Expired);
    }
    Ok(claims)
}

type HmacSha256 = Hmac<Sha256>;

struct Hs256(HmacSha256);

impl signature::Signer<Vec<u8>> for Hs256 {
    fn try_sign(&self, msg: &[u8]) -> Result<Vec<u8>, signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        Ok(mac.finalize().into_bytes().to_vec())
    }
}

impl signature::Verifier<Vec<u8>> for Hs256 {
    fn verify(&self, msg: &[u8], signature: &Vec<u8>) -> Result<(), signature::Error> {
        let mut mac = self.0.clone();
        mac.update(msg);
        mac.verify_slice(signature)
            .map_err(|_| signature::Error::new())
    }
}

impl JwtSigner for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

impl JwtVerifier for Hs256 {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HS256
    }
}

fn hs256(alg: &Algorithm, key: &[u8]) -> JwtResult<Hs256> {
    if *alg != Algorithm::HS256 {
        return Err(ErrorKind::InvalidAlgorithm.into());
    }
    HmacSha256::new_from_slice(key)
        .map(Hs256)
        .map_err(|_| ErrorKind::InvalidKeyFormat.into())
}

fn signer(alg: &Algorithm, key: &EncodingKey) -> JwtResult<Box<dyn JwtSigner>> {
    Ok(Box::new(hs256(alg, key.as_bytes())?))
}

fn verifier(alg: &Algorithm, key: &DecodingKey) -> JwtResult<Box<dyn JwtVerifier>> {
    Ok(Box::new(hs256(alg, key.try_get_as_bytes()?)?))
}

static HS256_ONLY: CryptoProvider = CryptoProvider {
    signer_factory: signer,
    verifier_factory: verifier,
    key_utils: KeyUtils::new_unimplemented(),
};

/// Installs the HS256 provider once per process (a provider installed by someone else stays).
fn ensure_provider() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        let _ = HS256_ONLY.install_default();
    });
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
