"""The HTTP/1.1 server under `http.listen` and `http.startServer`: one thread per server runs an event loop over
the listening socket and every connection. It reads requests, hands each complete one to the program (through
`queue`, which `listen`'s loop empties) or answers it itself (`respond`, the background server), and writes the
answers back. A connection costs a socket and bounded buffers, never a thread; a client that is slow to send its
request or to read its answer is dropped after a deadline, and when every connection slot is taken the one that
has waited longest for its request makes room. Nothing here writes to stderr: a failure closes its connection.

The limits (LIMITS; http.py's docstring documents them for programs) can be changed per server with a `limits`
object.
"""
from __future__ import annotations

import collections
import email.utils
import errno
import queue
import re
import resource
import selectors
import socket
import threading
import time
import urllib.parse
from http import HTTPStatus

LIMITS = {
    "requestLine": 8192,        # bytes in the request line; longer: 414
    "headers": 65536,           # bytes in the header block (and at most MAX_HEADERS lines); more: 431
    "body": 10 * 1024 * 1024,   # bytes in a body (by Content-Length or chunks); more: 413, and the body is not read
    "connections": 512,         # open connections at once
    "timeout": 30,              # seconds to receive a request once it has begun, or to send an answer; then 408
    "idle": 15,                 # seconds a connection may stay open with no request under way
}
MAX_HEADERS = 100
_CHUNK_LINE = 1024              # bytes in a chunk-size line

_REASONS = {s.value: s.phrase for s in HTTPStatus}
_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def plain(status):
    """A short answer (status, headers, body) for an error the server gives itself."""
    return status, list(_TEXT), _REASONS.get(status, "Error").encode()


UNAVAILABLE = plain(503)
SERVER_ERROR = plain(500)


def limits_of(given):
    """LIMITS with a server's own `limits` object over them (positive numbers only); returns (limits, problem)."""
    out = dict(LIMITS)
    if given is None:
        return out, None
    if given.__class__ is not dict:
        return None, "server.limits must be an object"
    for k, v in given.items():
        if k not in LIMITS:
            return None, f"unknown limit '{k}' (known: {', '.join(LIMITS)})"
        if v.__class__ is not float and v.__class__ is not int or v.__class__ is bool or not 0 < v < 1e15:
            return None, f"limit '{k}' must be a positive number"
        out[k] = v if k in ("timeout", "idle") else max(1, int(v))
    return out, None


class _Refused(Exception):
    """A request the server answers itself with an error status, then closes the connection."""

    def __init__(self, status):
        super().__init__(status)
        self.status = status


class Connection:
    __slots__ = ("sock", "inbuf", "outbuf", "head", "body", "chunk", "busy", "closing", "since", "deadline",
                 "keep_alive", "version", "method", "draining", "mask")

    def __init__(self, sock, now, idle):
        self.sock = sock
        self.inbuf = bytearray()
        self.outbuf = bytearray()
        self.head = None            # the parsed head of the request being read: (method, target, version, headers)
        self.body = None            # its body so far (a chunked one), or None
        self.chunk = 0              # chunked body: bytes of the current chunk still to read (-1: expecting its size)
        self.busy = False           # a request is with the program: nothing more is read until it is answered
        self.closing = False        # close once outbuf is sent
        self.since = None           # when the request under way began (None: none under way)
        self.deadline = now + idle
        self.keep_alive = True
        self.version = "HTTP/1.1"   # of the request being answered
        self.method = "GET"
        self.draining = False       # answered and closed for writing: what the client still sends is read and dropped
        self.mask = 0


class ServerCore:
    """A listening socket and its connections, served by one event-loop thread. Complete requests wait in `queue`
    as (request object, connection) unless `respond(request) -> (status, headers, body)` answers them at once."""

    def __init__(self, host, port, limits=None, respond=None):
        self.limits = limits or dict(LIMITS)
        self.respond = respond
        self.queue = queue.Queue()
        self.pending = {}                   # id(request object) -> (request object, connection): with the program
        self.stopped = threading.Event()    # no new requests are taken
        self.finished = threading.Event()   # nobody will answer any more
        self._replies = collections.deque()  # (connection, reply) from the program's thread
        self._stop_asked = False
        self._listener_closed = threading.Event()
        self._ended = threading.Event()
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        lsock = socket.socket(family, socket.SOCK_STREAM)
        try:
            lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            lsock.bind((host, port))
            lsock.listen(128)
            lsock.setblocking(False)
        except BaseException:
            lsock.close()
            raise
        self.listener = lsock
        self.host = host
        self.port = lsock.getsockname()[1]
        try:
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        except (OSError, ValueError):
            soft = 1024
        if soft != resource.RLIM_INFINITY:          # leave descriptors for the program's own files
            self.limits["connections"] = max(1, min(self.limits["connections"], soft - 64))
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.sel = selectors.DefaultSelector()
        self.sel.register(lsock, selectors.EVENT_READ, "listener")
        self.sel.register(self._wake_r, selectors.EVENT_READ, "wake")
        self.conns = set()
        self.thread = threading.Thread(target=self._run, name=f"neutron-http-{self.port}", daemon=True)
        self.thread.start()

    # ---- called from the program's thread -------------------------------------------------------------------

    def answer(self, conn, reply):
        self._replies.append((conn, reply))
        self._wake()

    def stop(self):
        """Stop accepting (the port is closed on return); requests not yet taken get 503. Requests handed to the
        program are still answered."""
        if self.stopped.is_set():
            return
        self.stopped.set()
        self._stop_asked = True
        self._wake()
        self._listener_closed.wait(5)
        self._drain()

    def finish(self, grace=2.0):
        """Stop, answer 503 to every request not answered yet, let the answers reach their clients (up to
        `grace` seconds), then close everything."""
        self.stop()
        self.finished.set()
        for req, conn in list(self.pending.values()):
            self.answer(conn, UNAVAILABLE)
        self.pending.clear()
        self._drain()
        self._wake()
        self._ended.wait(grace + 1)

    def _drain(self):
        while True:
            try:
                _, conn = self.queue.get_nowait()
            except queue.Empty:
                return
            self.answer(conn, UNAVAILABLE)

    def _wake(self):
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass                            # full (a wake-up is pending anyway) or closed (the loop has ended)

    # ---- the event loop -------------------------------------------------------------------------------------

    def _run(self):
        grace_until = None
        try:
            while True:
                now = time.monotonic()
                if self._stop_asked and not self._listener_closed.is_set():
                    self._close_listener()
                if self.finished.is_set():
                    if grace_until is None:
                        grace_until = now + 2.0
                    if now >= grace_until or not any(c.outbuf or c.busy for c in self.conns):
                        break
                wait = 0.5
                for c in self.conns:
                    if not c.busy:
                        wait = min(wait, max(0.0, c.deadline - now))
                for key, mask in self.sel.select(wait):
                    what = key.data
                    if what == "listener":
                        self._accept(now)
                    elif what == "wake":
                        try:
                            while self._wake_r.recv(4096):
                                pass
                        except OSError:
                            pass
                    else:
                        self._guarded(self._serve_events, what, mask, now)
                while self._replies:
                    conn, reply = self._replies.popleft()
                    if conn in self.conns:
                        self._guarded(self._send_reply, conn, reply)
                self._expire(time.monotonic())
        except Exception:
            pass                            # (a bug here must not print a traceback: the program goes on)
        finally:
            self._close_listener()
            for c in list(self.conns):
                self._drop(c)
            self.sel.close()
            self._wake_r.close()
            self._wake_w.close()
            self.stopped.set()
            self.finished.set()
            self._ended.set()

    def _guarded(self, fn, conn, *args):
        try:
            fn(conn, *args)
        except Exception:
            self._drop(conn)

    def _close_listener(self):
        if self._listener_closed.is_set():
            return
        try:
            self.sel.unregister(self.listener)
        except (KeyError, ValueError):
            pass
        self.listener.close()
        self._listener_closed.set()

    def _accept(self, now):
        for _ in range(64):
            try:
                sock, _ = self.listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as e:
                if e.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._evict(now)        # out of descriptors: make room, the client will be taken next time
                return
            if len(self.conns) >= self.limits["connections"] and not self._evict(now):
                self._refuse_at_once(sock)
                continue
            sock.setblocking(False)
            conn = Connection(sock, now, self.limits["idle"])
            self.conns.add(conn)
            self._watch(conn, selectors.EVENT_READ)

    def _evict(self, now):
        """Close the connection that has waited longest for its request to arrive; False if all are busy."""
        waiting = [c for c in self.conns if not c.busy and not c.outbuf]
        if not waiting:
            return False
        idle = self.limits["idle"]
        self._drop(min(waiting, key=lambda c: c.since if c.since is not None else c.deadline - idle))
        return True

    @staticmethod
    def _refuse_at_once(sock):
        try:
            sock.setblocking(False)
            sock.send(_encode_reply(UNAVAILABLE, False))
        except OSError:
            pass
        sock.close()

    def _watch(self, conn, mask):
        if mask == conn.mask:
            return
        if conn.mask == 0:
            self.sel.register(conn.sock, mask, conn)
        elif mask == 0:
            self.sel.unregister(conn.sock)
        else:
            self.sel.modify(conn.sock, mask, conn)
        conn.mask = mask

    def _drop(self, conn):
        if conn not in self.conns:
            return
        self.conns.discard(conn)
        if conn.mask:
            try:
                self.sel.unregister(conn.sock)
            except (KeyError, ValueError):
                pass
        conn.mask = 0
        try:
            conn.sock.close()
        except OSError:
            pass

    def _expire(self, now):
        for c in [c for c in self.conns if c.deadline <= now]:
            if c.busy:
                continue
            if c.since is not None and not c.closing and not c.outbuf:
                self._refuse(c, 408)        # a request begun but not finished in time
            else:
                self._drop(c)               # idle, or an answer the client does not take

    def _serve_events(self, conn, mask, now):
        if mask & selectors.EVENT_WRITE:
            self._flush(conn, now)
            if conn not in self.conns:
                return
        if mask & selectors.EVENT_READ and conn.draining:
            try:
                if not conn.sock.recv(65536):
                    self._drop(conn)
            except (BlockingIOError, InterruptedError):
                pass
            except OSError:
                self._drop(conn)
            return
        if mask & selectors.EVENT_READ and not conn.busy and not conn.closing:
            room = self.limits["requestLine"] + self.limits["headers"] + 65536
            try:
                data = conn.sock.recv(min(65536, room))
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._drop(conn)
                return
            if not data:
                self._drop(conn)            # the client closed (a request half sent is dropped with it)
                return
            if conn.since is None:
                conn.since = now
                conn.deadline = now + self.limits["timeout"]
            conn.inbuf += data
            self._advance(conn, now)

    # ---- requests -------------------------------------------------------------------------------------------

    def _advance(self, conn, now):
        """Parse what has arrived; hand a complete request on."""
        try:
            request = self._parse(conn)
        except _Refused as e:
            self._refuse(conn, e.status)
            return
        if request is None:
            return
        conn.busy = True
        self._watch(conn, selectors.EVENT_WRITE if conn.outbuf else 0)
        if self.respond is not None:
            self._send_reply(conn, self.respond(request))
        elif self.stopped.is_set():
            self._send_reply(conn, UNAVAILABLE)
        else:
            self.queue.put((request, conn))

    def _parse(self, conn):
        buf = conn.inbuf
        lim = self.limits
        if conn.head is None:
            while buf[:2] == b"\r\n" or buf[:1] == b"\n":     # blank lines before a request are allowed
                del buf[:2 if buf[:2] == b"\r\n" else 1]
            if not buf:
                conn.since = None
                conn.deadline = time.monotonic() + lim["idle"]
                return None
            nl = buf.find(b"\n", 0, lim["requestLine"] + 2)
            if nl < 0:
                if len(buf) > lim["requestLine"] + 1:
                    raise _Refused(414)
                return None
            m = _HEAD_END.search(buf, nl - 1 if nl else 0)
            if m is None:
                if len(buf) - nl > lim["headers"]:
                    raise _Refused(431)
                return None
            if m.start() - nl > lim["headers"]:
                raise _Refused(431)
            conn.head = self._parse_head(bytes(buf[:m.start()]))
            del buf[:m.end()]
            method, target, version, (headers, _) = conn.head
            te = headers.get("transfer-encoding")
            length = headers.get("content-length")
            if te is not None:
                if length is not None or te.lower().replace(" ", "").split(",")[-1] != "chunked":
                    raise _Refused(400)
                conn.body, conn.chunk = bytearray(), -1
            elif length is not None:
                if not re.fullmatch(r"[0-9]{1,18}", length):
                    raise _Refused(400)
                if int(length) > lim["body"]:
                    raise _Refused(413)
            if version == "HTTP/1.1" and headers.get("expect", "").lower() == "100-continue" and \
                    (te is not None or length not in (None, "0")):
                conn.outbuf += b"HTTP/1.1 100 Continue\r\n\r\n"
                self._watch(conn, selectors.EVENT_READ | selectors.EVENT_WRITE)
        method, target, version, (headers, as_sent) = conn.head
        if conn.body is not None:
            body = self._read_chunks(conn)
            if body is None:
                return None
        else:
            n = int(headers.get("content-length", "0"))
            if len(buf) < n:
                return None
            body = bytes(buf[:n])
            del buf[:n]
        conn.head = conn.body = None
        connection = headers.get("connection", "").lower()
        conn.keep_alive = ("close" not in connection) if version == "HTTP/1.1" else ("keep-alive" in connection)
        conn.version, conn.method = version, method
        return _request_object(method, target, version, headers, as_sent, body)

    @staticmethod
    def _parse_head(head: bytes):
        lines = head.split(b"\n")
        parts = lines[0].rstrip(b"\r").split(b" ")
        if len(parts) != 3 or not _TOKEN.match(parts[0]) or not parts[1]:
            raise _Refused(400)
        version = parts[2].decode("latin-1")
        if version not in ("HTTP/1.0", "HTTP/1.1"):
            raise _Refused(505 if re.fullmatch(r"HTTP/\d\.\d", version) else 400)
        if len(lines) - 1 > MAX_HEADERS:
            raise _Refused(431)
        headers = {}
        as_sent = []
        for raw in lines[1:]:
            raw = raw.rstrip(b"\r")
            name, colon, value = raw.partition(b":")
            if not colon or not _TOKEN.match(name):
                raise _Refused(400)        # also a folded line (starting with a blank)
            name = name.decode("latin-1")
            v = value.strip(b" \t").decode("latin-1")
            as_sent.append((name, v))
            k = name.lower()
            if k in headers:
                if k in ("content-length", "transfer-encoding", "host"):
                    raise _Refused(400)     # two of these make the request ambiguous
                headers[k] = headers[k] + ", " + v
            else:
                headers[k] = v
        return parts[0].decode("latin-1"), parts[1].decode("latin-1"), version, (headers, as_sent)

    def _read_chunks(self, conn):
        """Take the chunks that have arrived into conn.body; the body once complete (trailers read), else None."""
        buf = conn.inbuf
        while True:
            if conn.chunk == -1:                    # a chunk-size line
                nl = buf.find(b"\n", 0, _CHUNK_LINE)
                if nl < 0:
                    if len(buf) >= _CHUNK_LINE:
                        raise _Refused(400)
                    return None
                size = buf[:nl].split(b";", 1)[0].strip()
                if not size or len(size) > 16 or not re.fullmatch(rb"[0-9A-Fa-f]+", size):
                    raise _Refused(400)
                n = int(size, 16)
                del buf[:nl + 1]
                if len(conn.body) + n > self.limits["body"]:
                    raise _Refused(413)
                conn.chunk = n if n else -2
            elif conn.chunk == -2:                  # trailers, up to an empty line
                nl = buf.find(b"\n")
                if nl < 0:
                    if len(buf) > self.limits["headers"]:
                        raise _Refused(431)
                    return None
                line = bytes(buf[:nl]).rstrip(b"\r")
                del buf[:nl + 1]
                if not line:
                    return bytes(conn.body)
            else:
                need = conn.chunk + 1                # the data and at least the \n after it
                if len(buf) < need:
                    return None
                end = buf.find(b"\n", conn.chunk, conn.chunk + 2)
                if end < 0 or buf[conn.chunk:end].rstrip(b"\r"):
                    raise _Refused(400)
                conn.body += buf[:conn.chunk]
                del buf[:end + 1]
                conn.chunk = -1

    # ---- answers --------------------------------------------------------------------------------------------

    def _refuse(self, conn, status):
        conn.closing = True
        conn.busy = False
        conn.outbuf += _encode_reply(plain(status), False)
        conn.deadline = time.monotonic() + self.limits["timeout"]
        self._watch(conn, selectors.EVENT_WRITE)

    def _send_reply(self, conn, reply):
        if not conn.busy:
            return
        conn.busy = False
        keep = conn.keep_alive and not self.stopped.is_set()
        conn.closing = not keep
        conn.outbuf += _encode_reply(reply, keep, conn.method == "HEAD", conn.version == "HTTP/1.0")
        conn.since = None
        conn.deadline = time.monotonic() + self.limits["timeout"]
        self._watch(conn, selectors.EVENT_WRITE)

    def _flush(self, conn, now):
        try:
            n = conn.sock.send(conn.outbuf)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._drop(conn)
            return
        del conn.outbuf[:n]
        if conn.outbuf:
            return
        if conn.closing:
            # Closing with the client's unread bytes would reset the connection, and the client could lose the
            # answer (a 413 while it is still sending): close for writing, drop what comes for a second, then close.
            try:
                conn.sock.shutdown(socket.SHUT_WR)
            except OSError:
                self._drop(conn)
                return
            conn.draining = True
            conn.deadline = now + 1.0
            self._watch(conn, selectors.EVENT_READ)
            return
        if conn.busy:                       # (a 100 Continue went out; the body is still arriving)
            self._watch(conn, 0)
            return
        conn.deadline = now + self.limits["idle"]
        self._watch(conn, selectors.EVENT_READ)
        if conn.inbuf:                      # a request sent right behind the last one
            conn.since = now
            conn.deadline = now + self.limits["timeout"]
            self._advance(conn, now)


def _request_object(method, target, version, headers, as_sent, body):
    """What the handler gets: header names lowercase in `headers`, as sent in `raw` (the request's text)."""
    parts = urllib.parse.urlsplit(target)
    query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True, errors="replace"))
    text = body.decode("utf-8", "replace")
    raw = (f"{method} {target} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in as_sent) + "\r\n" + text)
    return {"method": method, "path": parts.path or "/", "query": query, "headers": headers, "body": text,
            "raw": raw}


def _encode_reply(reply, keep_alive, head_only=False, http10=False):
    status, headers, body = reply
    out = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n", "Server: Neutron/1.0\r\n",
           f"Date: {email.utils.formatdate(usegmt=True)}\r\n"]
    for k, v in headers:
        out.append(f"{k}: {v}\r\n")
    no_body = status in (204, 304) or 100 <= status < 200
    if not no_body:
        out.append(f"Content-Length: {len(body)}\r\n")
    if not keep_alive:
        out.append("Connection: close\r\n")
    elif http10:
        out.append("Connection: keep-alive\r\n")
    out.append("\r\n")
    data = "".join(out).encode("latin-1", "replace")
    return data if no_body or head_only else data + body
