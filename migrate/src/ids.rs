//! New ids of legacy rows (LEGACY.md "Ids"): UUID v5 (RFC 9562: SHA-1 of the namespace and
//! the name, version and variant bits set) of `<table>:<legacy id>`, so an import run again
//! writes the same items and anyone holding a legacy id can compute the new one.

use sha1::{Digest, Sha1};
use uuid::Uuid;

/// LEGACY.md's namespace.
pub const NAMESPACE: Uuid = Uuid::from_u128(0x8f0c2a4e_6d0b_5f43_9b1e_2c7d9a6e4b10);

/// The id of row `id` of legacy table `table` (`users`, `tournaments`, `participants`).
pub fn new_id(table: &str, id: i64) -> String {
    let mut hasher = Sha1::new();
    hasher.update(NAMESPACE.as_bytes());
    hasher.update(format!("{table}:{id}").as_bytes());
    let digest = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x50;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_the_rfc_uuid_v5_of_table_and_legacy_id() {
        // Python: uuid.uuid5(UUID("8f0c2a4e-6d0b-5f43-9b1e-2c7d9a6e4b10"), "users:42")
        assert_eq!(new_id("users", 42), "d578790b-13f7-551c-901a-5ef5deccf381");
        assert_ne!(new_id("users", 42), new_id("tournaments", 42));
        assert_eq!(new_id("participants", 7), new_id("participants", 7));
    }
}
