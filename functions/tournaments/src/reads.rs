//! The public reads of a whole tournament (bracket, standings) without reading the whole
//! partition every time (issue 31). A 64-player round robin is 2,016 match items, 1.1 MB
//! of one Query: hundreds of milliseconds locally, and on AWS ~280 read units for each
//! strongly consistent read, which a reconnect storm would multiply by thousands.
//!
//! Every change to a tournament bumps META's `version` in the transaction that writes it
//! (store's module doc), and nothing a read shows is written otherwise (a start's matches
//! count only once a commit names their generation). So a tournament loaded at version
//! `v` is the tournament for as long as META still says `v`: a read asks META (one
//! GetItem) and loads the partition only when the version moved. Each instance keeps the
//! last `CAPACITY` tournaments it loaded; an instance's memory, never shared, so nothing
//! needs invalidating but by version.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use gymit_shared::dynamo::StoreError;

use crate::store::{Loaded, TournamentsStore};

/// Tournaments kept per instance (a 64-player round robin is a few MB in memory).
pub const CAPACITY: usize = 16;

/// The tournaments this instance loaded, by id, each at the version it was loaded at.
#[derive(Default)]
pub struct Loads {
    kept: Mutex<HashMap<String, Kept>>,
}

struct Kept {
    loaded: Arc<Loaded>,
    /// When it was last used, to drop the least recently used one when full.
    used: u64,
}

impl Loads {
    /// Tournament `id` as it is now: the kept copy when META's version is still its
    /// version (one GetItem), else the whole partition (one GetItem and one Query).
    pub async fn current(
        &self,
        store: &TournamentsStore,
        id: &str,
    ) -> Result<Option<Arc<Loaded>>, StoreError> {
        let Some(meta) = store.meta(id).await? else {
            return Ok(None);
        };
        if let Some(kept) = self.kept(id, meta.tournament.version) {
            return Ok(Some(kept));
        }
        let Some(loaded) = store.load(id).await? else {
            return Ok(None);
        };
        let loaded = Arc::new(loaded);
        self.keep(id, loaded.clone());
        Ok(Some(loaded))
    }

    fn kept(&self, id: &str, version: u64) -> Option<Arc<Loaded>> {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let clock = next_use(&kept);
        let entry = kept.get_mut(id)?;
        if entry.loaded.tournament().version != version {
            return None;
        }
        entry.used = clock;
        Some(entry.loaded.clone())
    }

    fn keep(&self, id: &str, loaded: Arc<Loaded>) {
        let mut kept = self.kept.lock().unwrap_or_else(|e| e.into_inner());
        let used = next_use(&kept);
        if kept.len() >= CAPACITY && !kept.contains_key(id) {
            let oldest = kept
                .iter()
                .min_by_key(|(_, k)| k.used)
                .map(|(id, _)| id.clone());
            if let Some(oldest) = oldest {
                kept.remove(&oldest);
            }
        }
        // A newer version loaded by a concurrent read stays.
        let newer_kept = kept
            .get(id)
            .is_some_and(|k| k.loaded.tournament().version > loaded.tournament().version);
        if !newer_kept {
            kept.insert(id.to_string(), Kept { loaded, used });
        }
    }
}

fn next_use(kept: &HashMap<String, Kept>) -> u64 {
    kept.values().map(|k| k.used).max().map_or(0, |m| m + 1)
}
