"""The team archive's schema on the PostgreSQL server, as numbered migrations.

Everything lives in the schema ``workbench_team``: ``team_migrations`` records each
migration applied (its number, name and when), and a server whose highest number is
above :data:`TEAM_SCHEMA_VERSION` is refused rather than misread, as locally. A
schema change is a new migration at the end of :data:`MIGRATIONS`, never an edit of
one that has shipped. Each runs in its own transaction, under an advisory lock, so
two administrators running ``workbench team init`` at once cannot apply one twice.

``archive`` names the archive (a UUID made with it). ``verdicts`` holds every
published change (history is never overwritten): a change id (UUID, unique, so a
retried push adds nothing), the claim's team identity, the database it came from,
the verdict and what backs it, who published it (the login, set by the server from
``current_user``) and ``seq``, the server's order. Readers
fetch ``seq > last seen``; for that to miss nothing, rows must become visible in
``seq`` order, so a trigger takes the publishing turn (a row lock, held to the end of
the transaction; an advisory lock before migration 4, which any login could hold)
before it draws a number: publishers queue for a moment, and a number is never
committed after a higher one.

Permissions are PostgreSQL's: two group roles, :data:`CHECKER_ROLE` (read, publish,
correct its own) and :data:`READER_ROLE` (read), and row-level security on
``verdicts`` that ties writing to ``login = current_user``; since migration 3 a claim's
team identity and a database's (``origin``) belong to the login that first published
them, so no checker can overwrite or withdraw a colleague's verdict. Logins are granted
one of the roles by the administrator (see the README, "Team archive").
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from psycopg import sql

from workbench.errors import TeamSchemaError

log = logging.getLogger("workbench.team")

SCHEMA = "workbench_team"
CHECKER_ROLE = "workbench_checker"
READER_ROLE = "workbench_reader"
ROLES = (CHECKER_ROLE, READER_ROLE)

MIGRATION_LOCK = 0x776B_7465_616D_0001
"""Advisory lock key held while migrating (``wkteam`` and 1)."""
NOT_YOURS = "WBT01"
"""The SQLSTATE of a verdict refused because its claim or database belongs to another
login (team schema 3): the client sets that change aside and publishes the rest."""
PUBLISH_LOCK = 0x776B_7465_616D_0002
"""Advisory lock key that ordered publishing before team schema 4."""
TAKE_PUBLISH_TURN = f"SELECT {SCHEMA}.take_publish_turn()"
"""What orders publishing since team schema 4 (see the module's docstring)."""


@dataclass(frozen=True, slots=True)
class TeamMigration:
    version: int
    name: str
    sql: str


def _count_words(changed: str) -> str:
    """One statement adding a statement's changed rows, ``(before, after)`` tsvectors from
    ``changed``, to the word statistics of migration 2."""
    return f"""
        WITH changed AS ({changed}),
        counted AS (
            INSERT INTO {SCHEMA}.past_check_terms (lexeme, docs)
            SELECT lexeme, SUM(d) FROM (
                SELECT u.lexeme, -1 AS d FROM changed c, unnest(c.before) u
                UNION ALL
                SELECT u.lexeme, 1 AS d FROM changed c, unnest(c.after) u
            ) delta
            GROUP BY lexeme HAVING SUM(d) <> 0 ORDER BY lexeme
            ON CONFLICT (lexeme) DO UPDATE SET docs = past_check_terms.docs + excluded.docs
            RETURNING 1
        )
        UPDATE {SCHEMA}.past_check_totals SET
            docs = docs + (SELECT COUNT(after) - COUNT(before) FROM changed),
            tokens = tokens + (SELECT COALESCE(SUM({SCHEMA}.tsvector_tokens(after)), 0)
                - COALESCE(SUM({SCHEMA}.tsvector_tokens(before)), 0) FROM changed);
    """


_PUBLISHER = """CASE WHEN {row}.login::text IN ('', {row}.checker_name) THEN {row}.checker_name
    WHEN {row}.checker_name = '' THEN {row}.login::text
    ELSE {row}.checker_name || ' (' || {row}.login::text || ')' END"""
"""A verdict's publisher as past checks show it (see migration 3)."""


def _to_past_checks(publisher: str) -> str:
    """The trigger function that makes each published verdict a past check of the source
    'team', with ``publisher`` (SQL on ``NEW``) as its publisher: migration 2's and, with
    the login beside the name, migration 3's."""
    return f"""
        CREATE OR REPLACE FUNCTION {SCHEMA}.verdicts_to_past_checks() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF NEW.status = 'unchecked' THEN
                DELETE FROM {SCHEMA}.past_checks
                WHERE source = 'team' AND external_id = NEW.claim_uid::text;
            ELSE
                INSERT INTO {SCHEMA}.past_checks AS p (source, external_id, text, title,
                    verdict, url, date, speaker, publisher)
                VALUES ('team', NEW.claim_uid::text, NEW.claim_text, NEW.article_title,
                    NEW.status, COALESCE(NEW.evidence -> 0 ->> 'url', ''),
                    to_char(NEW.changed_at AT TIME ZONE 'UTC',
                            'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
                    NEW.claimant, {publisher})
                ON CONFLICT (source, external_id) DO UPDATE SET
                    text = excluded.text, title = excluded.title, verdict = excluded.verdict,
                    url = excluded.url, date = excluded.date, speaker = excluded.speaker,
                    publisher = excluded.publisher, imported_at = now(),
                    embedding = CASE WHEN p.text = excluded.text THEN p.embedding END,
                    embedding_model = CASE WHEN p.text = excluded.text
                        THEN p.embedding_model END;
            END IF;
            RETURN NULL;
        END
        $$;
        """.strip()


def _stamp(take_turn: str) -> str:
    """Migration 3's stamp on each published verdict, with ``take_turn`` (a PL/pgSQL
    statement) ordering publishers: a claim and a database stay their first login's."""
    return f"""
        CREATE OR REPLACE FUNCTION {SCHEMA}.verdicts_stamp() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            {take_turn}
            NEW.seq := nextval('{SCHEMA}.verdicts_seq_seq');
            NEW.published_at := now();
            IF TG_OP = 'INSERT' THEN
                NEW.login := current_user;
            ELSE
                NEW.login := OLD.login;
                NEW.change_id := OLD.change_id;
                NEW.claim_uid := OLD.claim_uid;
                NEW.origin := OLD.origin;
            END IF;
            -- The first publisher's, so that rows a server already held before this
            -- migration (a forger's among them) cannot lock the owner out.
            IF (SELECT login FROM {SCHEMA}.verdicts WHERE claim_uid = NEW.claim_uid
                ORDER BY seq LIMIT 1) <> NEW.login THEN
                RAISE EXCEPTION USING ERRCODE = '{NOT_YOURS}',
                    MESSAGE = 'this claim was first published by another login';
            END IF;
            IF (SELECT login FROM {SCHEMA}.verdicts WHERE origin = NEW.origin
                ORDER BY seq LIMIT 1) <> NEW.login THEN
                RAISE EXCEPTION USING ERRCODE = '{NOT_YOURS}',
                    MESSAGE = 'this database first published as another login';
            END IF;
            RETURN NEW;
        END
        $$;
        """.strip()


MIGRATIONS: tuple[TeamMigration, ...] = (
    TeamMigration(
        1,
        "verdicts",
        f"""
        -- Which team archive this is: a client that finds another id here (the archive
        -- was made anew) forgets what it received and publishes its verdicts again.
        CREATE TABLE {SCHEMA}.archive (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            id uuid NOT NULL DEFAULT gen_random_uuid(),
            created_at timestamptz NOT NULL DEFAULT now()
        );
        INSERT INTO {SCHEMA}.archive DEFAULT VALUES;

        CREATE TABLE {SCHEMA}.verdicts (
            seq BIGSERIAL PRIMARY KEY,
            change_id uuid NOT NULL UNIQUE,
            claim_uid uuid NOT NULL,
            origin uuid NOT NULL,
            claim_text text NOT NULL,
            status text NOT NULL
                CHECK (status IN ('unchecked', 'verified', 'disputed', 'unverifiable')),
            note text NOT NULL DEFAULT '',
            claimant text NOT NULL DEFAULT '',
            evidence jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(evidence) = 'array'),
            checker_name text NOT NULL,
            login name NOT NULL DEFAULT current_user,
            article_title text NOT NULL DEFAULT '',
            article_url text NOT NULL DEFAULT '',
            changed_at timestamptz NOT NULL,
            published_at timestamptz NOT NULL DEFAULT now(),
            search tsvector GENERATED ALWAYS AS (
                to_tsvector('english'::regconfig, claim_text || ' ' || article_title)
            ) STORED
        );
        CREATE INDEX verdicts_by_claim ON {SCHEMA}.verdicts (claim_uid, seq);
        CREATE INDEX verdicts_search ON {SCHEMA}.verdicts USING gin (search);

        -- Who published and when are the server's word; seq is drawn under the lock.
        CREATE FUNCTION {SCHEMA}.verdicts_stamp() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock({PUBLISH_LOCK});
            NEW.seq := nextval('{SCHEMA}.verdicts_seq_seq');
            NEW.published_at := now();
            IF TG_OP = 'INSERT' THEN
                NEW.login := current_user;
            ELSE
                NEW.login := OLD.login;
                NEW.change_id := OLD.change_id;
            END IF;
            RETURN NEW;
        END
        $$;
        CREATE TRIGGER verdicts_stamp BEFORE INSERT OR UPDATE ON {SCHEMA}.verdicts
            FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.verdicts_stamp();

        ALTER TABLE {SCHEMA}.verdicts ENABLE ROW LEVEL SECURITY;
        CREATE POLICY verdicts_read ON {SCHEMA}.verdicts FOR SELECT
            TO {CHECKER_ROLE}, {READER_ROLE} USING (true);
        CREATE POLICY verdicts_publish ON {SCHEMA}.verdicts FOR INSERT
            TO {CHECKER_ROLE} WITH CHECK (login = current_user);
        CREATE POLICY verdicts_correct ON {SCHEMA}.verdicts FOR UPDATE
            TO {CHECKER_ROLE} USING (login = current_user) WITH CHECK (login = current_user);
        """,
    ),
    TeamMigration(
        2,
        "past checks for search",
        f"""
        -- Trigram similarity needs pg_trgm (PostgreSQL's contrib, trusted since 13: the
        -- database's owner may create it). Say so in one line when it is missing.
        DO $check$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
                RAISE EXCEPTION 'the server lacks the pg_trgm extension, which searching'
                    ' the team archive needs (Debian: apt-get install postgresql-contrib)';
            END IF;
        END
        $check$;
        CREATE EXTENSION IF NOT EXISTS pg_trgm;

        -- The archive of past checks the whole desk searches: imported archives (by the
        -- administrator, workbench team import) and the team's published verdicts (fed
        -- in by a trigger on verdicts, source 'team'). One table, so one index and one
        -- set of word statistics serve both.
        CREATE TABLE {SCHEMA}.past_checks (
            id BIGSERIAL PRIMARY KEY,
            source text NOT NULL CHECK (source <> ''),
            external_id text NOT NULL,
            text text NOT NULL,
            title text NOT NULL DEFAULT '',
            verdict text NOT NULL DEFAULT '',
            url text NOT NULL DEFAULT '',
            date text NOT NULL DEFAULT '',
            speaker text NOT NULL DEFAULT '',
            publisher text NOT NULL DEFAULT '',
            -- The local vector format (int8 codes after a float32 scale), and its encoder.
            embedding bytea,
            embedding_model text,
            imported_at timestamptz NOT NULL DEFAULT now(),
            imported_by name NOT NULL DEFAULT current_user,
            search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english'::regconfig, text), 'A')
                || setweight(to_tsvector('english'::regconfig, title), 'B')
            ) STORED,
            UNIQUE (source, external_id)
        );
        CREATE INDEX past_checks_search ON {SCHEMA}.past_checks USING gin (search);

        -- Word statistics for BM25 (what FTS5 computes locally): in how many past checks
        -- each lexeme occurs, and how many checks and words there are. Kept exact by
        -- statement triggers, which see each statement's rows at once.
        CREATE TABLE {SCHEMA}.past_check_terms (
            lexeme text PRIMARY KEY,
            docs bigint NOT NULL
        );
        -- A claim's word the archive does not hold (a misspelling) is searched as the
        -- known words nearest by trigrams: on the vocabulary, not on a million texts,
        -- whose trigram posting lists take far too long to read for every claim.
        CREATE INDEX past_check_terms_trigrams ON {SCHEMA}.past_check_terms
            USING gin (lexeme gin_trgm_ops);
        CREATE TABLE {SCHEMA}.past_check_totals (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
            docs bigint NOT NULL DEFAULT 0,
            tokens bigint NOT NULL DEFAULT 0
        );
        INSERT INTO {SCHEMA}.past_check_totals DEFAULT VALUES;

        CREATE FUNCTION {SCHEMA}.tsvector_tokens(tsvector) RETURNS integer
        LANGUAGE sql IMMUTABLE PARALLEL SAFE
        AS $$ SELECT COALESCE(SUM(cardinality(positions)), 0)::integer FROM unnest($1) $$;

        -- Each branch lists the statement's changed rows as (words before, words after),
        -- and adds the difference; an update that keeps the words (an embedding added)
        -- changes nothing. Lexemes in order, so two writers lock them in the same order.
        CREATE FUNCTION {SCHEMA}.past_checks_count() RETURNS trigger
        LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                {_count_words("SELECT NULL::tsvector AS before, n.search AS after FROM new_rows n")}
            ELSIF TG_OP = 'UPDATE' THEN
                {
            _count_words(
                "SELECT o.search AS before, n.search AS after FROM old_rows o"
                " JOIN new_rows n USING (id) WHERE o.search IS DISTINCT FROM n.search"
            )
        }
            ELSE
                {_count_words("SELECT o.search AS before, NULL::tsvector AS after FROM old_rows o")}
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER past_checks_count_insert AFTER INSERT ON {SCHEMA}.past_checks
            REFERENCING NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.past_checks_count();
        CREATE TRIGGER past_checks_count_update AFTER UPDATE ON {SCHEMA}.past_checks
            REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.past_checks_count();
        CREATE TRIGGER past_checks_count_delete AFTER DELETE ON {SCHEMA}.past_checks
            REFERENCING OLD TABLE AS old_rows
            FOR EACH STATEMENT EXECUTE FUNCTION {SCHEMA}.past_checks_count();

        -- A published verdict is a past check of the source 'team' (the claim's team
        -- identity its id), as each member receives it: the latest verdict on a claim
        -- replaces the earlier one, unchecked withdraws it. Publishers hold the publish
        -- lock, so this runs in seq order. SECURITY DEFINER: checkers publish, but only
        -- the administrator writes past checks.
        {_to_past_checks("NEW.checker_name")}
        CREATE TRIGGER verdicts_to_past_checks AFTER INSERT OR UPDATE ON {SCHEMA}.verdicts
            FOR EACH ROW EXECUTE FUNCTION {SCHEMA}.verdicts_to_past_checks();

        -- The verdicts published before this migration, as members hold them.
        INSERT INTO {SCHEMA}.past_checks (source, external_id, text, title, verdict, url,
            date, speaker, publisher)
        SELECT 'team', claim_uid::text, claim_text, article_title, status,
            COALESCE(evidence -> 0 ->> 'url', ''),
            to_char(changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"'),
            claimant, checker_name
        FROM (SELECT DISTINCT ON (claim_uid) * FROM {SCHEMA}.verdicts
              ORDER BY claim_uid, seq DESC) latest
        WHERE status <> 'unchecked';

        -- Everyone on the desk searches; only the administrator (the owner) loads archives.
        GRANT SELECT ON {SCHEMA}.past_checks, {SCHEMA}.past_check_terms,
            {SCHEMA}.past_check_totals TO {CHECKER_ROLE}, {READER_ROLE};
        """,
    ),
    TeamMigration(
        3,
        "a claim and a database belong to their login",
        f"""
        -- A claim's team identity and a database (origin) belong to the login that first
        -- published them: another checker could publish a row with a colleague's
        -- claim_uid and origin and overwrite or withdraw her verdict in everyone's
        -- archive, which her own syncs skip as hers. An update keeps both too.
        CREATE INDEX verdicts_by_origin ON {SCHEMA}.verdicts (origin, seq);
        {_stamp(f"PERFORM pg_advisory_xact_lock({PUBLISH_LOCK});")}

        -- Who published a verdict, as past checks show it: the name, which anyone may
        -- give, and the login the server vouches for (workbench.store.outbox.team_publisher).
        {_to_past_checks(_PUBLISHER.format(row="NEW"))}
        UPDATE {SCHEMA}.past_checks p SET publisher = {_PUBLISHER.format(row="v")}
        FROM (SELECT DISTINCT ON (claim_uid) * FROM {SCHEMA}.verdicts
              ORDER BY claim_uid, seq DESC) v
        WHERE p.source = 'team' AND p.external_id = v.claim_uid::text;
        """,
    ),
    TeamMigration(
        4,
        "the publishing turn only checkers take",
        f"""
        -- Publishing was ordered by an advisory lock, which any login on the server may
        -- take (advisory locks have no permissions): a reader, or any stranger with a
        -- login, who held it stalled every publisher. The turn is now a row lock on a
        -- table no one but the owner may touch, taken through a function only checkers
        -- (and the owner, who loads archives) may run.
        CREATE TABLE {SCHEMA}.publish_turn (
            only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row)
        );
        INSERT INTO {SCHEMA}.publish_turn DEFAULT VALUES;
        CREATE FUNCTION {SCHEMA}.take_publish_turn() RETURNS void
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
        BEGIN
            PERFORM 1 FROM {SCHEMA}.publish_turn FOR UPDATE;
        END
        $$;
        REVOKE ALL ON FUNCTION {SCHEMA}.take_publish_turn() FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION {SCHEMA}.take_publish_turn() TO {CHECKER_ROLE};
        {_stamp(f"PERFORM {SCHEMA}.take_publish_turn();")}
        """,
    ),
)
TEAM_SCHEMA_VERSION = MIGRATIONS[-1].version
"""The team schema this version writes and reads."""

_GRANTS = f"""
    GRANT USAGE ON SCHEMA {SCHEMA} TO {CHECKER_ROLE}, {READER_ROLE};
    GRANT SELECT ON {SCHEMA}.team_migrations, {SCHEMA}.archive, {SCHEMA}.verdicts
        TO {CHECKER_ROLE}, {READER_ROLE};
    GRANT INSERT, UPDATE ON {SCHEMA}.verdicts TO {CHECKER_ROLE};
    GRANT USAGE ON SEQUENCE {SCHEMA}.verdicts_seq_seq TO {CHECKER_ROLE};
"""


@dataclass(frozen=True, slots=True)
class InitReport:
    """What ``team init`` did: the schema version before and after, the roles it created."""

    server: str
    before: int
    after: int
    roles_created: tuple[str, ...]


def schema_version(conn: psycopg.Connection[tuple[object, ...]]) -> int | None:
    """The server's team schema version, or None when it has no team archive."""
    row = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.team_migrations",))
    if not _scalar(row.fetchone()):
        return None
    found = conn.execute(f"SELECT COALESCE(MAX(version), 0) FROM {SCHEMA}.team_migrations")
    value = _scalar(found.fetchone()) or 0
    try:
        return int(str(value))
    except ValueError:  # a server whose table was changed by hand ("1.5")
        raise TeamSchemaError(
            f"the team server's schema version is not a number: {str(value)[:40]}"
        ) from None


def _scalar(row: tuple[object, ...] | None) -> object:
    return row[0] if row else None


def newer_message(server: str, version: int) -> str:
    return (
        f"the team server at {server} has team schema {version}, newer than this version of"
        f" the workbench knows ({TEAM_SCHEMA_VERSION}); please upgrade the workbench"
    )


def check_schema(conn: psycopg.Connection[tuple[object, ...]], server: str) -> int:
    """The server's team schema version, if this version can use it.

    Raises:
        TeamSchemaError: no team archive there yet, or a newer one.
    """
    version = schema_version(conn)
    if not version:
        raise TeamSchemaError(
            f"the team server at {server} has no team archive yet; its administrator"
            " creates it with: workbench team init DSN"
        )
    if version > TEAM_SCHEMA_VERSION:
        raise TeamSchemaError(newer_message(server, version))
    if version < 0:  # a table changed by hand: nothing this version can trust
        raise TeamSchemaError(f"the team server at {server} has an invalid team schema {version}")
    return version


def ensure_roles(conn: psycopg.Connection[tuple[object, ...]]) -> tuple[str, ...]:
    """Create the group roles that are missing (they hold no login); returns those created."""
    created = []
    for role in ROLES:
        with conn.transaction():
            exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
            if exists:
                continue
            conn.execute(sql.SQL("CREATE ROLE {} NOLOGIN").format(sql.Identifier(role)))
            created.append(role)
            log.info("created the role %s", role)
    return tuple(created)


def migrate(conn: psycopg.Connection[tuple[object, ...]], server: str) -> tuple[int, int]:
    """Apply the migrations the server lacks, each in its own transaction.

    ``conn`` is in autocommit mode. Returns the version before and after.

    Raises:
        TeamSchemaError: the server's team schema is newer than this version's.
    """
    before: int | None = None
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        conn.execute(
            f"CREATE TABLE IF NOT EXISTS {SCHEMA}.team_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        before = schema_version(conn) or 0
    if before > TEAM_SCHEMA_VERSION:
        raise TeamSchemaError(newer_message(server, before))
    for migration in MIGRATIONS:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            if (schema_version(conn) or 0) >= migration.version:
                continue  # another administrator applied it meanwhile
            log.info("team schema: applying %d %s", migration.version, migration.name)
            conn.execute(migration.sql)
            conn.execute(
                f"INSERT INTO {SCHEMA}.team_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
    with conn.transaction():
        conn.execute(_GRANTS)
    return before, TEAM_SCHEMA_VERSION
