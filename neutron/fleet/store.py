"""Where a run's snapshots live: inside PostgreSQL (no store given), or in an fsspec store named by URL
(a local folder, s3://bucket/prefix, gs://..., az://...).

Every snapshot is written under a fresh name (run id, sequence number, the writer's lease token and a random
part), completely, before its row is committed in PostgreSQL; the fleet reads only snapshots that have a row. So
a writer killed half-way leaves at worst an object nobody refers to, and no run ever resumes from half an object.
A local folder gets the same atomic write as `sys.checkpoint` (temporary file, fsync, rename, mode 0600); an
object store's single PUT is atomic by itself.

Options for the store's file system (credentials, an S3 endpoint) come from NEUTRON_FLEET_STORE_OPTIONS, a JSON
object passed to fsspec: for S3-compatible servers {"endpoint_url": "http://127.0.0.1:9000", "key": ...,
"secret": ...}.
"""
from __future__ import annotations

import json
import os
import secrets

from .db import FleetError


def store_options():
    text = os.environ.get("NEUTRON_FLEET_STORE_OPTIONS")
    if not text:
        return {}
    try:
        options = json.loads(text)
    except ValueError as e:
        raise FleetError(f"NEUTRON_FLEET_STORE_OPTIONS is not JSON: {e}", 2) from None
    if not isinstance(options, dict):
        raise FleetError("NEUTRON_FLEET_STORE_OPTIONS must be a JSON object", 2)
    return options


def _fs(url):
    """(file system, path) of a URL, the file system made once per protocol and options."""
    import fsspec       # lazy: the fleet extra, only when a store is used
    options = store_options()
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
    except (ImportError, ValueError) as e:
        raise FleetError(f"cannot use the store '{url}': {e}", 2) from None
    return fs, path


def is_local(fs):
    protocol = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
    return protocol in ("file", "local")


def check_store(url):
    """The store URL made canonical (a local folder becomes absolute, and is created); FleetError if unusable."""
    if url is None or url == "":
        return None
    if "://" not in url:
        url = os.path.abspath(url)
    fs, path = _fs(url)
    try:
        if is_local(fs):
            os.makedirs(path, mode=0o700, exist_ok=True)
            url = path
        else:
            fs.makedirs(path, exist_ok=True)
    except OSError as e:
        raise FleetError(f"cannot use the store '{url}': {e}", 1) from None
    return url.rstrip("/")


def put(store, run_id, seq, token, data):
    """Write a snapshot's bytes to the store (None: they go into PostgreSQL); returns its location URL."""
    if store is None:
        return None
    name = f"{run_id}/{seq:06d}-{token}-{secrets.token_hex(4)}.snap"
    fs, root = _fs(store)
    path = root.rstrip("/") + "/" + name
    if is_local(fs):
        from ..durable import atomic    # lazy: only a local store writes files
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        atomic.replace_file(path, (data,))
        return path
    fs.pipe_file(path, data)
    return fs.unstrip_protocol(path)


def get(location):
    fs, path = _fs(location)
    if is_local(fs):
        with open(path, "rb") as fh:
            return fh.read()
    return fs.cat_file(path)


def delete(locations):
    for location in locations:
        if not location:
            continue
        fs, path = _fs(location)
        try:
            fs.rm_file(path)
        except (OSError, FileNotFoundError):
            pass


def sweep(store, run_id, kept, token):
    """Remove the run's objects that no row refers to (`kept`: the locations that rows refer to): what a writer
    killed between writing an object and committing its row left behind. Only objects written under a lease
    token up to `token` (the caller's): a later holder's object may be on its way to its row."""
    if store is None:
        return
    fs, root = _fs(store)
    folder = root.rstrip("/") + "/" + run_id
    try:
        fs.invalidate_cache(folder)
        names = fs.ls(folder, detail=False)
    except (OSError, FileNotFoundError):
        return
    keep = {_fs(loc)[1] for loc in kept if loc}
    for path in names:
        parts = path.rsplit("/", 1)[-1].split("-")
        if not (path.endswith(".snap") and len(parts) == 3 and parts[1].isdigit()) or path in keep:
            continue
        if int(parts[1]) <= token:
            try:
                fs.rm_file(path)
            except (OSError, FileNotFoundError):
                pass
