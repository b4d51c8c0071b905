//! The one pagination cursor: a DynamoDB `LastEvaluatedKey` made opaque and tamper-safe.
//! The key's attributes are serialised, bound to a scope (which listing and filter it
//! belongs to) and signed with HMAC-SHA256; a cursor that was altered, forged, or taken
//! from another listing is a 400, never a 500 or a read at an arbitrary key.

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::ApiError;

type HmacSha256 = Hmac<Sha256>;

#[derive(Clone)]
pub struct CursorKey([u8; 32]);

impl CursorKey {
    /// Derived from the service secret, so there is one secret to manage.
    pub fn derive(secret: &str) -> Self {
        let mut mac = HmacSha256::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
        mac.update(b"gymit-cursor-v1");
        Self(mac.finalize().into_bytes().into())
    }

    fn mac(&self, scope: &str, payload: &[u8]) -> HmacSha256 {
        let mut mac = HmacSha256::new_from_slice(&self.0).expect("HMAC takes any key");
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(payload);
        mac
    }

    /// Encodes a `LastEvaluatedKey` (string and number attributes only: key attributes).
    pub fn encode(&self, scope: &str, key: &HashMap<String, AttributeValue>) -> String {
        let mut parts: Vec<(&String, (&str, &String))> = key
            .iter()
            .filter_map(|(name, value)| match value {
                AttributeValue::S(s) => Some((name, ("S", s))),
                AttributeValue::N(n) => Some((name, ("N", n))),
                _ => None,
            })
            .collect();
        parts.sort();
        let payload = serde_json::to_vec(&parts).unwrap_or_default();
        let tag = self.mac(scope, &payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    /// Decodes and verifies a cursor for `scope`; anything wrong is 400 `bad_request`.
    pub fn decode(
        &self,
        scope: &str,
        cursor: &str,
    ) -> Result<HashMap<String, AttributeValue>, ApiError> {
        let invalid = || ApiError::bad_request("the cursor is not valid for this listing");
        if cursor.len() > 2048 {
            return Err(invalid());
        }
        let (payload, tag) = cursor.split_once('.').ok_or_else(invalid)?;
        let payload = URL_SAFE_NO_PAD.decode(payload).map_err(|_| invalid())?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        self.mac(scope, &payload)
            .verify_slice(&tag)
            .map_err(|_| invalid())?;
        let parts: Vec<(String, (String, String))> =
            serde_json::from_slice(&payload).map_err(|_| invalid())?;
        parts
            .into_iter()
            .map(|(name, (kind, value))| match kind.as_str() {
                "S" => Ok((name, AttributeValue::S(value))),
                "N" => Ok((name, AttributeValue::N(value))),
                _ => Err(invalid()),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> HashMap<String, AttributeValue> {
        HashMap::from([
            ("pk".to_string(), AttributeValue::S("USER#1".into())),
            ("created".to_string(), AttributeValue::N("42".into())),
        ])
    }

    #[test]
    fn a_cursor_round_trips() {
        let k = CursorKey::derive("a-secret-that-is-long-enough-for-tests");
        let c = k.encode("users", &key());
        assert_eq!(k.decode("users", &c).unwrap(), key());
    }

    #[test]
    fn forged_tampered_or_foreign_cursors_are_refused() {
        let k = CursorKey::derive("a-secret-that-is-long-enough-for-tests");
        let c = k.encode("users", &key());
        let other = CursorKey::derive("another-secret-that-is-long-enough!!");
        assert_eq!(k.decode("tournaments", &c).unwrap_err().status, 400);
        assert_eq!(
            k.decode("users", &other.encode("users", &key()))
                .unwrap_err()
                .status,
            400
        );
        let (payload, tag) = c.split_once('.').unwrap();
        let forged = format!(
            "{}.{tag}",
            URL_SAFE_NO_PAD.encode(br#"[["pk",["S","USER#2"]]]"#)
        );
        assert_eq!(k.decode("users", &forged).unwrap_err().status, 400);
        for junk in ["", "abc", "a.b", "%%%.%%%", payload] {
            assert_eq!(k.decode("users", junk).unwrap_err().status, 400, "{junk}");
        }
    }
}
