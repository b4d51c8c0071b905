//! The shard reader: learns the stream's shards, keeps an iterator per shard renewed from
//! the last sequence number read, follows closed shards to their children, and hands what
//! each read returns (filtered) to delivery in batches of `BatchSize`.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use aws_sdk_dynamodbstreams::{types::ShardIteratorType, Client};
use serde_json::Value;

use super::{
    records::{age_ms, matches, record_json},
    Mapping,
};

const POLL: Duration = Duration::from_millis(100);
/// How often an iterator is renewed from the last sequence number read, and the stream
/// described for new or closed shards.
const RENEW: Duration = Duration::from_secs(1);

/// Where a shard is read from next.
#[derive(Debug)]
struct Shard {
    parent: Option<String>,
    /// The last sequence number read; where the next iterator starts (after it).
    last: Option<String>,
    /// Where to start when nothing was read yet.
    start: ShardIteratorType,
    iterator: Option<String>,
    renewed: Instant,
    /// Closed and read to its end: its children may start.
    drained: bool,
}

impl Mapping {
    pub(super) async fn run(self) {
        let client = Client::new(&crate::sdk_config().await);
        let mut shards: HashMap<String, Shard> = HashMap::new();
        let mut described: Option<Instant> = None;
        let mut failures = 0u32;
        loop {
            if described.is_none_or(|t| t.elapsed() >= RENEW) {
                match self
                    .describe(&client, &mut shards, described.is_none())
                    .await
                {
                    Ok(()) => described = Some(Instant::now()),
                    Err(e) => self.failed(&format!("DescribeStream: {e}")),
                }
            }
            let ready: Vec<String> = shards
                .iter()
                .filter(|(_, s)| !s.drained)
                .filter(|(_, s)| {
                    s.parent
                        .as_ref()
                        .and_then(|p| shards.get(p))
                        .is_none_or(|p| p.drained)
                })
                .map(|(id, _)| id.clone())
                .collect();
            let mut ok = true;
            for id in ready {
                if let Some(shard) = shards.get_mut(&id) {
                    if let Err(e) = self.read(&client, &id, shard).await {
                        self.failed(&e);
                        shard.iterator = None;
                        ok = false;
                    }
                }
            }
            failures = if ok { 0 } else { failures + 1 };
            let backoff = POLL * 2u32.pow(failures.min(5));
            tokio::time::sleep(backoff).await;
        }
    }

    /// Learns the stream's shards: new ones start where the mapping says (the first
    /// description) or at their beginning (shards that appear later).
    async fn describe(
        &self,
        client: &Client,
        shards: &mut HashMap<String, Shard>,
        first: bool,
    ) -> Result<(), String> {
        let out = client
            .describe_stream()
            .stream_arn(&self.stream_arn)
            .send()
            .await
            .map_err(|e| crate::sdk_error(&e))?;
        for shard in out
            .stream_description
            .and_then(|d| d.shards)
            .unwrap_or_default()
        {
            let Some(id) = shard.shard_id else { continue };
            shards.entry(id).or_insert_with(|| Shard {
                parent: shard.parent_shard_id,
                last: None,
                start: if first && !self.source.trim_horizon {
                    ShardIteratorType::Latest
                } else {
                    ShardIteratorType::TrimHorizon
                },
                iterator: None,
                renewed: Instant::now(),
                drained: false,
            });
        }
        let count = shards.len();
        self.mappings.update(self.index, |s| s.shards = count);
        Ok(())
    }

    /// One GetRecords on a shard, and the delivery of what it returned.
    async fn read(&self, client: &Client, id: &str, shard: &mut Shard) -> Result<(), String> {
        if shard.iterator.is_none() || (shard.last.is_some() && shard.renewed.elapsed() >= RENEW) {
            let request = client
                .get_shard_iterator()
                .stream_arn(&self.stream_arn)
                .shard_id(id);
            let request = match &shard.last {
                Some(seq) => request
                    .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
                    .sequence_number(seq),
                None => request.shard_iterator_type(shard.start.clone()),
            };
            let out = request
                .send()
                .await
                .map_err(|e| format!("GetShardIterator: {}", crate::sdk_error(&e)))?;
            shard.iterator = out.shard_iterator;
            shard.renewed = Instant::now();
            if shard.iterator.is_none() {
                shard.drained = true;
                return Ok(());
            }
        }
        let Some(iterator) = shard.iterator.clone() else {
            return Ok(());
        };
        let out = client
            .get_records()
            .shard_iterator(iterator)
            .limit(1000)
            .send()
            .await
            .map_err(|e| format!("GetRecords: {}", crate::sdk_error(&e)))?;
        let records = out.records.unwrap_or_default();
        shard.iterator = out.next_shard_iterator;
        if shard.iterator.is_none() {
            shard.drained = true;
        }
        let newest_age = records
            .iter()
            .filter_map(|r| r.dynamodb.as_ref()?.approximate_creation_date_time)
            .map(|t| age_ms(t.secs()))
            .min();
        if let Some(last) = records
            .last()
            .and_then(|r| r.dynamodb.as_ref()?.sequence_number.clone())
        {
            shard.last = Some(last);
        }
        let events: Vec<Value> = records
            .iter()
            .map(|r| record_json(r, &self.stream_arn))
            .filter(|r| {
                self.source.filters.is_empty() || self.source.filters.iter().any(|p| matches(p, r))
            })
            .collect();
        let read = records.len() as u64;
        let last = shard.last.clone();
        self.mappings.update(self.index, |s| {
            s.records_read += read;
            s.last_sequence_number = last;
            s.last_poll = Some(Instant::now());
            if let Some(age) = newest_age {
                s.iterator_age_ms = age;
            }
        });
        for batch in events.chunks(self.source.batch_size.max(1)) {
            self.deliver(id, batch.to_vec()).await;
        }
        Ok(())
    }
}
