//! The secrets a function holds: the token keys (to verify callers) and the cursor key
//! (to sign pagination cursors), each read once at cold start, and only by the functions
//! whose work needs it. A function's IAM policy grants `GetSecretValue` on those secrets
//! and no other (template.yaml; `local/tests/template_in_step.rs` checks it), so a public
//! read holds no key that could sign a token.

use crate::{
    config::{self, ConfigError},
    cursor::CursorKey,
    jwt::{KeySet, Tokens},
    ApiError,
};

/// Which secrets a function reads at cold start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Needs {
    /// Neither: a public read, or a function invoked by another service.
    Nothing,
    /// The token keys (`JWT_SECRET_ARN`): every function behind a protected route.
    Tokens,
    /// The cursor key (`CURSOR_SECRET_ARN`): a public listing.
    Cursors,
    /// Both: a protected listing.
    TokensAndCursors,
}

/// What a function holds of the secrets it [`Needs`].
#[derive(Clone, Default)]
pub struct Keys {
    tokens: Option<Tokens>,
    cursors: Option<CursorKey>,
}

impl Keys {
    /// Reads what `needs` names, at cold start (both secrets at once when it needs both).
    pub async fn from_env(needs: Needs) -> Result<Self, ConfigError> {
        let tokens = async {
            match needs {
                Needs::Tokens | Needs::TokensAndCursors => {
                    Ok(Some(Tokens::from_keys(&KeySet::from_env().await?)))
                }
                Needs::Nothing | Needs::Cursors => Ok(None),
            }
        };
        let cursors = async {
            match needs {
                Needs::Cursors | Needs::TokensAndCursors => cursor_key().await.map(Some),
                Needs::Nothing | Needs::Tokens => Ok(None),
            }
        };
        let (tokens, cursors) = tokio::try_join!(tokens, cursors)?;
        Ok(Self { tokens, cursors })
    }

    /// Keys given directly (in-process tests).
    pub fn given(tokens: Option<Tokens>, cursors: Option<CursorKey>) -> Self {
        Self { tokens, cursors }
    }

    /// The token keys; a function built without them answers 500 (a wiring mistake, never
    /// a caller's), and never lets a request through unverified.
    pub fn tokens(&self) -> Result<&Tokens, ApiError> {
        self.tokens.as_ref().ok_or_else(|| missing("token"))
    }

    /// The cursor key; 500 when the function was built without it, as [`Keys::tokens`].
    pub fn cursors(&self) -> Result<&CursorKey, ApiError> {
        self.cursors.as_ref().ok_or_else(|| missing("cursor"))
    }
}

/// The cursor key from `CURSOR_SECRET_ARN` (or, against an emulator, `CURSOR_SECRET`).
async fn cursor_key() -> Result<CursorKey, ConfigError> {
    let secret = config::secret_field("CURSOR_SECRET_ARN", "secret", "CURSOR_SECRET").await?;
    if secret.len() < 32 {
        return Err(ConfigError {
            name: "CURSOR_SECRET_ARN".into(),
            problem: "the cursor key must be at least 32 bytes".into(),
        });
    }
    Ok(CursorKey::derive(&secret))
}

fn missing(which: &str) -> ApiError {
    tracing::error!(
        "this function was built without the {which} key its route needs (Needs in its binary)"
    );
    ApiError::internal()
}
