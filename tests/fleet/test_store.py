"""Snapshot stores: an S3 bucket (moto's server on 127.0.0.1, reached by s3fs with the endpoint given in
NEUTRON_FLEET_STORE_OPTIONS) and inside PostgreSQL (no store). The last three snapshots are kept, a half-written
object is never resumed from."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import pytest

SAVER = """use sys;
var i = 0;
while (i < 4) {
    sys.checkpoint();
    say("saved " + i);
    i = i + 1;
}
sys.hibernate();
say("woken");
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3():
    port = free_port()
    p = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    end = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if p.poll() is not None or time.monotonic() > end:
                p.kill()
                pytest.fail(f"moto's S3 server did not start on 127.0.0.1:{port}: {p.stderr.read().decode()}",
                            pytrace=False)
            time.sleep(0.1)
    options = {"endpoint_url": f"http://127.0.0.1:{port}", "key": "testing", "secret": "testing",
               "client_kwargs": {"region_name": "us-east-1"}}
    import boto3
    import s3fs
    boto3.client("s3", endpoint_url=options["endpoint_url"], aws_access_key_id="testing",
                 aws_secret_access_key="testing", region_name="us-east-1").create_bucket(Bucket="fleet-bucket")
    fs = s3fs.S3FileSystem(**options)
    yield options, fs
    p.terminate()
    p.wait(10)


def test_an_s3_store_keeps_the_last_three(fleet, tmp_path, s3):
    options, fs = s3
    fleet.env["NEUTRON_FLEET_STORE"] = "s3://fleet-bucket/snaps"
    fleet.env["NEUTRON_FLEET_STORE_OPTIONS"] = json.dumps(options)
    (tmp_path / "saver.nt").write_text(SAVER)
    run = fleet.submit("saver.nt")
    assert fleet.query("SELECT location LIKE 's3://fleet-bucket/snaps/%%', data IS NULL FROM neutron_fleet_snapshots "
                       "WHERE run_id = %s", run) == [(True, True)]
    w = fleet.worker()
    fleet.wait_state(run, "hibernated")
    rows = fleet.query("SELECT seq, size, location FROM neutron_fleet_snapshots WHERE run_id = %s ORDER BY seq", run)
    assert [seq for seq, _, _ in rows] == [4, 5, 6]
    fs.invalidate_cache()
    objects = sorted(fs.ls(f"fleet-bucket/snaps/{run}", detail=True), key=lambda o: o["name"])
    assert [(o["name"], o["size"]) for o in objects] == [(loc[len("s3://"):], size) for _, size, loc in rows]
    # a half-written next object (no row): ignored
    fs.pipe_file(f"fleet-bucket/snaps/{run}/000007-1-0badf00d.snap", b"NEUTRON" + b"\0" * 10)
    fleet.ok("wake", run)
    fleet.wait_state(run, "done")
    assert fleet.logs(run) == ["saved 0", "saved 1", "saved 2", "saved 3", "woken"]
    fs.invalidate_cache()
    assert len(fs.ls(f"fleet-bucket/snaps/{run}")) == 3      # the orphan is swept when the attempt ends
    assert "store        s3://fleet-bucket/snaps" in fleet.ok("show", run)
    fleet.stop(w)


def test_snapshots_inside_postgresql_keep_the_last_three(fleet, tmp_path):
    (tmp_path / "saver.nt").write_text(SAVER)
    run = fleet.submit("saver.nt")
    w = fleet.worker()
    fleet.wait_state(run, "hibernated")
    rows = fleet.query("SELECT seq, location IS NULL, length(data) = size FROM neutron_fleet_snapshots "
                       "WHERE run_id = %s ORDER BY seq", run)
    assert rows == [(4, True, True), (5, True, True), (6, True, True)]
    assert "store        PostgreSQL" in fleet.ok("show", run)
    fleet.stop(w)


def test_a_store_that_cannot_be_used_is_said_clearly(fleet, tmp_path):
    (tmp_path / "p.nt").write_text('say("x");\n')
    status, out, err = fleet.run("submit", "p.nt", "--store", "nosuchprotocol://x/y")
    assert status == 2 and "cannot use the store 'nosuchprotocol://x/y'" in err, err
    status, out, err = fleet.run("submit", "p.nt", "--store", tmp_path / "st", env={"NEUTRON_FLEET_STORE_OPTIONS": "{nope"})
    assert status == 2 and "NEUTRON_FLEET_STORE_OPTIONS is not JSON" in err
