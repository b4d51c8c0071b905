//! The local mailbox: `GET /_local/mail?to=<email>` lists the emails the functions sent
//! through SES to that address, newest first, as `{items: [{to, subject, text, sent_at}]}`
//! (API.md v1.1, "Password reset"). The functions send with `aws-sdk-sesv2` to the
//! emulator, the one code path they have; the emulator keeps the messages and lists them
//! at `GET /_aws/ses` (local/emulator.py; LocalStack serves the same endpoint), which is
//! read here on every request. Like every `/_local/*` endpoint it answers this machine
//! only (`gateway::local_only`): a reset code must not reach a web page of another site.
//! Layer 1 (reads the emulator only).

use axum::{extract::Query, http::StatusCode, response::IntoResponse, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One email as `/_local/mail` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub sent_at: String,
}

#[derive(Deserialize)]
pub struct MailQuery {
    to: Option<String>,
}

/// The emulator's endpoint (`AWS_ENDPOINT_URL`, set by the supervisor).
fn emulator() -> String {
    std::env::var("AWS_ENDPOINT_URL").unwrap_or_else(|_| "http://127.0.0.1:4566".into())
}

/// The emails sent to `to` (every email without it), newest first. Addresses compare
/// case-insensitively, as mail systems treat the domain (and GymIT stores lower case).
pub async fn mailbox(endpoint: &str, to: Option<&str>) -> Result<Vec<Mail>, String> {
    let url = format!("{}/_aws/ses", endpoint.trim_end_matches('/'));
    let answer: Value = reqwest::get(&url)
        .await
        .and_then(|r| r.error_for_status())
        .map_err(|e| format!("{url}: {e}"))?
        .json()
        .await
        .map_err(|e| format!("{url}: {e}"))?;
    let wanted = to.map(|t| t.trim().to_lowercase());
    let mut items = Vec::new();
    for message in answer["messages"].as_array().into_iter().flatten() {
        let text = message["Body"]["text_part"]
            .as_str()
            .or_else(|| message["Body"]["html_part"].as_str())
            .unwrap_or_default();
        let recipients = message["Destination"]["ToAddresses"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str);
        for recipient in recipients {
            if wanted
                .as_deref()
                .is_some_and(|w| recipient.to_lowercase() != w)
            {
                continue;
            }
            items.push(Mail {
                to: recipient.to_string(),
                subject: message["Subject"].as_str().unwrap_or_default().to_string(),
                text: text.to_string(),
                sent_at: message["Timestamp"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            });
        }
    }
    // The emulator lists oldest first; RFC 3339 UTC times sort as text. Stable: two
    // emails of one millisecond keep their order, reversed.
    items.reverse();
    items.sort_by(|a, b| b.sent_at.cmp(&a.sent_at));
    Ok(items)
}

/// `GET /_local/mail?to=<email>`.
pub async fn serve(Query(query): Query<MailQuery>) -> impl IntoResponse {
    match mailbox(&emulator(), query.to.as_deref()).await {
        Ok(items) => (StatusCode::OK, Json(json!({ "items": items }))),
        Err(e) => {
            tracing::warn!(error = %e, "the emulator's mailbox could not be read");
            (
                StatusCode::BAD_GATEWAY,
                Json(json!({ "message": "the emulator's mailbox could not be read" })),
            )
        }
    }
}
