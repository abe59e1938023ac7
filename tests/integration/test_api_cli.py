"""The account CLI: `medlabel user add|list|passwd|disable`, `medlabel token create|list|revoke`, and their
effect on a running server (a disabled user's token stops at once); usage errors exit 2."""
import json
import os

import lib
from apilib import Env
from lib import eq, test


@test
def users_and_tokens_from_the_command_line():
    with Env() as e:
        p = e.cli("user", "add", "carol", "--password-stdin", input="a long enough password\n")
        uid = int(p.stdout.strip())
        listing = e.cli("user", "list").stdout
        assert f"{uid}\tcarol\tuser" in listing, listing
        assert "admin\tadmin" in listing
        # duplicate name, short password, bad name: exit 1 with a message
        p = e.cli("user", "add", "carol", "--password-stdin", input="another long password\n", check=False)
        eq(p.returncode, 1)
        p = e.cli("user", "add", "dave", "--password-stdin", input="short\n", check=False)
        eq(p.returncode, 1)
        assert "too short" in p.stderr, p.stderr
        eq(e.cli("user", "add", "bad name!", "--password-stdin", input="a long enough password\n",
                 check=False).returncode, 1)
        eq(e.cli("user", "add", check=False).returncode, 2)
        eq(e.cli("user", "add", "x", "--bogus", check=False).returncode, 2)
        # a token works against the server, is listed, and dies with the user
        tok = e.token("carol")
        assert tok.startswith("mlt_") and len(tok) == 68
        c = e.srv.client(token=tok)
        eq(c.get("/api/v1/me").json()["name"], "carol")
        assert "last used" in e.cli("token", "list", "carol").stdout
        e.cli("user", "disable", "carol")
        eq(c.get("/api/v1/me").status, 401)
        e.cli("user", "disable", "carol", "--enable")
        eq(c.get("/api/v1/me").status, 401)  # disabling revoked the token for good
        tok2 = e.token("carol")
        eq(e.srv.client(token=tok2).get("/api/v1/me").status, 200)
        tid = int(e.cli("token", "list", "carol").stdout.splitlines()[-1].split("\t")[0])
        e.cli("token", "revoke", str(tid))
        eq(e.srv.client(token=tok2).get("/api/v1/me").status, 401)
        eq(e.cli("token", "revoke", "abc", check=False).returncode, 2)
        eq(e.cli("token", "create", "nobody", check=False).returncode, 1)
        # passwd changes the login password
        e.cli("user", "passwd", "carol", "--password-stdin", input="the new long password\n")
        cl = e.srv.client()
        eq(cl.post("/api/v1/login", {"name": "carol", "password": "the new long password"}).status, 200)
        eq(e.srv.client().post("/api/v1/login", {"name": "carol", "password": "a long enough password"}).status, 401)
        # the CLI's own actions are in the audit trail, by id only
        recs = [json.loads(x) for x in e.cli("audit", "export").stdout.splitlines()]
        cli_actions = [r["action"] for r in recs if r["role"] == "cli"]
        for a in ("user.create", "token.create", "user.disable", "user.enable", "token.revoke", "user.password"):
            assert a in cli_actions, (a, cli_actions)
        assert not any("carol" in json.dumps(r) for r in recs)
        p = e.cli("audit", "verify")
        assert "intact" in p.stdout and "head " in p.stdout, p.stdout


@test
def serve_usage_errors():
    d = lib.tmpdir()
    data = os.path.join(d, "data")
    eq(lib.run("serve", "--bogus", data=data, check=False).returncode, 2)
    eq(lib.run("serve", "--threads", "0", data=data, check=False).returncode, 2)
    p = lib.run("serve", "--listen", "nonsense", data=data, check=False, timeout=20)
    eq(p.returncode, 1)
    assert "nonsense" in p.stderr
    out = lib.run("serve", "--print-routes").stdout
    assert "GET     /api/v1/projects/{project}/next" in out, out


if __name__ == "__main__":
    lib.main()
