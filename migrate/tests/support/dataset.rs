//! A monolith database built exactly as LEGACY.md describes, for the import's tests and its
//! measurement: the schema, and rows a test can reason about. Brackets are what the
//! monolith stored: paired as API.md says (the engine's pairing), results in the order they
//! were played, byes as a row with one participant who is also the winner.
//!
//! `Dataset::awkward` holds every row LEGACY.md names as awkward; `Dataset::large` is the
//! size of a big gym (for the measurement).

use std::collections::HashMap;

use chrono::{DateTime, Duration, TimeZone, Utc};
use gymit_tournaments::bracket::{
    generate, standings, Bracket, Format, GrandFinal, Kind, MatchStatus, Side,
};
use rand::{rngs::StdRng, Rng, SeedableRng};
use tokio_postgres::Client;

pub const SCHEMA: &str = "
CREATE TABLE users (
  id            BIGSERIAL PRIMARY KEY,
  email         TEXT NOT NULL,
  password_hash TEXT NOT NULL,
  full_name     TEXT NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('member', 'trainer', 'admin')),
  is_active     BOOLEAN NOT NULL DEFAULT TRUE,
  is_approved   BOOLEAN NOT NULL DEFAULT FALSE,
  is_banned     BOOLEAN NOT NULL DEFAULT FALSE,
  is_root_admin BOOLEAN NOT NULL DEFAULT FALSE,
  created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
  UNIQUE (email)
);
CREATE TABLE tournaments (
  id               BIGSERIAL PRIMARY KEY,
  name             TEXT NOT NULL,
  description      TEXT,
  start_date       TIMESTAMPTZ NOT NULL,
  max_participants INTEGER NOT NULL,
  tournament_type  TEXT NOT NULL CHECK (tournament_type IN
                     ('single_elimination', 'double_elimination', 'round_robin')),
  status           TEXT NOT NULL CHECK (status IN
                     ('registration_open', 'in_progress', 'completed', 'cancelled')),
  third_place_match BOOLEAN NOT NULL DEFAULT FALSE,
  created_by       BIGINT REFERENCES users (id),
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  updated_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE participants (
  id            BIGSERIAL PRIMARY KEY,
  tournament_id BIGINT NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
  user_id       BIGINT REFERENCES users (id),
  name          TEXT NOT NULL,
  seed          INTEGER,
  joined_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE TABLE brackets (
  id              BIGSERIAL PRIMARY KEY,
  tournament_id   BIGINT NOT NULL REFERENCES tournaments (id) ON DELETE CASCADE,
  bracket         TEXT NOT NULL DEFAULT 'winners' CHECK (bracket IN
                    ('winners', 'losers', 'grand_final', 'third_place', 'round_robin')),
  round           INTEGER NOT NULL,
  match_number    INTEGER NOT NULL,
  participant1_id BIGINT REFERENCES participants (id),
  participant2_id BIGINT REFERENCES participants (id),
  winner_id       BIGINT REFERENCES participants (id),
  score           TEXT,
  updated_at      TIMESTAMPTZ NOT NULL DEFAULT now()
);";

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password: String,
    pub password_hash: String,
    pub full_name: String,
    pub role: &'static str,
    pub is_active: bool,
    pub is_approved: bool,
    pub is_banned: bool,
    pub is_root_admin: bool,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Tournament {
    pub id: i64,
    pub name: String,
    pub kind: Kind,
    pub status: &'static str,
    pub third_place: bool,
    pub max_participants: i32,
    pub created_by: Option<i64>,
    pub start_date: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct Participant {
    pub id: i64,
    pub tournament_id: i64,
    pub user_id: Option<i64>,
    pub name: String,
    pub seed: Option<i32>,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub tournament_id: i64,
    pub bracket: &'static str,
    pub round: i32,
    pub match_number: i32,
    pub p1: Option<i64>,
    pub p2: Option<i64>,
    pub winner: Option<i64>,
    pub score: Option<String>,
    pub at: DateTime<Utc>,
}

/// What the monolith shows of a played tournament: its champion and each participant's
/// rank (legacy participant ids).
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub champion: Option<i64>,
    pub ranks: HashMap<i64, u32>,
    /// Ready matches left (legacy (bracket, round, match_number) and the two players).
    pub next: Vec<(&'static str, i32, i32, i64, i64)>,
}

#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub users: Vec<User>,
    pub tournaments: Vec<Tournament>,
    pub participants: Vec<Participant>,
    pub rows: Vec<Row>,
    pub outcomes: HashMap<i64, Outcome>,
    /// Named rows a test looks for.
    pub named: HashMap<&'static str, i64>,
}

fn side_name(s: Side) -> &'static str {
    match s {
        Side::Winners => "winners",
        Side::Losers => "losers",
        Side::GrandFinal => "grand_final",
        Side::ThirdPlace => "third_place",
        Side::RoundRobin => "round_robin",
        Side::Swiss | Side::Group | Side::Playoff => {
            unreachable!("the monolith has no Swiss or group stages (LEGACY.md)")
        }
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::SingleElimination => "single_elimination",
        Kind::DoubleElimination => "double_elimination",
        Kind::RoundRobin => "round_robin",
        Kind::Swiss | Kind::GroupStage => {
            unreachable!("the monolith has no Swiss or group stages (LEGACY.md)")
        }
    }
}

/// The legacy password of user `id` (what a member types).
pub fn password_of(id: i64) -> String {
    format!("legacy-pass-{id}")
}

impl Dataset {
    fn base_time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 3, 1, 9, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// `n` users; every `hash_every`-th gets its own bcrypt hash (cost 4), the others share
    /// a handful (hashing 10,000 passwords would measure bcrypt, not the import).
    fn add_users(&mut self, n: i64, distinct_hashes: bool, root_email: &str) {
        let shared: Vec<(String, String)> = (1..=4)
            .map(|i| {
                let p = format!("shared-pass-{i}");
                let h = bcrypt::hash(&p, 4).unwrap_or_default();
                (p, h)
            })
            .collect();
        for id in 1..=n {
            let (password, password_hash) = if distinct_hashes {
                let p = password_of(id);
                let h = bcrypt::hash(&p, 4).unwrap_or_default();
                (p, h)
            } else {
                shared[id as usize % shared.len()].clone()
            };
            let role = match id % 10 {
                0 => "trainer",
                5 if id % 20 == 5 => "admin",
                _ => "member",
            };
            self.users.push(User {
                id,
                email: if id == 1 {
                    root_email.to_string()
                } else {
                    format!("member{id}@gym.example")
                },
                password,
                password_hash,
                full_name: format!("Member {id}"),
                role: if id == 1 { "admin" } else { role },
                is_active: id % 37 != 0,
                is_approved: id % 13 != 0,
                is_banned: id % 41 == 0,
                is_root_admin: id == 1,
                at: Self::base_time() + Duration::minutes(id),
            });
        }
    }

    /// A tournament of `size` participants (users `first_user..`, every seventh a named
    /// guest), with `played` results in (0 = none, `usize::MAX` = all).
    #[allow(clippy::too_many_arguments)]
    fn add_tournament(
        &mut self,
        rng: &mut StdRng,
        kind: Kind,
        status: &'static str,
        size: usize,
        third_place: bool,
        played: usize,
        first_user: i64,
        users: i64,
    ) -> i64 {
        let id = self.tournaments.len() as i64 + 1;
        let trainers: Vec<i64> = self
            .users
            .iter()
            .filter(|u| u.role == "trainer")
            .map(|u| u.id)
            .collect();
        self.tournaments.push(Tournament {
            id,
            name: format!("{} cup {id}", kind_name(kind)),
            kind,
            status,
            third_place,
            max_participants: size as i32 + (id % 3) as i32,
            created_by: trainers
                .get(id as usize % trainers.len().max(1))
                .copied()
                .or(Some(1)),
            start_date: Self::base_time() + Duration::days(id % 400),
        });
        let mut seeded = Vec::new();
        for i in 0..size {
            let pid = self.participants.len() as i64 + 1;
            // Within the users that exist (ids 2..), whatever the offsets.
            let span = (self.users.len() as i64 - 1).max(1);
            let user = 2 + (first_user - 2 + (i as i64 * 7 + id) % users.max(1)) % span;
            let guest = i % 7 == 6;
            self.participants.push(Participant {
                id: pid,
                tournament_id: id,
                user_id: (!guest).then_some(user),
                name: if guest {
                    format!("Guest {pid}")
                } else {
                    format!("Member {user}")
                },
                seed: Some(i as i32 + 1),
            });
            seeded.push(pid);
        }
        if matches!(status, "in_progress" | "completed") || (status == "cancelled" && played > 0) {
            self.play(rng, id, kind, third_place, &seeded, played);
        }
        id
    }

    /// The monolith's bracket: the engine's pairing, `played` results in order.
    fn play(
        &mut self,
        rng: &mut StdRng,
        id: i64,
        kind: Kind,
        third_place: bool,
        seeded: &[i64],
        played: usize,
    ) {
        let format = Format {
            kind,
            third_place_match: third_place,
            grand_final: GrandFinal::Double,
            stages: gymit_tournaments::bracket::Stages::NONE,
        };
        let ids: Vec<String> = seeded.iter().map(|p| p.to_string()).collect();
        let mut b: Bracket = generate(format, &ids);
        let mut at = Self::base_time() + Duration::days(id % 400) + Duration::hours(1);
        let mut when: HashMap<String, DateTime<Utc>> = HashMap::new();
        for _ in 0..played {
            let Some(m) = b.ready().next().cloned() else {
                break;
            };
            let (Some(p1), Some(p2)) = (m.participant1_id.clone(), m.participant2_id.clone())
            else {
                break;
            };
            let draw = kind == Kind::RoundRobin && rng.random_range(0..6) == 0;
            let (winner, score) = if draw {
                (None, "2-2".to_string())
            } else if rng.random_range(0..4) == 0 {
                (Some(p2), "1-3".to_string())
            } else {
                (Some(p1), "3-1".to_string())
            };
            if b.report(&m.id, winner.as_deref(), &score).is_err() {
                break;
            }
            at += Duration::minutes(10);
            when.insert(m.id.clone(), at);
        }
        let num = |s: &Option<String>| s.as_deref().and_then(|v| v.parse::<i64>().ok());
        for m in b.matches() {
            if m.status == MatchStatus::Skipped {
                continue;
            }
            let bye = m.status == MatchStatus::Bye;
            self.rows.push(Row {
                tournament_id: id,
                bracket: side_name(m.bracket),
                round: m.round as i32,
                match_number: m.match_number as i32,
                p1: num(&m.participant1_id),
                p2: num(&m.participant2_id),
                winner: if bye {
                    num(&m.participant1_id).or(num(&m.participant2_id))
                } else {
                    num(&m.winner_id)
                },
                score: if bye { None } else { m.score.clone() },
                at: when.get(&m.id).copied().unwrap_or(Self::base_time()),
            });
        }
        let names: Vec<(String, String)> = ids.iter().map(|i| (i.clone(), i.clone())).collect();
        let outcome = Outcome {
            champion: num(&b.champion()),
            ranks: standings(&b, &names)
                .into_iter()
                .filter_map(|s| Some((s.participant_id.parse().ok()?, s.rank)))
                .collect(),
            next: b
                .ready()
                .filter_map(|m| {
                    Some((
                        side_name(m.bracket),
                        m.round as i32,
                        m.match_number as i32,
                        num(&m.participant1_id)?,
                        num(&m.participant2_id)?,
                    ))
                })
                .collect(),
        };
        self.outcomes.insert(id, outcome);
    }

    /// Hundreds of users and tournaments of each type in every state, with every awkward
    /// row LEGACY.md names (see `named`).
    pub fn awkward(root_email: &str) -> Dataset {
        let mut d = Dataset::default();
        let mut rng = StdRng::seed_from_u64(29);
        d.add_users(240, true, root_email);
        // Duplicate emails after normalisation: the lowest id keeps the account.
        let mut dup = d.users[9].clone();
        dup.id = 241;
        dup.email = "  MEMBER10@Gym.Example ".into();
        dup.full_name = "Member 10 again".into();
        d.users.push(dup);
        d.named.insert("duplicate_user", 241);
        d.named.insert("duplicate_kept", 10);
        // Bad text: invisible characters, too long.
        d.users[19].full_name = "Eve\u{202E}lyn\u{200B} Park\u{7}".into();
        d.named.insert("bad_text_user", 20);
        d.users[20].full_name = "L".repeat(150);
        d.named.insert("long_name_user", 21);
        // An email no rule accepts.
        d.users[21].email = "not an email".into();
        d.named.insert("invalid_email_user", 22);
        d.named.insert("banned_user", 41);
        d.named.insert("trainer", 30);
        let users = 200;
        for (kind, third) in [
            (Kind::SingleElimination, false),
            (Kind::SingleElimination, true),
            (Kind::DoubleElimination, false),
            (Kind::RoundRobin, false),
        ] {
            for (status, played) in [
                ("registration_open", 0),
                ("in_progress", 3),
                ("completed", usize::MAX),
                ("cancelled", 0),
                ("cancelled", 2),
            ] {
                for size in [5, 8] {
                    let first = 2 + (d.tournaments.len() as i64 * 11) % 150;
                    d.add_tournament(&mut rng, kind, status, size, third, played, first, users);
                }
            }
        }
        // A completed single elimination and a half-played one, by name.
        let completed = d.add_tournament(
            &mut rng,
            Kind::SingleElimination,
            "completed",
            8,
            false,
            usize::MAX,
            40,
            users,
        );
        d.named.insert("completed_se", completed);
        let half = d.add_tournament(
            &mut rng,
            Kind::SingleElimination,
            "in_progress",
            8,
            false,
            4,
            60,
            users,
        );
        d.named.insert("half_played_se", half);
        let de = d.add_tournament(
            &mut rng,
            Kind::DoubleElimination,
            "completed",
            6,
            false,
            usize::MAX,
            80,
            users,
        );
        d.named.insert("completed_de", de);
        // NULL and gapped seeds (the engine's order is the renumbered one: 1, 3, 7, NULL).
        let gapped = d.add_tournament(
            &mut rng,
            Kind::SingleElimination,
            "registration_open",
            4,
            false,
            0,
            100,
            users,
        );
        let first = d
            .participants
            .iter()
            .position(|p| p.tournament_id == gapped)
            .unwrap_or(0);
        for (i, seed) in [Some(3), None, Some(1), Some(7)].into_iter().enumerate() {
            d.participants[first + i].seed = seed;
        }
        d.named.insert("gapped_seeds", gapped);
        // A missing owner: the root admin owns it.
        let orphan = d.add_tournament(
            &mut rng,
            Kind::RoundRobin,
            "registration_open",
            4,
            false,
            0,
            110,
            users,
        );
        d.tournaments[orphan as usize - 1].created_by = None;
        d.named.insert("missing_owner", orphan);
        // Bad text in a tournament's name.
        let bad = d.add_tournament(
            &mut rng,
            Kind::SingleElimination,
            "registration_open",
            3,
            false,
            0,
            120,
            users,
        );
        d.tournaments[bad as usize - 1].name = format!("Spring\u{202E} {}", "Open ".repeat(40));
        d.named.insert("bad_text_tournament", bad);
        // Unreplayable: other pairs than the engine's (the first round's players swapped
        // between two matches), and a winner who did not play.
        let swapped = d.add_tournament(
            &mut rng,
            Kind::SingleElimination,
            "in_progress",
            8,
            false,
            1,
            130,
            users,
        );
        let rows: Vec<usize> = (0..d.rows.len())
            .filter(|&i| d.rows[i].tournament_id == swapped && d.rows[i].round == 1)
            .collect();
        if let [a, b, ..] = rows[..] {
            let (pa, pb) = (d.rows[a].p2, d.rows[b].p2);
            d.rows[a].p2 = pb;
            d.rows[b].p2 = pa;
            if d.rows[a].winner == pa {
                d.rows[a].winner = pb;
            }
            if d.rows[b].winner == pb {
                d.rows[b].winner = pa;
            }
        }
        d.named.insert("unreplayable_pairs", swapped);
        let stranger = d.add_tournament(
            &mut rng,
            Kind::SingleElimination,
            "in_progress",
            8,
            false,
            2,
            140,
            users,
        );
        if let Some(r) = d
            .rows
            .iter_mut()
            .find(|r| r.tournament_id == stranger && r.winner.is_some() && r.p2.is_some())
        {
            let outsider = d
                .participants
                .iter()
                .find(|p| p.tournament_id == stranger && Some(p.id) != r.p1 && Some(p.id) != r.p2)
                .map(|p| p.id);
            r.winner = outsider;
        }
        d.named.insert("unreplayable_winner", stranger);
        d
    }

    /// A big gym: `users` accounts and `tournaments` tournaments of about 30 matches each
    /// (double elimination of 16 and round robins of 8, half completed, half in progress).
    pub fn large(root_email: &str, users: i64, tournaments: usize) -> Dataset {
        let mut d = Dataset::default();
        let mut rng = StdRng::seed_from_u64(7);
        d.add_users(users, false, root_email);
        for i in 0..tournaments {
            let (kind, size) = if i % 2 == 0 {
                (Kind::DoubleElimination, 16)
            } else {
                (Kind::RoundRobin, 8)
            };
            let (status, played) = if i % 4 < 2 {
                ("completed", usize::MAX)
            } else {
                ("in_progress", 10)
            };
            let first = 2 + (i as i64 * 13) % (users - 20).max(1);
            d.add_tournament(
                &mut rng,
                kind,
                status,
                size,
                false,
                played,
                first,
                users - 1,
            );
        }
        d
    }

    /// Creates the schema in an empty database and loads every row (one statement per
    /// table, arrays unnested: fast enough for 30,000 rows).
    pub async fn load(&self, db: &Client) -> Result<(), tokio_postgres::Error> {
        db.batch_execute(SCHEMA).await?;
        let u = &self.users;
        db.execute(
            "INSERT INTO users (id, email, password_hash, full_name, role, is_active, is_approved, \
             is_banned, is_root_admin, created_at, updated_at) SELECT * FROM UNNEST($1::bigint[], \
             $2::text[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::bool[], $8::bool[], \
             $9::bool[], $10::timestamptz[], $11::timestamptz[])",
            &[
                &u.iter().map(|x| x.id).collect::<Vec<_>>(),
                &u.iter().map(|x| x.email.clone()).collect::<Vec<_>>(),
                &u.iter().map(|x| x.password_hash.clone()).collect::<Vec<_>>(),
                &u.iter().map(|x| x.full_name.clone()).collect::<Vec<_>>(),
                &u.iter().map(|x| x.role.to_string()).collect::<Vec<_>>(),
                &u.iter().map(|x| x.is_active).collect::<Vec<_>>(),
                &u.iter().map(|x| x.is_approved).collect::<Vec<_>>(),
                &u.iter().map(|x| x.is_banned).collect::<Vec<_>>(),
                &u.iter().map(|x| x.is_root_admin).collect::<Vec<_>>(),
                &u.iter().map(|x| x.at).collect::<Vec<_>>(),
                &u.iter().map(|x| x.at).collect::<Vec<_>>(),
            ],
        )
        .await?;
        let t = &self.tournaments;
        db.execute(
            "INSERT INTO tournaments (id, name, description, start_date, max_participants, \
             tournament_type, status, third_place_match, created_by, created_at, updated_at) \
             SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], \
             $5::int[], $6::text[], $7::text[], $8::bool[], $9::bigint[], $10::timestamptz[], \
             $11::timestamptz[])",
            &[
                &t.iter().map(|x| x.id).collect::<Vec<_>>(),
                &t.iter().map(|x| x.name.clone()).collect::<Vec<_>>(),
                &t.iter()
                    .map(|x| (x.id % 2 == 0).then(|| format!("Tournament {} of the gym", x.id)))
                    .collect::<Vec<_>>(),
                &t.iter().map(|x| x.start_date).collect::<Vec<_>>(),
                &t.iter().map(|x| x.max_participants).collect::<Vec<_>>(),
                &t.iter()
                    .map(|x| kind_name(x.kind).to_string())
                    .collect::<Vec<_>>(),
                &t.iter().map(|x| x.status.to_string()).collect::<Vec<_>>(),
                &t.iter().map(|x| x.third_place).collect::<Vec<_>>(),
                &t.iter().map(|x| x.created_by).collect::<Vec<_>>(),
                &t.iter()
                    .map(|x| x.start_date - Duration::days(20))
                    .collect::<Vec<_>>(),
                &t.iter().map(|x| x.start_date).collect::<Vec<_>>(),
            ],
        )
        .await?;
        let p = &self.participants;
        db.execute(
            "INSERT INTO participants (id, tournament_id, user_id, name, seed, joined_at) \
             SELECT * FROM UNNEST($1::bigint[], $2::bigint[], $3::bigint[], $4::text[], $5::int[], \
             $6::timestamptz[])",
            &[
                &p.iter().map(|x| x.id).collect::<Vec<_>>(),
                &p.iter().map(|x| x.tournament_id).collect::<Vec<_>>(),
                &p.iter().map(|x| x.user_id).collect::<Vec<_>>(),
                &p.iter().map(|x| x.name.clone()).collect::<Vec<_>>(),
                &p.iter().map(|x| x.seed).collect::<Vec<_>>(),
                &p.iter().map(|_| Self::base_time()).collect::<Vec<_>>(),
            ],
        )
        .await?;
        let r = &self.rows;
        db.execute(
            "INSERT INTO brackets (tournament_id, bracket, round, match_number, participant1_id, \
             participant2_id, winner_id, score, updated_at) SELECT * FROM UNNEST($1::bigint[], \
             $2::text[], $3::int[], $4::int[], $5::bigint[], $6::bigint[], $7::bigint[], \
             $8::text[], $9::timestamptz[])",
            &[
                &r.iter().map(|x| x.tournament_id).collect::<Vec<_>>(),
                &r.iter().map(|x| x.bracket.to_string()).collect::<Vec<_>>(),
                &r.iter().map(|x| x.round).collect::<Vec<_>>(),
                &r.iter().map(|x| x.match_number).collect::<Vec<_>>(),
                &r.iter().map(|x| x.p1).collect::<Vec<_>>(),
                &r.iter().map(|x| x.p2).collect::<Vec<_>>(),
                &r.iter().map(|x| x.winner).collect::<Vec<_>>(),
                &r.iter().map(|x| x.score.clone()).collect::<Vec<_>>(),
                &r.iter().map(|x| x.at).collect::<Vec<_>>(),
            ],
        )
        .await?;
        Ok(())
    }
}
