//! The master password: the policy it must meet, and its argon2id hash.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// argon2id with 19 MiB memory, 2 passes, 1 lane (OWASP's recommended minimum).
fn hasher() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// What is wrong with a proposed password, if anything (one message per rule broken).
pub fn policy_violations(password: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    let len = password.len();
    if len < 8 {
        out.push("must be at least 8 bytes long");
    }
    if len > 72 {
        out.push("must not exceed 72 bytes");
    }
    if !password.chars().any(char::is_uppercase) {
        out.push("must contain an uppercase letter");
    }
    if !password.chars().any(|c| c.is_ascii_digit()) {
        out.push("must contain a digit");
    }
    if !password
        .chars()
        .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
    {
        out.push("must contain a special character");
    }
    out
}

/// PHC string of the argon2id hash with a fresh salt. Slow on purpose: call off the runtime.
pub fn hash(password: &str) -> Result<String, String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    hasher()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Checks a password against a stored PHC hash (parameters come from the hash). Slow on purpose.
pub fn verify(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .map(|parsed| {
            hasher()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(policy_violations("Sup3r-secret").is_empty());
        assert_eq!(policy_violations("short1!A"), Vec::<&str>::new());
        assert_eq!(
            policy_violations("Ab1!"),
            vec!["must be at least 8 bytes long"]
        );
        assert!(policy_violations("alllowercase1!").contains(&"must contain an uppercase letter"));
        assert!(policy_violations("NoDigits!!").contains(&"must contain a digit"));
        assert!(policy_violations("NoSpecial123").contains(&"must contain a special character"));
        let long = format!("A1!{}", "x".repeat(70));
        assert_eq!(policy_violations(&long), vec!["must not exceed 72 bytes"]);
    }

    #[test]
    fn hash_verifies_only_the_same_password() {
        let h = hash("Sup3r-secret").unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("Sup3r-secret", &h));
        assert!(!verify("Sup3r-secreT", &h));
        assert!(!verify("Sup3r-secret", "not a hash"));
    }
}
