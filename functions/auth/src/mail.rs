//! Sending email: Amazon SES v2 `SendEmail` through the official SDK, from one verified
//! identity (`MAIL_FROM`). The endpoint comes from `AWS_ENDPOINT_URL` like every client's,
//! so locally the very same call reaches the emulator, whose mailbox `gymit-local` lists
//! at `GET /_local/mail` (docs/security.md). No HTTP types, no DynamoDB: an adapter the
//! reset handler calls. Never logs a message's text (it carries a reset code).

use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use gymit_shared::config;

use crate::domain::Mail;

#[derive(Clone)]
pub struct Mailer {
    client: aws_sdk_sesv2::Client,
    from: String,
}

/// Why a mail was not handed to SES (its error text, already without the message).
#[derive(Debug)]
pub struct MailError(pub String);

impl std::fmt::Display for MailError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Mailer {
    pub fn new(client: aws_sdk_sesv2::Client, from: String) -> Self {
        Self { client, from }
    }

    /// The SES client (with the trace interceptor every client has) and `MAIL_FROM`.
    pub async fn from_env() -> Result<Self, config::ConfigError> {
        let from = config::required("MAIL_FROM")?;
        let sdk = gymit_shared::aws::sdk_config().await;
        let client = aws_sdk_sesv2::Client::from_conf(
            aws_sdk_sesv2::config::Builder::from(&sdk)
                .interceptor(gymit_shared::trace::Calls)
                .build(),
        );
        Ok(Self::new(client, from))
    }

    /// Sends `mail` as plain text (UTF-8) to `to`.
    pub async fn send(&self, to: &str, mail: &Mail) -> Result<(), MailError> {
        let text = |data: &str| {
            Content::builder()
                .data(data)
                .charset("UTF-8")
                .build()
                .map_err(|e| MailError(e.to_string()))
        };
        let message = Message::builder()
            .subject(text(&mail.subject)?)
            .body(Body::builder().text(text(&mail.text)?).build())
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await
            .map_err(|e| MailError(aws_sdk_sesv2::error::DisplayErrorContext(e).to_string()))?;
        Ok(())
    }
}
