//! The WebSocket protocol of API.md ("Notification service"), without I/O: what a client
//! may send, what the server answers, and what a tournament event looks like on the wire.

use gymit_shared::events::Event;
use serde_json::{json, Value};

/// Largest client message (one API Gateway WebSocket frame).
pub const MAX_MESSAGE_BYTES: usize = 32 * 1024;

/// The tournament id that names the lobby: `tournament.*` events of every tournament.
pub const LOBBY: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Subscribe(String),
    Unsubscribe(String),
    Ping,
}

/// A refused message: `{"type":"error","code","message"}`; the connection stays open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl Refusal {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    pub fn to_json(&self) -> Value {
        json!({ "type": "error", "code": self.code, "message": self.message })
    }
}

/// Parses one client message.
pub fn parse(body: &[u8]) -> Result<Action, Refusal> {
    if body.len() > MAX_MESSAGE_BYTES {
        return Err(Refusal::new(
            "message_too_large",
            format!("messages are limited to {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| Refusal::new("malformed_message", "the message is not valid JSON"))?;
    let Some(object) = value.as_object() else {
        return Err(Refusal::new(
            "malformed_message",
            "the message must be a JSON object",
        ));
    };
    let action = match object.get("action") {
        Some(Value::String(a)) => a.as_str(),
        Some(_) => {
            return Err(Refusal::new(
                "validation_error",
                "`action` must be a string",
            ))
        }
        None => return Err(Refusal::new("validation_error", "`action` is required")),
    };
    match action {
        "subscribe" => tournament_id(object.get("tournament_id")).map(Action::Subscribe),
        "unsubscribe" => tournament_id(object.get("tournament_id")).map(Action::Unsubscribe),
        "ping" => Ok(Action::Ping),
        _ => Err(Refusal::new(
            "unknown_action",
            "`action` must be one of subscribe, unsubscribe, ping",
        )),
    }
}

/// A tournament id (a UUID, as the tournament service issues them) or the lobby.
fn tournament_id(v: Option<&Value>) -> Result<String, Refusal> {
    let invalid = || {
        Refusal::new(
            "validation_error",
            "`tournament_id` must be a tournament id or \"*\"",
        )
    };
    let id = v.and_then(Value::as_str).ok_or_else(invalid)?;
    if id == LOBBY || uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id) {
        Ok(id.to_string())
    } else {
        Err(invalid())
    }
}

/// The frame a subscriber receives for a tournament event.
pub fn event_frame(e: &Event) -> Value {
    json!({
        "type": e.event_type,
        "event_id": e.event_id,
        "tournament_id": e.entity.1,
        "occurred_at": e.occurred_at,
        "data": e.data,
    })
}

/// What a tournament event is, as far as who receives it is concerned (API.md: the lobby
/// receives the `tournament.*` events of every tournament, and nothing else).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// `tournament.created`, a tournament's first event: the service learns of it here.
    TournamentCreated,
    /// Any other `tournament.*` event: the tournament's subscribers and the lobby.
    TournamentChanged,
    /// `participant.*`, `match.*`, `waitlist.*` and whatever else happens inside a
    /// tournament: its subscribers only.
    InTournament,
}

impl EventKind {
    pub fn of(event_type: &str) -> Self {
        match event_type {
            "tournament.created" => EventKind::TournamentCreated,
            t if t.starts_with("tournament.") => EventKind::TournamentChanged,
            _ => EventKind::InTournament,
        }
    }

    /// Whether lobby subscribers receive events of this kind.
    pub fn reaches_lobby(self) -> bool {
        self != EventKind::InTournament
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0193a3e4-1111-7000-8000-000000000001";

    #[test]
    fn the_three_actions_parse() {
        let sub = format!(r#"{{"action":"subscribe","tournament_id":"{ID}"}}"#);
        assert_eq!(parse(sub.as_bytes()), Ok(Action::Subscribe(ID.into())));
        let unsub = format!(r#"{{"action":"unsubscribe","tournament_id":"{ID}"}}"#);
        assert_eq!(parse(unsub.as_bytes()), Ok(Action::Unsubscribe(ID.into())));
        assert_eq!(
            parse(br#"{"action":"subscribe","tournament_id":"*"}"#),
            Ok(Action::Subscribe("*".into()))
        );
        assert_eq!(parse(br#"{"action":"ping"}"#), Ok(Action::Ping));
    }

    #[test]
    fn bad_messages_are_refused_with_a_code() {
        let code = |body: &[u8]| parse(body).unwrap_err().code;
        assert_eq!(code(b"{not json"), "malformed_message");
        assert_eq!(code(b"[1,2]"), "malformed_message");
        assert_eq!(code(b""), "malformed_message");
        assert_eq!(code(br#"{"tournament_id":"*"}"#), "validation_error");
        assert_eq!(code(br#"{"action":7}"#), "validation_error");
        assert_eq!(code(br#"{"action":"dance"}"#), "unknown_action");
        assert_eq!(code(br#"{"action":"subscribe"}"#), "validation_error");
        assert_eq!(
            code(br#"{"action":"subscribe","tournament_id":"TOURNAMENT#x"}"#),
            "validation_error"
        );
        assert_eq!(
            code(br#"{"action":"subscribe","tournament_id":12}"#),
            "validation_error"
        );
        let mut big = br#"{"action":"ping","pad":""#.to_vec();
        big.resize(MAX_MESSAGE_BYTES + 1, b'x');
        assert_eq!(code(&big), "message_too_large");
    }

    #[test]
    fn an_event_frame_has_the_fields_of_the_contract() {
        let e = Event::new(
            "match.completed",
            "tournament_id",
            ID,
            json!({ "match": { "id": "m1" }, "updated_matches": [] }),
        );
        let frame = event_frame(&e);
        assert_eq!(frame["type"], "match.completed");
        assert_eq!(frame["event_id"], e.event_id.as_str());
        assert_eq!(frame["tournament_id"], ID);
        assert_eq!(frame["occurred_at"], e.occurred_at.as_str());
        assert_eq!(frame["data"]["match"]["id"], "m1");
    }

    #[test]
    fn only_tournament_events_reach_the_lobby_and_only_created_announces_one() {
        use EventKind::*;
        for (t, kind) in [
            ("tournament.created", TournamentCreated),
            ("tournament.started", TournamentChanged),
            ("tournament.cancelled", TournamentChanged),
            ("match.completed", InTournament),
            ("participant.joined", InTournament),
            ("waitlist.updated", InTournament),
            ("tournaments.created", InTournament),
        ] {
            assert_eq!(EventKind::of(t), kind, "{t}");
        }
        assert!(TournamentCreated.reaches_lobby());
        assert!(TournamentChanged.reaches_lobby());
        assert!(!InTournament.reaches_lobby());
    }
}
