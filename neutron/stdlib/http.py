"""The `http` module: an HTTP client, a small HTTP server, URL encoding helpers.

Built on the Python standard library (urllib.request, http.server) so the language needs no extra dependency.

Client: get/delete/head(url, [headers]), post/put/patch(url, [data], [headers]),
request(method, url, [data], [headers]) all make a real request and return {status, body, headers}.
In place of `headers` an options object {"headers": {...}, "timeout": seconds, "redirects": bool} is accepted
(an object whose keys are only those). Defaults: 30 s timeout, redirects followed, User-Agent "Neutron/1.0".
Any status, also 4xx/5xx, is returned, not raised. Response header names are lowercase
(`res["headers"]["content-type"]`); repeated headers are joined with ", ". The body is decoded with the charset
the server names, else UTF-8. Only http:// and https:// URLs are allowed. A failure to connect raises
"http.get: could not connect to URL: reason"; a timeout raises "http.get: request to URL timed out after N s".

Server: createServer(handler) -> {port, running, handler}; listen(server, port) blocks and serves on 0.0.0.0
(or on server["host"] when set; port 0 picks a free port, written to server["port"]). Requests are received by
background threads and queued; listen (written in Neutron below, so the handler runs as ordinary Neutron code)
calls the handler once per request, in arrival order, and the waiting thread sends the answer. The handler gets
{method, path, query, headers, body, raw}: path without the query string (not decoded), query an object of the
decoded parameters, header names lowercase, raw the request text. It returns a string (status 200,
text/html) or {status, body, contentType, headers}; nil or a thrown error gives 500 (the error is reported on
standard error). http.stop(server) (or stopServer(server), or setting server["running"] = false) ends listen
after the current request. startServer(port) runs a fixed "Neutron HTTP Server" page in the background until
stopServer(). Server sockets are not part of a snapshot: after a resume, listen must be called again.

urlEncode (space -> "+", other bytes outside A-Z a-z 0-9 - _ . ~ as %XX of the UTF-8 bytes), urlDecode, and
parseQuery ("a=1&b=2" -> {a: 1, b: 2} as strings; as in the reference the values are not decoded, use urlDecode).
"""
from __future__ import annotations

import http.client
import http.server
import queue
import socket
import socketserver
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request

from .native import NativeModule, arg_dict, arg_error, arg_int, arg_str, fail, opt
from ..runtime.values import Buffer, Resource, to_str, type_name

module = NativeModule("http")

DEFAULT_TIMEOUT = 30.0
USER_AGENT = "Neutron/1.0"
_OPTION_KEYS = frozenset(("headers", "timeout", "redirects"))


# ---- client ------------------------------------------------------------------------------------------------------

def _opener(follow_redirects: bool):
    handlers = [urllib.request.ProxyHandler(), urllib.request.HTTPHandler(), urllib.request.HTTPSHandler(),
                urllib.request.HTTPDefaultErrorHandler(), urllib.request.HTTPErrorProcessor(),
                urllib.request.UnknownHandler()]
    if follow_redirects:
        handlers.append(urllib.request.HTTPRedirectHandler())
    opener = urllib.request.OpenerDirector()
    for h in handlers:
        opener.add_handler(h)
    return opener


def _options(v, fname, i):
    """(headers dict, timeout, follow redirects) from a headers object or an options object."""
    if v is None:
        return {}, DEFAULT_TIMEOUT, True
    if v.__class__ is not dict:
        raise arg_error(v, i, fname, "headers", "an object")
    if not v or not set(v) <= _OPTION_KEYS:
        return v, DEFAULT_TIMEOUT, True
    headers = v.get("headers")
    if headers is None:
        headers = {}
    elif headers.__class__ is not dict:
        fail(fname, f"options.headers must be an object, got {type_name(headers)}.")
    timeout = v.get("timeout")
    if timeout is None:
        timeout = DEFAULT_TIMEOUT
    elif timeout.__class__ is not float and timeout.__class__ is not int or timeout.__class__ is bool \
            or not timeout > 0:
        fail(fname, "options.timeout must be a positive number of seconds.")
    redirects = v.get("redirects")
    if redirects is None:
        redirects = True
    elif redirects.__class__ is not bool:
        fail(fname, f"options.redirects must be a boolean, got {type_name(redirects)}.")
    return headers, float(timeout), redirects


def _encode(s: str) -> bytes:
    try:
        return s.encode("utf-8", "surrogateescape")    # binary text from crypto/base64 keeps its bytes
    except UnicodeEncodeError:
        return s.encode("utf-8", "surrogatepass")


def _body(v, fname, i):
    if v is None:
        return None
    if v.__class__ is str:
        return _encode(v)
    if v.__class__ is Buffer:
        return bytes(v.data)
    raise arg_error(v, i, fname, "data", "a string")


def _reason(e) -> str:
    r = getattr(e, "reason", e)
    if isinstance(r, (socket.timeout, TimeoutError)):
        return "timed out"
    if isinstance(r, OSError) and r.strerror:
        return r.strerror
    return str(r) or r.__class__.__name__


def _decode(raw: bytes, headers) -> str:
    charset = None
    try:
        charset = headers.get_content_charset()
    except Exception:
        pass
    try:
        return raw.decode(charset or "utf-8", "replace")
    except LookupError:
        return raw.decode("utf-8", "replace")


def perform(fname, method, url, data=None, headers=None, timeout=DEFAULT_TIMEOUT, redirects=True):
    """Make one request; returns the Neutron response object."""
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    if scheme not in ("http", "https"):
        if not scheme:
            fail(fname, f"invalid URL '{url}': it must start with http:// or https://.")
        fail(fname, f"unsupported URL scheme '{scheme}' in '{url}' (only http and https).")
    if method in ("POST", "PUT", "PATCH") and data is None:
        data = b""
    try:
        req = urllib.request.Request(url, data=data, method=method)
    except ValueError as e:
        fail(fname, f"invalid URL '{url}': {e}.")
    has_agent = False
    for k, v in (headers or {}).items():
        if v is None:
            continue
        if k.lower() == "user-agent":
            has_agent = True
        req.add_header(k, to_str(v))
    if not has_agent:
        req.add_header("User-Agent", USER_AGENT)
    try:
        resp = _opener(redirects).open(req, timeout=timeout)   # built per call: proxy settings are read now
    except urllib.error.HTTPError as e:
        resp = e                                    # a status like 404: an answer, not a failure
    except urllib.error.URLError as e:
        if isinstance(e.reason, (socket.timeout, TimeoutError)):
            fail(fname, f"request to {url} timed out after {to_str(timeout)} s.")
        fail(fname, f"could not connect to {url}: {_reason(e)}")
    except (socket.timeout, TimeoutError):
        fail(fname, f"request to {url} timed out after {to_str(timeout)} s.")
    except (http.client.HTTPException, OSError, ValueError) as e:
        fail(fname, f"request to {url} failed: {_reason(e)}")
    try:
        with resp:
            raw = resp.read() if method != "HEAD" else b""
            status = resp.status if getattr(resp, "status", None) is not None else resp.code
            resp_headers = resp.headers
    except (socket.timeout, TimeoutError):
        fail(fname, f"request to {url} timed out after {to_str(timeout)} s.")
    except (http.client.HTTPException, OSError) as e:
        fail(fname, f"request to {url} failed while reading the answer: {_reason(e)}")
    out_headers = {}
    if resp_headers is not None:
        for k, v in resp_headers.items():
            k = k.lower()
            out_headers[k] = out_headers[k] + ", " + v if k in out_headers else v
    return {"status": float(status), "body": _decode(raw, resp_headers) if resp_headers is not None
            else raw.decode("utf-8", "replace"), "headers": out_headers}


def _client(name, method, with_data):
    fname = "http." + name

    def call(vm, args):
        url = arg_str(args, 0, fname, "url")
        data = _body(opt(args, 1), fname, 1) if with_data else None
        headers, timeout, redirects = _options(opt(args, 2 if with_data else 1), fname, 2 if with_data else 1)
        return perform(fname, method, url, data, headers, timeout, redirects)
    module.function(name, 1, 3 if with_data else 2)(call)


_client("get", "GET", False)
_client("delete", "DELETE", False)
_client("head", "HEAD", False)
_client("post", "POST", True)
_client("put", "PUT", True)
_client("patch", "PATCH", True)

_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


@module.function("request", 2, 4)
def request(vm, args):
    method = arg_str(args, 0, "http.request", "method").upper()
    if not method or not set(method) <= _TOKEN_CHARS:
        fail("http.request", f"invalid method '{args[0]}'.")
    url = arg_str(args, 1, "http.request", "url")
    data = _body(opt(args, 2), "http.request", 2)
    headers, timeout, redirects = _options(opt(args, 3), "http.request", 3)
    return perform("http.request", method, url, data, headers, timeout, redirects)


# ---- URL helpers -------------------------------------------------------------------------------------------------

@module.function("urlEncode", 1)
def url_encode(vm, args):
    s = arg_str(args, 0, "http.urlEncode", "text")
    return urllib.parse.quote_plus(s, safe="", encoding="utf-8", errors="surrogateescape")


@module.function("urlDecode", 1)
def url_decode(vm, args):
    s = arg_str(args, 0, "http.urlDecode", "text")
    return urllib.parse.unquote_plus(s, encoding="utf-8", errors="replace")


@module.function("parseQuery", 1)
def parse_query(vm, args):
    s = arg_str(args, 0, "http.parseQuery", "query")
    if s.startswith("?"):
        s = s[1:]
    out = {}
    for pair in s.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        out[key] = value
    return out


# ---- server ------------------------------------------------------------------------------------------------------

class _Slot:
    """Where the Neutron loop leaves the answer for one waiting request thread."""
    __slots__ = ("event", "reply")

    def __init__(self):
        self.event = threading.Event()
        self.reply = None


_UNAVAILABLE = (503, [("Content-Type", "text/plain; charset=utf-8")], b"Service Unavailable")
_SERVER_ERROR = (500, [("Content-Type", "text/plain; charset=utf-8")], b"Internal Server Error")


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128    # socketserver's 5 resets clients that connect together while handlers are busy

    def server_bind(self):
        # HTTPServer.server_bind looks up the host's full name, which can stall on a machine without DNS.
        socketserver.TCPServer.server_bind(self)
        self.server_name = self.server_address[0]
        self.server_port = self.server_address[1]


class _HTTPServer6(_HTTPServer):
    address_family = socket.AF_INET6


class ServerCore:
    """A listening socket served by background threads; requests wait in `queue` for the Neutron loop."""

    def __init__(self, host, port, handler_class):
        self.queue = queue.Queue()
        self.pending = {}                   # id(request object) -> (request object, slot)
        self.stopped = threading.Event()    # no new requests are taken
        self.finished = threading.Event()   # nobody will answer any more
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self.active = 0                     # request threads between receiving a request and sending its answer
        server_class = _HTTPServer6 if ":" in host else _HTTPServer
        self.httpd = server_class((host, port), handler_class)
        self.httpd.core = self
        self.host = host
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                       name=f"neutron-http-{self.port}", daemon=True)
        self.thread.start()

    def stop(self):
        """Stop accepting; requests still queued get 503. Requests handed to the handler are still answered."""
        with self._lock:
            if self.stopped.is_set():
                return
            self.stopped.set()
        try:
            self.httpd.shutdown()
        finally:
            self.httpd.server_close()
        self._drain()

    def finish(self, grace=2.0):
        self.stop()
        self.finished.set()
        for req, slot in list(self.pending.values()):
            if slot.reply is None:
                slot.reply = _UNAVAILABLE
            slot.event.set()
        self.pending.clear()
        self._drain()
        # The program may end right after listen returns; let answers already given reach their clients.
        with self._idle:
            self._idle.wait_for(lambda: self.active == 0, timeout=grace)

    def enter(self):
        with self._lock:
            self.active += 1

    def leave(self):
        with self._idle:
            self.active -= 1
            if self.active == 0:
                self._idle.notify_all()

    def _drain(self):
        while True:
            try:
                _, slot = self.queue.get_nowait()
            except queue.Empty:
                return
            slot.reply = _UNAVAILABLE
            slot.event.set()


def _read_body(handler) -> bytes:
    if "chunked" in handler.headers.get("Transfer-Encoding", "").lower():
        parts = []
        while True:
            line = handler.rfile.readline(65537)
            size = int(line.split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while handler.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass                    # trailers
                return b"".join(parts)
            parts.append(handler.rfile.read(size))
            handler.rfile.readline(3)
    length = handler.headers.get("Content-Length")
    if length:
        n = int(length)
        if n < 0:
            raise ValueError("negative Content-Length")
        return handler.rfile.read(n)
    return b""


class _RequestHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Neutron/1.0"

    def version_string(self):
        return self.server_version
    timeout = 60                            # an idle keep-alive connection frees its thread

    def log_message(self, format, *args):   # stdout and stderr belong to the program
        pass

    def __getattr__(self, name):
        # Every method (GET, POST, PROPFIND...) goes to the Neutron handler.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def _dispatch(self):
        core = self.server.core
        core.enter()
        try:
            try:
                raw_body = _read_body(self)
            except (ValueError, OSError):
                self._send((400, [("Content-Type", "text/plain; charset=utf-8")], b"Bad Request"))
                return
            self._send(self._ask(self._request_object(raw_body)))
        finally:
            core.leave()

    def _request_object(self, raw_body):
        parts = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(parts.query, keep_blank_values=True, errors="replace"))
        headers = {}
        for k, v in self.headers.items():
            k = k.lower()
            headers[k] = headers[k] + ", " + v if k in headers else v
        body = raw_body.decode("utf-8", "replace")
        raw = (self.requestline + "\r\n" + "".join(f"{k}: {v}\r\n" for k, v in self.headers.items()) + "\r\n"
               + body)
        return {"method": self.command, "path": parts.path or "/", "query": query, "headers": headers,
                "body": body, "raw": raw}

    def _ask(self, req):
        core = self.server.core
        if core.stopped.is_set():
            return _UNAVAILABLE
        slot = _Slot()
        core.queue.put((req, slot))
        while not slot.event.wait(0.1):
            if core.finished.is_set():
                break
        return slot.reply or _UNAVAILABLE

    def _send(self, reply):
        status, headers, body = reply
        try:
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD" and status not in (204, 304) and not 100 <= status < 200:
                self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True    # the client went away


def _report(message):
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def build_reply(res):
    """The (status, headers, body bytes) a handler result stands for."""
    if res is None:
        _report("http.listen: the handler returned nil; answered 500.")
        return _SERVER_ERROR
    if res.__class__ is not dict:
        return 200, [("Content-Type", "text/html; charset=utf-8")], _encode(to_str(res))
    status = res.get("status", 200.0)
    if status is None:
        status = 200.0
    if status.__class__ not in (float, int) or status != int(status) or not 100 <= status <= 599:
        _report(f"http.listen: the handler returned an invalid status {to_str(status)}; answered 500.")
        return _SERVER_ERROR
    body = res.get("body")
    body = "" if body is None else to_str(body)
    content_type = res.get("contentType")
    headers = []
    extra = res.get("headers")
    if extra.__class__ is dict:
        for k, v in extra.items():
            if k.lower() == "content-length" or v is None:
                continue
            if any(c in k for c in "\r\n:") or any(c in to_str(v) for c in "\r\n"):
                continue                     # would split the header block
            headers.append((k, to_str(v)))
    if not any(k.lower() == "content-type" for k, _ in headers):
        headers.insert(0, ("Content-Type", to_str(content_type) if content_type is not None
                           else "text/html; charset=utf-8"))
    return int(status), headers, _encode(body)


def _state(vm):
    s = vm.module_state.get("http")
    if s is None:
        s = {"servers": [], "background": None}
        vm.module_state["http"] = s
    return s


def _core(v, fname):
    if v.__class__ is not Resource or not isinstance(v.handle, ServerCore) and v.handle is not None:
        fail(fname, f"expected a server handle, got {type_name(v)}.")
    return v.get()


@module.function("createServer", 1)
def create_server(vm, args):
    handler = args[0]
    if type_name(handler) != "function":
        fail("http.createServer", f"argument 1 (handler) must be a function, got {type_name(handler)}.")
    return {"port": 0.0, "running": False, "handler": handler}


@module.function("_serve", 2)
def _serve(vm, args):
    server = arg_dict(args, 0, "http.listen", "server")
    port = arg_int(args, 1, "http.listen", "port")
    if not 0 <= port <= 65535:
        fail("http.listen", f"port must be between 0 and 65535, got {port}.")
    if type_name(server.get("handler")) != "function":
        fail("http.listen", "the server has no handler function (create it with http.createServer(handler)).")
    host = server.get("host")
    if host is None:
        host = "0.0.0.0"
    elif host.__class__ is not str:
        fail("http.listen", f"server.host must be a string, got {type_name(host)}.")
    try:
        core = ServerCore(host, port, _RequestHandler)
    except OSError as e:
        fail("http.listen", f"cannot listen on {host}:{port}: {e.strerror or e}.")
    state = _state(vm)
    state["servers"] = [(s, c) for s, c in state["servers"] if s is not server and not c.finished.is_set()]
    state["servers"].append((server, core))
    server["port"] = float(core.port)
    server["running"] = True
    return Resource("http server", core, {"port": core.port})


@module.function("_next", 2)
def _next(vm, args):
    core = _core(args[0], "http.listen")
    server = arg_dict(args, 1, "http.listen", "server")
    try:
        while True:
            if core.stopped.is_set() or server.get("running") is False:
                return None
            try:
                req, slot = core.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            core.pending[id(req)] = (req, slot)
            return req
    except BaseException:
        # Ctrl-C while waiting: close the socket and release waiting clients before unwinding.
        server["running"] = False
        core.finish()
        raise


def _answer(core, req, reply):
    entry = core.pending.pop(id(req), None)
    if entry is None or entry[0] is not req:
        return None                         # already answered 503 by a stop
    entry[1].reply = reply
    entry[1].event.set()
    return None


@module.function("_respond", 3)
def _respond(vm, args):
    core = _core(args[0], "http.listen")
    return _answer(core, args[1], build_reply(args[2]))


@module.function("_fail", 3)
def _fail(vm, args):
    core = _core(args[0], "http.listen")
    _report(f"http.listen: the handler failed: {to_str(args[2])}")
    return _answer(core, args[1], _SERVER_ERROR)


@module.function("_close", 2)
def _close(vm, args):
    core = _core(args[0], "http.listen")
    server = arg_dict(args, 1, "http.listen", "server")
    core.finish()
    server["running"] = False
    state = _state(vm)
    state["servers"] = [(s, c) for s, c in state["servers"] if c is not core]
    return None


def _stop_server_object(vm, server):
    server["running"] = False
    stopped = False
    for s, core in _state(vm)["servers"]:
        if s is server and not core.stopped.is_set():
            core.stop()                     # listen's loop sees running == false and finishes
            stopped = True
    return stopped


@module.function("stop", 1)
def stop(vm, args):
    server = arg_dict(args, 0, "http.stop", "server")
    return _stop_server_object(vm, server)


class _FixedPageHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Neutron/1.0"

    def version_string(self):
        return self.server_version
    timeout = 60
    PAGE = b"Neutron HTTP Server\n"

    def log_message(self, format, *args):
        pass

    def __getattr__(self, name):
        if name.startswith("do_"):
            return self._answer
        raise AttributeError(name)

    def _answer(self):
        try:
            _read_body(self)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(self.PAGE)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(self.PAGE)
        except (OSError, ValueError):
            self.close_connection = True


@module.function("startServer", 1, 2)
def start_server(vm, args):
    port = arg_int(args, 0, "http.startServer", "port")
    if not 0 <= port <= 65535:
        fail("http.startServer", f"port must be between 0 and 65535, got {port}.")
    host = arg_str(args, 1, "http.startServer", "host") if len(args) > 1 else "0.0.0.0"
    state = _state(vm)
    if state["background"] is not None:
        fail("http.startServer", "a background server is already running (stop it with http.stopServer()).")
    try:
        state["background"] = ServerCore(host, port, _FixedPageHandler)
    except OSError as e:
        fail("http.startServer", f"cannot listen on {host}:{port}: {e.strerror or e}.")
    return True


@module.function("stopServer", 0, 1)
def stop_server(vm, args):
    if args and args[0] is not None:
        return _stop_server_object(vm, arg_dict(args, 0, "http.stopServer", "server"))
    state = _state(vm)
    core = state["background"]
    if core is None:
        return False
    state["background"] = None
    core.finish()
    return True


module.prelude = "http.nt"
