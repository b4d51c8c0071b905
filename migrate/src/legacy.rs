//! The monolith's database as the importer reads it (LEGACY.md's schema): one struct per
//! table, read whole in id order through `tokio-postgres`. Nothing here decides anything;
//! `plan` does.

use chrono::{DateTime, Utc};
use tokio_postgres::{Client, NoTls, Row};

#[derive(Debug, Clone, PartialEq)]
pub struct LegacyUser {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: String,
    pub is_active: bool,
    pub is_approved: bool,
    pub is_banned: bool,
    pub is_root_admin: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LegacyTournament {
    pub id: i64,
    pub name: String,
    pub description: Option<String>,
    pub start_date: DateTime<Utc>,
    pub max_participants: i32,
    pub tournament_type: String,
    pub status: String,
    pub third_place_match: bool,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LegacyParticipant {
    pub id: i64,
    pub tournament_id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub seed: Option<i32>,
    pub joined_at: DateTime<Utc>,
}

/// A row of `brackets`: one match.
#[derive(Debug, Clone, PartialEq)]
pub struct LegacyMatch {
    pub id: i64,
    pub tournament_id: i64,
    pub bracket: String,
    pub round: i32,
    pub match_number: i32,
    pub participant1_id: Option<i64>,
    pub participant2_id: Option<i64>,
    pub winner_id: Option<i64>,
    pub score: Option<String>,
    pub updated_at: DateTime<Utc>,
}

/// The whole legacy database.
#[derive(Debug, Clone, Default)]
pub struct Legacy {
    pub users: Vec<LegacyUser>,
    pub tournaments: Vec<LegacyTournament>,
    pub participants: Vec<LegacyParticipant>,
    pub matches: Vec<LegacyMatch>,
}

/// Connects to the monolith's database (no TLS: run it beside the database or through a
/// tunnel).
pub async fn connect(url: &str) -> Result<Client, tokio_postgres::Error> {
    let (client, connection) = tokio_postgres::connect(url, NoTls).await?;
    tokio::spawn(async move {
        if let Err(e) = connection.await {
            eprintln!("gymit-migrate: the PostgreSQL connection ended: {e}");
        }
    });
    Ok(client)
}

/// Reads every table in one repeatable-read snapshot, so the rows agree with each other
/// even while the monolith keeps writing (dual running).
pub async fn read(client: &mut Client) -> Result<Legacy, tokio_postgres::Error> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let users = tx
        .query(
            "SELECT id, email, password_hash, full_name, role, is_active, is_approved, \
             is_banned, is_root_admin, created_at, updated_at FROM users ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(user)
        .collect::<Result<_, _>>()?;
    let tournaments = tx
        .query(
            "SELECT id, name, description, start_date, max_participants, tournament_type, \
             status, third_place_match, created_by, created_at, updated_at \
             FROM tournaments ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(tournament)
        .collect::<Result<_, _>>()?;
    let participants = tx
        .query(
            "SELECT id, tournament_id, user_id, name, seed, joined_at FROM participants \
             ORDER BY tournament_id, id",
            &[],
        )
        .await?
        .iter()
        .map(participant)
        .collect::<Result<_, _>>()?;
    let matches = tx
        .query(
            "SELECT id, tournament_id, bracket, round, match_number, participant1_id, \
             participant2_id, winner_id, score, updated_at FROM brackets \
             ORDER BY tournament_id, id",
            &[],
        )
        .await?
        .iter()
        .map(legacy_match)
        .collect::<Result<_, _>>()?;
    tx.commit().await?;
    Ok(Legacy {
        users,
        tournaments,
        participants,
        matches,
    })
}

fn user(r: &Row) -> Result<LegacyUser, tokio_postgres::Error> {
    Ok(LegacyUser {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        password_hash: r.try_get("password_hash")?,
        full_name: r.try_get("full_name")?,
        role: r.try_get("role")?,
        is_active: r.try_get("is_active")?,
        is_approved: r.try_get("is_approved")?,
        is_banned: r.try_get("is_banned")?,
        is_root_admin: r.try_get("is_root_admin")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn tournament(r: &Row) -> Result<LegacyTournament, tokio_postgres::Error> {
    Ok(LegacyTournament {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        start_date: r.try_get("start_date")?,
        max_participants: r.try_get("max_participants")?,
        tournament_type: r.try_get("tournament_type")?,
        status: r.try_get("status")?,
        third_place_match: r.try_get("third_place_match")?,
        created_by: r.try_get("created_by")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

fn participant(r: &Row) -> Result<LegacyParticipant, tokio_postgres::Error> {
    Ok(LegacyParticipant {
        id: r.try_get("id")?,
        tournament_id: r.try_get("tournament_id")?,
        user_id: r.try_get("user_id")?,
        name: r.try_get("name")?,
        seed: r.try_get("seed")?,
        joined_at: r.try_get("joined_at")?,
    })
}

fn legacy_match(r: &Row) -> Result<LegacyMatch, tokio_postgres::Error> {
    Ok(LegacyMatch {
        id: r.try_get("id")?,
        tournament_id: r.try_get("tournament_id")?,
        bracket: r.try_get("bracket")?,
        round: r.try_get("round")?,
        match_number: r.try_get("match_number")?,
        participant1_id: r.try_get("participant1_id")?,
        participant2_id: r.try_get("participant2_id")?,
        winner_id: r.try_get("winner_id")?,
        score: r.try_get("score")?,
        updated_at: r.try_get("updated_at")?,
    })
}
