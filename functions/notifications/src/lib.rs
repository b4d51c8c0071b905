//! The notification service: WebSocket connections, subscriptions and the fan-out of
//! tournament events. Layers: `handlers` → `domain` ← `store`.

pub mod handlers;
