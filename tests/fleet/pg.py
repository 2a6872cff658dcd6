"""A throwaway PostgreSQL cluster for the fleet's tests, started from the installed server binaries.

PostgreSQL refuses to run as root: as root the cluster belongs to the `postgres` user (runuser). It listens only
on a Unix socket in its own folder, with fsync off (a test database needs no durability). Anything that stops
the server from starting raises ServerFailed with the reason and the server's log: the tests fail, never skip.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile


class ServerFailed(Exception):
    pass


def find_bin():
    for d in [os.environ.get("NEUTRON_TEST_PG_BIN", "")] + sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                                                                   reverse=True):
        if d and os.path.isfile(os.path.join(d, "initdb")):
            return d
    path = shutil.which("initdb")
    if path:
        return os.path.dirname(path)
    raise ServerFailed("no PostgreSQL server found (initdb is not in /usr/lib/postgresql/*/bin nor on PATH): "
                       "install it (apt-get install postgresql) or set NEUTRON_TEST_PG_BIN")


class Cluster:
    def __init__(self):
        self.bin = find_bin()
        self.dir = tempfile.mkdtemp(prefix="neutron-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "server.log")
        self.as_user = []
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise ServerFailed("running as root, and PostgreSQL refuses root: there is no 'postgres' user to "
                                   "run the server as (useradd postgres)") from None
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            runuser = shutil.which("runuser")
            if runuser is None:
                raise ServerFailed("running as root and no runuser to start PostgreSQL as 'postgres'")
            self.as_user = [runuser, "-u", "postgres", "--"]
        os.chmod(self.dir, 0o755)
        self.port = 5432 + (os.getpid() % 2000) + 1000

    def _run(self, *cmd, check=True, timeout=120):
        done = subprocess.run(self.as_user + list(cmd), capture_output=True, text=True, timeout=timeout)
        if check and done.returncode != 0:
            raise ServerFailed(f"{os.path.basename(cmd[0])} failed (status {done.returncode}):\n{done.stdout}"
                               f"{done.stderr}{self._log()}")
        return done

    def _log(self):
        try:
            with open(self.log) as fh:
                return "\nserver log:\n" + fh.read()[-4000:]
        except OSError:
            return ""

    def start(self):
        self._run(os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "postgres", "-A", "trust",
                  "--no-sync", "-E", "UTF8", "--locale=C")
        opts = (f"-k {self.dir} -p {self.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
                f"-c full_page_writes=off -c max_connections=200 -c shared_buffers=64MB")
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l", self.log, "-o", opts, "-w", "-t", "60",
                  "start")
        return self

    def url(self, dbname="postgres"):
        return f"postgresql://postgres@/{dbname}?host={self.dir}&port={self.port}"

    def stop(self):
        self._run(os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m", "immediate", "-w", "stop", check=False)
        shutil.rmtree(self.dir, ignore_errors=True)
