"""Prepares a Schemathesis run of scripts/fuzz.sh against a freshly seeded demo server.

Usage: prepare.py BASE_URL WORK_DIR ROLE...

* logs in every ROLE (demo password) before any run and writes WORK_DIR/tokens (role token);
* writes WORK_DIR/schemathesis.toml: scripts/fuzz/schemathesis.toml plus dictionaries of
  real identifiers (cases, follow-up rounds, standard replies, reports, outbox messages,
  templates, units) bound to the path and query parameters that take them, so the runs
  reach the handlers' logic instead of answering 404 to random UUIDs; and the one user
  PATCH /users/{id} is fuzzed against.
"""

import json
import pathlib
import sys
import urllib.request

PASSWORD = "Demo@2026"  # the demo seed's password (crates/server/src/seed)
# A demo user no run logs in as: the target of PATCH /users/{id} (see schemathesis.toml).
PATCH_USER = "clerk-02"


def call(base, path, token=None, body=None):
    req = urllib.request.Request(base + path, method="POST" if body is not None else "GET")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    data = None
    if body is not None:
        req.add_header("Content-Type", "application/json")
        data = json.dumps(body).encode()
    with urllib.request.urlopen(req, data=data, timeout=30) as resp:
        return json.load(resp)


def dictionary(work, name, values):
    """A libFuzzer-style dictionary file; a placeholder keeps an empty one loadable."""
    values = sorted(set(values)) or ["00000000-0000-7000-8000-000000000000"]
    lines = [json.dumps(v) for v in values]
    (work / f"{name}.dict").write_text("\n".join(lines) + "\n", encoding="utf-8")


def main():
    base, work, roles = sys.argv[1], pathlib.Path(sys.argv[2]), sys.argv[3:]
    tokens = {}
    for role in roles + [r for r in ("admin", "leader") if r not in roles]:
        login = call(base, "/auth/login", body={"username": role, "password": PASSWORD})
        tokens[role] = login["accessToken"]
    admin, leader = tokens["admin"], tokens["leader"]
    # A report to read and export (reports are otherwise written by the weekly worker).
    report = call(base, "/reports", leader, {"kind": "week"})
    cases = call(base, "/cases?limit=200", admin)["items"]
    dictionary(work, "case-ids", [c["id"] for c in cases])
    dictionary(work, "followup-ids", [f["id"] for f in call(base, "/followups?limit=200", admin)])
    dictionary(work, "knowledge-ids", [k["id"] for k in call(base, "/knowledge", admin)])
    dictionary(work, "report-ids", [report["id"]] + [r["id"] for r in call(base, "/reports", leader)])
    dictionary(work, "outbox-ids", [m["id"] for m in call(base, "/sms/outbox?limit=200", admin)])
    dictionary(work, "template-codes", [t["code"] for t in call(base, "/sms/templates", admin)])
    dictionary(work, "unit-ids", [u["id"] for u in call(base, "/units", admin)])
    patch_user = next(u["id"] for u in call(base, "/users", admin) if u["username"] == PATCH_USER)

    template = pathlib.Path(__file__).with_name("schemathesis.toml").read_text(encoding="utf-8")
    config = template.replace("@PATCH_USER_ID@", patch_user)
    (work / "schemathesis.toml").write_text(config, encoding="utf-8")
    with open(work / "tokens", "w", encoding="utf-8") as out:
        for role in roles:
            out.write(f"{role} {tokens[role]}\n")


if __name__ == "__main__":
    main()
