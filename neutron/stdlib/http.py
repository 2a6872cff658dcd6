"""The `http` module: an HTTP client, a small HTTP server, URL encoding helpers.

Built on the Python standard library (urllib.request; the server on sockets and selectors, in httpserver.py) so the
language needs no extra dependency.

Client: get/delete/head(url, [headers]), post/put/patch(url, [data], [headers]),
request(method, url, [data], [headers]) all make a real request and return {status, body, headers}.
In place of `headers` an options object {"headers": {...}, "timeout": seconds, "redirects": bool} is accepted
(an object whose keys are only those). Defaults: 30 s timeout, redirects followed, User-Agent "Neutron/1.0".
Any status, also 4xx/5xx, is returned, not raised. Response header names are lowercase
(`res["headers"]["content-type"]`); repeated headers are joined with ", ". The body is decoded with the charset
the server names, else UTF-8. Only http:// and https:// URLs are allowed. A failure to connect raises
"http.get: could not connect to URL: reason"; a timeout raises "http.get: request to URL timed out after N s".

Server: createServer(handler) -> {port, running, handler}; listen(server, port) blocks and serves on 0.0.0.0
(or on server["host"] when set; port 0 picks a free port, written to server["port"]). One thread per server reads
the requests (an event loop: no thread per connection) and queues them; listen (written in Neutron, http.nt, so the
handler runs as ordinary Neutron code) calls the handler once per request, in arrival order. The handler gets
{method, path, query, headers, body, raw}: path without the query string (not decoded), query an object of the
decoded parameters, header names lowercase, raw the request text. It returns a string (status 200,
text/html) or {status, body, contentType, headers}; nil or a thrown error gives 500 (the error is reported on
standard error). http.stop(server) (or stopServer(server), or setting server["running"] = false) ends listen
after the current request.
Limits, each changed by server["limits"] = {name: number, ...}: requestLine 8192 bytes (longer: 414), headers
65536 bytes and 100 lines (more: 431), body 10485760 bytes by Content-Length or chunks (more: 413, said before the
body is read), connections 512 open at once (beyond: the one that has waited longest for its request is closed),
timeout 30 seconds to receive a request once begun or to send an answer (then 408, or closed), idle 15 seconds for
an open connection with no request. A server never writes a Python traceback.
startServer(port[, host]) answers every request in the background, as the reference's does, with 200 and
{"method": M, "path": P, "message": "Hello from Neutron Server!"} (application/json) until stopServer(); the
program goes on (the reference's http tests test the client against it).
Server sockets are not part of a snapshot: after a resume, a listen that was serving opens the same port again and
goes on (a request being handled at the checkpoint is not answered: its client was the old process's); a server
handle used anywhere else raises the clear error of every resource from before a resume.

urlEncode (space -> "+", other bytes outside A-Z a-z 0-9 - _ . ~ as %XX of the UTF-8 bytes), urlDecode, and
parseQuery ("a=1&b=2" -> {a: 1, b: 2} as strings; as in the reference the values are not decoded, use urlDecode).
"""
from __future__ import annotations

import http.client
import json
import queue
import socket
import sys
import urllib.error
import urllib.parse
import urllib.request

from .httpserver import SERVER_ERROR, ServerCore, limits_of
from .native import NativeModule, arg_dict, arg_error, arg_int, arg_str, fail, opt
from .sys import waiting
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
        return _waiting(vm, lambda: perform(fname, method, url, data, headers, timeout, redirects))
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
    return _waiting(vm, lambda: perform("http.request", method, url, data, headers, timeout, redirects))


def _waiting(vm, work):
    """A request made by an async task or a process lets the others run while it waits (runtime/tasks.py); else
    it waits here, serving requests from outside meanwhile (sys.waiting)."""
    s = getattr(vm, "scheduler", None)     # (None too for a VM made by other tools)
    return waiting(vm, work) if s is None else s.offload(work)


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
# The HTTP/1.1 server itself (an event loop per server, its limits) is in httpserver.py; here are the natives that
# `listen` (http.nt) calls, and the background server.

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
        return SERVER_ERROR
    if res.__class__ is not dict:
        return 200, [("Content-Type", "text/html; charset=utf-8")], _encode(to_str(res))
    status = res.get("status", 200.0)
    if status is None:
        status = 200.0
    if status.__class__ not in (float, int) or status != int(status) or not 100 <= status <= 599:
        _report(f"http.listen: the handler returned an invalid status {to_str(status)}; answered 500.")
        return SERVER_ERROR
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


def _open_core(v, fname):
    """The server of a handle, or None for one opened before a resume (its requests' clients are gone too)."""
    if v.__class__ is Resource and v.handle is None:
        return None
    return _core(v, fname)


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
    limits, problem = limits_of(server.get("limits"))
    if problem is not None:
        fail("http.listen", problem + ".")
    try:
        core = ServerCore(host, port, limits)
    except (OSError, OverflowError) as e:
        fail("http.listen", f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}.")
    state = _state(vm)
    state["servers"] = [(s, c) for s, c in state["servers"] if s is not server and not c.finished.is_set()]
    state["servers"].append((server, core))
    server["port"] = float(core.port)
    server["running"] = True
    return Resource("http server", core, {"port": core.port})


@module.function("_next", 2)
def _next(vm, args):
    if args[0].__class__ is Resource and args[0].handle is None:
        return False        # a server from before a resume (a stop while waiting): listen opens it again
    core = _core(args[0], "http.listen")
    server = arg_dict(args, 1, "http.listen", "server")
    try:
        while True:
            if core.stopped.is_set() or server.get("running") is False:
                return None
            if vm.request is not None:      # a checkpoint asked for from outside: a resume waits again
                vm.serve("redo")
            try:
                req, conn = core.queue.get(timeout=0.1)
            except queue.Empty:
                continue
            core.pending[id(req)] = (req, conn)
            return req
    except BaseException:
        # Ctrl-C while waiting: close the socket and release waiting clients before unwinding.
        server["running"] = False
        core.finish()
        raise


def _answer(core, req, reply):
    if core is None:
        return None                         # a request from before a resume: its client is gone
    entry = core.pending.pop(id(req), None)
    if entry is None or entry[0] is not req:
        return None                         # already answered 503 by a stop
    core.answer(entry[1], reply)
    return None


@module.function("_respond", 3)
def _respond(vm, args):
    return _answer(_open_core(args[0], "http.listen"), args[1], build_reply(args[2]))


@module.function("_fail", 3)
def _fail(vm, args):
    _report(f"http.listen: the handler failed: {to_str(args[2])}")
    return _answer(_open_core(args[0], "http.listen"), args[1], SERVER_ERROR)


@module.function("_alive", 1)
def _alive(vm, args):
    """False for a server handle from before a resume: listen then opens the port again."""
    return _open_core(args[0], "http.listen") is not None


@module.function("_close", 2)
def _close(vm, args):
    core = _open_core(args[0], "http.listen")
    server = arg_dict(args, 1, "http.listen", "server")
    if core is not None:
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


def _echo(req):
    """The background server's answer to every request, as the reference's (its http tests use it as a peer)."""
    body = json.dumps({"method": req["method"], "path": req["path"], "message": "Hello from Neutron Server!"})
    return 200, [("Content-Type", "application/json")], body.encode()


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
        state["background"] = ServerCore(host, port, respond=_echo)
    except (OSError, OverflowError) as e:
        fail("http.startServer", f"cannot listen on {host}:{port}: {getattr(e, 'strerror', None) or e}.")
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
