"""A throwaway PostgreSQL cluster for integration tests: initdb + pg_ctl from Debian's postgresql package
(/usr/lib/postgresql/N/bin), as user nobody when run as root (initdb refuses root), listening only on a
Unix socket in a temporary folder; stopped and removed on exit. Raises lib.Skip when the binaries are
absent. Use as a context manager: `with Cluster() as pg: url = pg.database("name")`."""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile

import lib


class Cluster:
    def __init__(self):
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not bins:
            raise lib.Skip("PostgreSQL server binaries absent (/usr/lib/postgresql/*/bin/initdb)")
        self.bin = os.path.dirname(bins[-1])
        self.dir = None

    def _run(self, *args):
        cmd = [os.path.join(self.bin, args[0])] + list(args[1:])
        if os.getuid() == 0:
            cmd = ["runuser", "-u", "nobody", "--"] + cmd
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise AssertionError(f"{args[0]} failed: {p.stdout} {p.stderr}")
        return p

    def __enter__(self):
        shared = os.environ.get("MEDLABEL_TEST_PG_DIR")  # tests/run.sh starts one for every test
        if shared and os.path.exists(os.path.join(shared, ".s.PGSQL.5432")):
            self.dir, self.shared = shared, True
            return self
        self.shared = False
        self.dir = tempfile.mkdtemp(prefix="medlabel-pg-")
        if os.getuid() == 0:
            pw = pwd.getpwnam("nobody")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
        data = os.path.join(self.dir, "data")
        self._run("initdb", "-D", data, "-U", "medlabel", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        # fsync off: a test cluster need not survive a crash; room for two servers' connections
        self._run("pg_ctl", "-D", data, "-w", "-t", "30", "-l", os.path.join(self.dir, "log"), "-o",
                  f"-k {self.dir} -c listen_addresses= -c fsync=off -c synchronous_commit=off "
                  "-c full_page_writes=off -c max_connections=300", "start")
        return self

    def url(self, db):
        return f"postgresql:///{db}?host={self.dir}&user=medlabel"

    def database(self, name):
        """Creates an empty database; returns its URL."""
        psql = os.path.join(self.bin, "psql")
        subprocess.run([psql if os.path.exists(psql) else "psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", self.url("postgres"), "-c",
                        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', "-c",
                        f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''],
                       check=True, capture_output=True, timeout=30)
        return self.url(name)

    def __exit__(self, *exc):
        if self.dir and not self.shared:
            try:
                self._run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "immediate", "stop")
            finally:
                shutil.rmtree(self.dir, ignore_errors=True)
