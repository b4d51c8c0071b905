#!/usr/bin/env python3
"""openapi.yaml against the running API: Schemathesis with every check.

Run by `make test` inside `gymit-local test-env`, which exports the gateway's URL
(GYMIT_URL) and the root admin's credentials (ROOT_ADMIN_EMAIL / ROOT_ADMIN_PASSWORD).
The root admin logs in once and every generated request carries its token, so protected
routes are exercised past the gateway; Schemathesis's `ignored_auth` check also sends them
without the header and with a broken one. Two started tournaments are made first, so
that reporting, correcting and disqualifying reach a real match and participant (their
ids go to tests/schemathesis.toml through the environment). The seed and the number of
examples are fixed: about two minutes on a 2-core machine, stack included.

Extra arguments go to `schemathesis run` (e.g. `--max-examples 50`, `--seed 1`, or
`--include-operation-id login` while investigating a failure).
"""

import json
import os
import shutil
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = "20261124"
MAX_EXAMPLES = "30"


class Api:
    def __init__(self, base: str):
        self.base = base
        self.token = None

    def call(self, method: str, path: str, body=None, expect=200):
        headers = {"Content-Type": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(
            f"{self.base}{path}",
            data=None if body is None else json.dumps(body).encode(),
            headers=headers,
            method=method,
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            if response.status != expect:
                raise SystemExit(f"{method} {path}: {response.status}, expected {expect}")
            return json.load(response)

    def login(self):
        email = os.environ.get("ROOT_ADMIN_EMAIL", "root@gymit.local")
        password = os.environ.get("ROOT_ADMIN_PASSWORD", "gymit-root-admin-password")
        self.token = self.call(
            "POST", "/api/auth/login", {"email": email, "password": password}
        )["access_token"]

    def started_tournament(self, name: str, kind: str):
        """A tournament of `kind` with two named participants, started: (id, bracket)."""
        t = self.call(
            "POST",
            "/api/tournaments",
            {
                "name": name,
                "start_date": "2026-11-24T10:00:00Z",
                "max_participants": 4,
                "tournament_type": kind,
            },
            expect=201,
        )["tournament"]
        for player in ("Contract A", "Contract B"):
            self.call("POST", f"/api/tournaments/{t['id']}/participants", {"name": player}, expect=201)
        started = self.call("POST", f"/api/tournaments/{t['id']}/start", {})
        return t["id"], started["bracket"]


def main() -> int:
    base = os.environ.get("GYMIT_URL")
    if not base:
        print(
            "GYMIT_URL is not set: run through `gymit-local test-env -- tests/contract.py`",
            file=sys.stderr,
        )
        return 2
    api = Api(base.rstrip("/"))
    api.login()
    # A round robin's match takes any valid score and a draw (`winner_id` absent or null),
    # which is what most generated bodies are: the first one completes the match, then
    # corrections apply to it.
    results, bracket = api.started_tournament("Contract results", "round_robin")
    ready = next(m for m in bracket["matches"] if m["status"] == "ready")
    os.environ["CONTRACT_RESULT_TOURNAMENT"] = results
    os.environ["CONTRACT_RESULT_MATCH"] = ready["id"]
    disqualify, bracket = api.started_tournament("Contract disqualification", "single_elimination")
    os.environ["CONTRACT_DQ_TOURNAMENT"] = disqualify
    os.environ["CONTRACT_DQ_PARTICIPANT"] = bracket["matches"][0]["participant1_id"]

    venv_st = ROOT / ".venv" / "bin" / "schemathesis"
    st = str(venv_st) if venv_st.exists() else shutil.which("schemathesis") or "schemathesis"
    command = [
        st,
        "--config-file",
        str(ROOT / "tests" / "schemathesis.toml"),
        "run",
        str(ROOT / "openapi.yaml"),
        "--url",
        api.base,
        "--header",
        f"Authorization: Bearer {api.token}",
        "--seed",
        SEED,
        "--max-examples",
        MAX_EXAMPLES,
        "--checks",
        "all",
        # use_after_free expects a 404 after a successful DELETE, but both deletions of
        # the contract are soft by design (API.md): DELETE /api/users/{id} deactivates the
        # account and DELETE /api/tournaments/{id} cancels the tournament, and each stays
        # readable. (The one hard delete, of a participant, has no read of its own.)
        "--exclude-checks",
        "use_after_free",
        *sys.argv[1:],
    ]
    # The token stays out of the printed command.
    shown = ["Authorization: Bearer …" if a.startswith("Authorization:") else a for a in command]
    print("+", " ".join(shown), flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    sys.exit(main())
