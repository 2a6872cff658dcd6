"""http module: URL helpers, the client, and the server, all against 127.0.0.1 only.

The server part is driven by a Python thread that plays the role of the Neutron `listen` loop in the prelude
(_serve, then _next / handler / _respond or _fail until _next returns nil, then _close).
"""
import http.client
import re
import socket
import threading
import time

import pytest

from neutron.errors import NeutronError
from neutron.stdlib import http as nhttp
from neutron.stdlib.http import module
from neutron.runtime.values import Native, Resource
from natives_harness import FakeVM, call_in


call = call_in(module)


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Server:
    """A server whose handler is a Python function, with the listen loop run in a thread."""

    def __init__(self, handler, vm=None, limits=None):
        self.vm = vm or FakeVM()
        self.handler = handler
        self.obj = call(self.vm, "createServer", Native("test.handler", lambda vm, args: None, 1, 1))
        self.obj["host"] = "127.0.0.1"
        if limits is not None:
            self.obj["limits"] = limits
        self.srv = call(self.vm, "_serve", self.obj, 0.0)
        self.errors = []
        self.thread = threading.Thread(target=self.loop, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{int(self.obj['port'])}"

    def loop(self):
        try:
            while True:
                req = call(self.vm, "_next", self.srv, self.obj)
                if req is None:
                    break
                try:
                    res = self.handler(req, self)
                except NeutronError as e:           # a Neutron throw: the prelude catches and calls _fail
                    call(self.vm, "_fail", self.srv, req, e.message)
                    continue
                call(self.vm, "_respond", self.srv, req, res)
            call(self.vm, "_close", self.srv, self.obj)
        except BaseException as e:                  # pragma: no cover - shows up as a test failure
            self.errors.append(e)

    def close(self):
        call(self.vm, "stop", self.obj)
        self.thread.join(5)
        assert not self.thread.is_alive()
        assert not self.errors


@pytest.fixture
def echo():
    def handler(req, server):
        if req["path"] == "/missing":
            return {"status": 404.0, "body": "Not Found"}
        if req["path"] == "/text":
            return "hello"
        if req["path"] == "/nil":
            return None
        if req["path"] == "/throw":
            raise NeutronError("boom")
        if req["path"] == "/badstatus":
            return {"status": 42.0, "body": "x"}
        if req["path"] == "/redirect":
            return {"status": 302.0, "body": "", "headers": {"Location": "/text"}}
        if req["path"] == "/json":
            return {"body": '{"a": 1}', "contentType": "application/json", "headers": {"X-Custom": 7.0}}
        return {"status": 200.0, "body": f"{req['method']} {req['path']} {req['query']} {req['body']}",
                "headers": {"X-Seen-Agent": req["headers"].get("user-agent", ""),
                            "X-Seen-Token": req["headers"].get("x-token", "")}}
    server = Server(handler)
    yield server
    server.close()


# ---- URL helpers ------------------------------------------------------------------------------------------------

def test_url_encode_decode():
    vm = FakeVM()
    assert call(vm, "urlEncode", "hello world!") == "hello+world%21"
    assert call(vm, "urlEncode", "a&b=c/d?é~_.-") == "a%26b%3Dc%2Fd%3F%C3%A9~_.-"
    assert call(vm, "urlEncode", "") == ""
    assert call(vm, "urlDecode", "hello+world%21") == "hello world!"
    assert call(vm, "urlDecode", "%C3%A9%zz") == "é%zz"
    assert call(vm, "urlDecode", call(vm, "urlEncode", "x y+z€")) == "x y+z€"
    with pytest.raises(NeutronError, match=r"^http.urlEncode: argument 1 \(text\) must be a string, got number"):
        call(vm, "urlEncode", 1.0)
    with pytest.raises(NeutronError, match=r"^http.urlDecode: argument 1"):
        call(vm, "urlDecode", None)


def test_parse_query():
    vm = FakeVM()
    assert call(vm, "parseQuery", "name=John&age=30&city=NYC") == {"name": "John", "age": "30", "city": "NYC"}
    assert call(vm, "parseQuery", "?a=1&&b&c=x=y&a=2") == {"a": "2", "b": "", "c": "x=y"}
    assert call(vm, "parseQuery", "") == {}
    assert call(vm, "parseQuery", "q=a+b%21") == {"q": "a+b%21"}      # not decoded, as the reference
    with pytest.raises(NeutronError, match=r"^http.parseQuery: argument 1"):
        call(vm, "parseQuery", [])


# ---- client ------------------------------------------------------------------------------------------------------

def test_all_methods(echo):
    vm = FakeVM()
    r = call(vm, "get", echo.url + "/a/b?x=1&y=a%20b")
    assert r["status"] == 200.0 and type(r["status"]) is float
    assert r["body"] == "GET /a/b {'x': '1', 'y': 'a b'} "
    assert r["headers"]["x-seen-agent"] == "Neutron/1.0"
    assert r["headers"]["content-type"] == "text/html; charset=utf-8"
    assert list(r) == ["status", "body", "headers"]
    assert call(vm, "post", echo.url + "/p", "some data")["body"] == "POST /p {} some data"
    assert call(vm, "post", echo.url + "/p")["body"] == "POST /p {} "
    assert call(vm, "put", echo.url + "/u", "é")["body"] == "PUT /u {} é"
    assert call(vm, "patch", echo.url + "/u", "p")["body"] == "PATCH /u {} p"
    assert call(vm, "delete", echo.url + "/d")["body"] == "DELETE /d {} "
    h = call(vm, "head", echo.url + "/h")
    assert h["status"] == 200.0 and h["body"] == "" and h["headers"]["content-length"] == "11"
    assert call(vm, "request", "options", echo.url + "/o")["body"] == "OPTIONS /o {} "
    assert call(vm, "request", "PROPFIND", echo.url + "/o", "b")["body"] == "PROPFIND /o {} b"


def test_headers_and_options(echo):
    vm = FakeVM()
    r = call(vm, "get", echo.url + "/", {"X-Token": "abc", "User-Agent": "mine"})
    assert r["headers"]["x-seen-token"] == "abc" and r["headers"]["x-seen-agent"] == "mine"
    r = call(vm, "post", echo.url + "/", "d", {"headers": {"X-Token": 5.0}, "timeout": 5.0})
    assert r["headers"]["x-seen-token"] == "5"
    r = call(vm, "request", "GET", echo.url + "/", None, {"headers": {"X-Token": "t"}})
    assert r["headers"]["x-seen-token"] == "t"
    r = call(vm, "get", echo.url + "/json")
    assert r["body"] == '{"a": 1}'
    assert r["headers"]["content-type"] == "application/json" and r["headers"]["x-custom"] == "7"


def test_non_2xx_is_returned(echo):
    vm = FakeVM()
    r = call(vm, "get", echo.url + "/missing")
    assert (r["status"], r["body"]) == (404.0, "Not Found")
    r = call(vm, "get", echo.url + "/nil")
    assert (r["status"], r["body"]) == (500.0, "Internal Server Error")
    r = call(vm, "get", echo.url + "/throw")
    assert (r["status"], r["body"]) == (500.0, "Internal Server Error")
    r = call(vm, "get", echo.url + "/badstatus")
    assert r["status"] == 500.0


def test_handler_failures_are_reported_on_stderr(echo, capsys):
    call(FakeVM(), "get", echo.url + "/throw")
    assert "http.listen: the handler failed: boom" in capsys.readouterr().err


def test_string_result_and_redirects(echo):
    vm = FakeVM()
    r = call(vm, "get", echo.url + "/text")
    assert (r["status"], r["body"]) == (200.0, "hello")
    r = call(vm, "get", echo.url + "/redirect")
    assert (r["status"], r["body"]) == (200.0, "hello")
    r = call(vm, "get", echo.url + "/redirect", {"redirects": False})
    assert r["status"] == 302.0 and r["headers"]["location"] == "/text"


def test_connection_failure():
    port = free_port()
    with pytest.raises(NeutronError) as e:
        call(FakeVM(), "get", f"http://127.0.0.1:{port}/x")
    assert str(e.value) == f"http.get: could not connect to http://127.0.0.1:{port}/x: Connection refused"
    with pytest.raises(NeutronError, match=r"^http.post: could not connect to"):
        call(FakeVM(), "post", f"http://127.0.0.1:{port}/x", "d")
    with pytest.raises(NeutronError, match=r"^http.request: could not connect to"):
        call(FakeVM(), "request", "GET", f"http://127.0.0.1:{port}/x")


def test_timeout():
    release = threading.Event()

    def slow(req, server):
        release.wait(5)
        return "late"
    server = Server(slow)
    try:
        with pytest.raises(NeutronError, match=r"^http.get: request to .* timed out after 0.3 s"):
            call(FakeVM(), "get", server.url + "/", {"timeout": 0.3})
    finally:
        release.set()
        server.close()


def test_client_argument_errors():
    vm = FakeVM()
    with pytest.raises(NeutronError, match=r"^http.get: unsupported URL scheme 'file'"):
        call(vm, "get", "file:///etc/passwd")
    with pytest.raises(NeutronError, match=r"^http.get: invalid URL 'nowhere'"):
        call(vm, "get", "nowhere")
    with pytest.raises(NeutronError, match=r"^http.get: argument 1 \(url\) must be a string"):
        call(vm, "get", 1.0)
    with pytest.raises(NeutronError, match=r"^http.get: argument 2 \(headers\) must be an object"):
        call(vm, "get", "http://127.0.0.1:1/", "x")
    with pytest.raises(NeutronError, match=r"^http.post: argument 2 \(data\) must be a string"):
        call(vm, "post", "http://127.0.0.1:1/", {"a": 1.0})
    with pytest.raises(NeutronError, match=r"^http.put: options.timeout must be a positive number"):
        call(vm, "put", "http://127.0.0.1:1/", "", {"timeout": -1.0})
    with pytest.raises(NeutronError, match=r"^http.get: options.headers must be an object"):
        call(vm, "get", "http://127.0.0.1:1/", {"headers": "x"})
    with pytest.raises(NeutronError, match=r"^http.request: invalid method 'G T'"):
        call(vm, "request", "G T", "http://127.0.0.1:1/")


# ---- server ------------------------------------------------------------------------------------------------------

def test_create_server():
    vm = FakeVM()
    h = Native("x.h", lambda vm, a: None, 1, 1)
    assert call(vm, "createServer", h) == {"port": 0.0, "running": False, "handler": h}
    with pytest.raises(NeutronError, match=r"^http.createServer: argument 1 \(handler\) must be a function, got string"):
        call(vm, "createServer", "nope")


def test_prelude_defines_listen():
    assert "fun listen(server, port)" in module.prelude_source()
    for private in ("_serve", "_next", "_respond", "_fail", "_close", "_alive"):
        assert private in module.functions and private in module.prelude_source()


def test_port_zero_reports_the_port_and_running(echo):
    assert echo.obj["running"] is True
    assert echo.obj["port"] > 0 and type(echo.obj["port"]) is float
    assert isinstance(echo.srv, Resource) and echo.srv.kind == "http server"


def test_request_object():
    seen = []

    def handler(req, server):
        seen.append(req)
        return "ok"
    server = Server(handler)
    try:
        conn = http.client.HTTPConnection("127.0.0.1", int(server.obj["port"]), timeout=5)
        conn.request("POST", "/p%20q?a=1&a=2&b=x+y", body="héllo".encode(), headers={"X-One": "1"})
        assert conn.getresponse().read() == b"ok"
        # chunked body
        conn.request("PUT", "/c", body=iter([b"ab", b"cd"]), encode_chunked=True,
                     headers={"Transfer-Encoding": "chunked"})
        assert conn.getresponse().read() == b"ok"
        conn.close()
    finally:
        server.close()
    req = seen[0]
    assert list(req) == ["method", "path", "query", "headers", "body", "raw"]
    assert req["method"] == "POST" and req["path"] == "/p%20q"
    assert req["query"] == {"a": "2", "b": "x y"}
    assert req["headers"]["x-one"] == "1" and req["headers"]["content-length"] == "6"
    assert req["body"] == "héllo"
    assert req["raw"].startswith("POST /p%20q?a=1&a=2&b=x+y HTTP/1.1\r\n")
    assert "X-One: 1\r\n" in req["raw"] and req["raw"].endswith("\r\n\r\nhéllo")
    assert seen[1]["body"] == "abcd" and seen[1]["method"] == "PUT"


def test_concurrent_requests_get_their_own_answers():
    """Requests queued together are answered in reverse order: each client must still get its own answer."""
    n = 12
    vm = FakeVM()
    obj = call(vm, "createServer", Native("t.h", lambda vm, a: None, 1, 1))
    obj["host"] = "127.0.0.1"
    srv = call(vm, "_serve", obj, 0.0)
    url = f"http://127.0.0.1:{int(obj['port'])}"
    results = {}

    def client(i):
        results[i] = call(FakeVM(), "get", f"{url}/n?i={i}", {"timeout": 10.0})

    threads = [threading.Thread(target=client, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    batch = [call(vm, "_next", srv, obj) for _ in range(n)]
    assert len({id(r) for r in batch}) == n
    for req in reversed(batch):
        call(vm, "_respond", srv, req, {"body": "answer " + req["query"]["i"]})
    for t in threads:
        t.join(10)
    assert {i: r["body"] for i, r in results.items()} == {i: f"answer {i}" for i in range(n)}
    call(vm, "stop", obj)
    assert call(vm, "_next", srv, obj) is None
    call(vm, "_close", srv, obj)
    assert obj["running"] is False


def test_many_concurrent_clients_with_a_running_loop(echo):
    results = []

    def client(i):
        results.append(call(FakeVM(), "post", echo.url + f"/c{i}", str(i))["body"])
    threads = [threading.Thread(target=client, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert sorted(results) == sorted(f"POST /c{i} {{}} {i}" for i in range(20))


def test_stop_from_the_handler_ends_the_loop():
    def handler(req, server):
        if req["path"] == "/stop":
            assert call(server.vm, "stop", server.obj) is True
            return "bye"
        return "hi"
    server = Server(handler)
    url = server.url
    assert call(FakeVM(), "get", url + "/")["body"] == "hi"
    assert call(FakeVM(), "get", url + "/stop")["body"] == "bye"
    server.thread.join(5)
    assert not server.thread.is_alive() and server.obj["running"] is False
    with pytest.raises(NeutronError, match="could not connect"):
        call(FakeVM(), "get", url + "/")
    assert call(server.vm, "stop", server.obj) is False        # already stopped
    assert call(server.vm, "stopServer", server.obj) is False


def test_setting_running_false_ends_the_loop():
    def handler(req, server):
        server.obj["running"] = False
        return "last"
    server = Server(handler)
    assert call(FakeVM(), "get", server.url + "/")["body"] == "last"
    server.thread.join(5)
    assert not server.thread.is_alive()
    with pytest.raises(NeutronError, match="could not connect"):
        call(FakeVM(), "get", server.url + "/")


def test_unanswered_requests_get_503_when_the_loop_closes():
    vm = FakeVM()
    obj = call(vm, "createServer", Native("t.h", lambda vm, a: None, 1, 1))
    obj["host"] = "127.0.0.1"
    srv = call(vm, "_serve", obj, 0.0)
    url = f"http://127.0.0.1:{int(obj['port'])}"
    result = {}
    t = threading.Thread(target=lambda: result.update(call(FakeVM(), "get", url + "/")))
    t.start()
    req = call(vm, "_next", srv, obj)
    call(vm, "_close", srv, obj)
    t.join(5)
    assert result["status"] == 503.0
    assert call(vm, "_respond", srv, req, "too late") is None     # ignored, no error


def test_keyboard_interrupt_while_waiting_closes_the_server():
    vm = FakeVM()
    obj = call(vm, "createServer", Native("t.h", lambda vm, a: None, 1, 1))
    obj["host"] = "127.0.0.1"
    srv = call(vm, "_serve", obj, 0.0)
    port = int(obj["port"])

    real_get = srv.handle.queue.get

    def interrupted(*a, **k):
        srv.handle.queue.get = real_get
        raise KeyboardInterrupt
    srv.handle.queue.get = interrupted
    with pytest.raises(KeyboardInterrupt):
        call(vm, "_next", srv, obj)
    assert obj["running"] is False
    srv.handle.thread.join(2)
    assert not srv.handle.thread.is_alive()
    with pytest.raises(NeutronError, match="could not connect"):
        call(FakeVM(), "get", f"http://127.0.0.1:{port}/")


def test_listen_errors():
    vm = FakeVM()
    obj = call(vm, "createServer", Native("t.h", lambda vm, a: None, 1, 1))
    obj["host"] = "127.0.0.1"
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    try:
        with pytest.raises(NeutronError, match=rf"^http.listen: cannot listen on 127.0.0.1:{port}: "):
            call(vm, "_serve", obj, float(port))
    finally:
        busy.close()
    with pytest.raises(NeutronError, match=r"^http.listen: port must be between 0 and 65535"):
        call(vm, "_serve", obj, 70000.0)
    with pytest.raises(NeutronError, match=r"^http.listen: argument 1 \(server\) must be an object"):
        call(vm, "_serve", "x", 0.0)
    with pytest.raises(NeutronError, match=r"^http.listen: the server has no handler function"):
        call(vm, "_serve", {"port": 0.0}, 0.0)
    with pytest.raises(NeutronError, match=r"^http.listen: server.host must be a string"):
        call(vm, "_serve", dict(obj, host=1.0), 0.0)
    with pytest.raises(NeutronError, match=r"^http.listen: expected a server handle, got string"):
        call(vm, "_next", "x", obj)


def test_server_handle_after_resume_is_opened_again():
    stale = Resource("http server", None)
    # waiting on a server from before a resume (stopped while it waited): listen is told to open it again
    assert call(FakeVM(), "_next", stale, {"running": True}) is False
    # what listen does with it: answering a request of the old process is nothing; then it serves anew
    assert call(FakeVM(), "_alive", stale) is False
    assert call(FakeVM(), "_respond", stale, {}, "late") is None
    assert call(FakeVM(), "_fail", stale, {}, "late") is None


RESUMED_SERVER = r'''
use http; use sys; use fmt;
var port = fmt.to_int(sys.args()[1]);
var snap = sys.args()[2];
var count = 0;
fun handle(req) {
    count = count + 1;
    if (req.path == "/sleep") {
        sys.checkpoint(snap);
        sys.exit(0);
    }
    if (req.path == "/stop") { http.stop(server); return "bye"; }
    return "count=" + count + " resumed=" + sys.resumed();
}
var server = http.createServer(handle);
server["host"] = "127.0.0.1";
http.listen(server, port);
say("served " + count + ", resumed=" + sys.resumed());
'''


def wait_for_port(proc, port):
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("the server did not start: " + proc.communicate()[1])
            time.sleep(0.05)


def test_listen_opens_its_port_again_after_a_resume(tmp_path):
    """A server hibernated from its handler is resumed listening on the same port (issue 15, item 15)."""
    import subprocess
    import sys
    program = tmp_path / "server.nt"
    program.write_text(RESUMED_SERVER)
    snap = tmp_path / "server.snap"
    port = free_port()
    first = subprocess.Popen([sys.executable, "-m", "neutron", str(program), str(port), str(snap)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for_port(first, port)
    assert call(FakeVM(), "get", f"http://127.0.0.1:{port}/a")["body"] == "count=1 resumed=false"
    with pytest.raises(NeutronError):           # the process ends without answering
        call(FakeVM(), "get", f"http://127.0.0.1:{port}/sleep")
    assert first.communicate(timeout=20) == ("", "") and first.returncode == 0
    second = subprocess.Popen([sys.executable, "-m", "neutron", "--resume", str(snap)], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        wait_for_port(second, port)
        assert call(FakeVM(), "get", f"http://127.0.0.1:{port}/b")["body"] == "count=3 resumed=true"
        assert call(FakeVM(), "get", f"http://127.0.0.1:{port}/stop")["body"] == "bye"
        out, err = second.communicate(timeout=20)
    finally:
        if second.poll() is None:
            second.kill()
            second.communicate()
    assert (second.returncode, out, err) == (0, "served 4, resumed=true\n", "")


def test_build_reply():
    status, headers, body = nhttp.build_reply({"status": 201.0, "body": 5.0, "headers": {"Content-Type": "a/b",
                                                                                          "Content-Length": "99",
                                                                                          "Bad\r\nX": "1"}})
    assert (status, body) == (201, b"5")
    assert headers == [("Content-Type", "a/b")]
    assert nhttp.build_reply([1.0, "a"])[2] == b"[1, a]"
    assert nhttp.build_reply({})[:1] == (200,)


def test_background_server():
    vm = FakeVM()
    port = free_port()
    assert call(vm, "startServer", float(port), "127.0.0.1") is True
    try:
        with pytest.raises(NeutronError, match=r"^http.startServer: a background server is already running"):
            call(vm, "startServer", float(port), "127.0.0.1")
        # as the reference's: every request gets 200 and a JSON echo of its method and path (issue 15, item 11)
        r = call(FakeVM(), "get", f"http://127.0.0.1:{port}/get")
        assert (r["status"], r["body"], r["headers"]["content-type"]) == \
            (200.0, '{"method": "GET", "path": "/get", "message": "Hello from Neutron Server!"}', "application/json")
        r = call(FakeVM(), "post", f"http://127.0.0.1:{port}/post?x=1", "data")
        assert (r["status"], r["body"]) == \
            (200.0, '{"method": "POST", "path": "/post", "message": "Hello from Neutron Server!"}')
        assert call(FakeVM(), "delete", f"http://127.0.0.1:{port}/d")["body"].startswith('{"method": "DELETE"')
    finally:
        assert call(vm, "stopServer") is True
    assert call(vm, "stopServer") is False
    with pytest.raises(NeutronError, match="could not connect"):
        call(FakeVM(), "get", f"http://127.0.0.1:{port}/")
    with pytest.raises(NeutronError, match=r"^http.startServer: port must be between"):
        call(vm, "startServer", -1.0)


# ---- listen, run by the real VM in a child process ----------------------------------------------------------------

SERVER_PROGRAM = r'''
use http;
use sys;
use fmt;

var args = sys.args();
var port = fmt.to_int(args[args.length - 1]);
var count = 0;
fun handle(req) {
    count = count + 1;
    if (req.path == "/stop") {
        http.stop(server);
        return "bye";
    }
    if (req.path == "/throw") throw "boom";
    if (req.path == "/nil") return nil;
    if (req.path == "/text") return "plain " + req.query["x"];
    return {"status": 201, "body": req.method + " " + req.path + " " + req.body, "contentType": "text/plain",
            "headers": {"X-Count": count}};
}
var server = http.createServer(handle);
server["host"] = "127.0.0.1";
http.listen(server, port);
say("stopped after " + count + " requests, running=" + server["running"]);
'''


@pytest.fixture
def neutron_server(tmp_path):
    import subprocess
    import sys
    import time
    program = tmp_path / "server.nt"
    program.write_text(SERVER_PROGRAM)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neutron", str(program), str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                pytest.fail("the server did not start: " + proc.communicate()[1])
            time.sleep(0.05)
    yield proc, f"http://127.0.0.1:{port}"
    if proc.poll() is None:
        proc.kill()
        proc.communicate()


def test_listen_in_neutron(neutron_server):
    proc, url = neutron_server
    vm = FakeVM()
    r = call(vm, "post", url + "/a", "body")
    assert (r["status"], r["body"], r["headers"]["content-type"], r["headers"]["x-count"]) == \
        (201.0, "POST /a body", "text/plain", "1")
    assert call(vm, "get", url + "/text?x=%C3%A9")["body"] == "plain é"
    assert call(vm, "get", url + "/throw")["status"] == 500.0
    assert call(vm, "get", url + "/nil")["status"] == 500.0
    results = []
    threads = [threading.Thread(target=lambda i=i: results.append(call(FakeVM(), "put", f"{url}/c{i}", str(i))))
               for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(r["body"] for r in results) == sorted(f"PUT /c{i} {i}" for i in range(10))
    assert call(vm, "get", url + "/stop")["body"] == "bye"
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert out == "stopped after 15 requests, running=false\n"
    assert "http.listen: the handler failed: boom" in err and "Traceback" not in err


def test_listen_ends_on_ctrl_c_and_closes_the_socket(neutron_server):
    import signal
    proc, url = neutron_server
    assert call(FakeVM(), "get", url + "/text?x=1")["body"] == "plain 1"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode != 0 and "Traceback" not in err
    with pytest.raises(NeutronError, match="could not connect"):
        call(FakeVM(), "get", url + "/")


def test_background_server_from_a_program(tmp_path):
    """A program starts the background server, goes on, and tests its own client against it (issue 15, item 11)."""
    import subprocess
    import sys
    prog = tmp_path / "bg.nt"
    prog.write_text("""use http; use sys; use fmt;
var port = fmt.to_int(sys.args()[1]);
say(http.startServer(port, "127.0.0.1"));
var url = "http://127.0.0.1:" + port;
var r = http.get(url + "/get");
say(r.status);
say(r.body);
say(r.headers["content-type"]);
say(http.post(url + "/post", "x").body);
say(http.stopServer());
try { http.get(url + "/get"); } catch (e) { say("stopped"); }
""")
    done = subprocess.run([sys.executable, "-m", "neutron", str(prog), str(free_port())], capture_output=True,
                          text=True, timeout=60)
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout == ('true\n200\n{"method": "GET", "path": "/get", "message": "Hello from Neutron Server!"}\n'
                           'application/json\n{"method": "POST", "path": "/post", "message": "Hello from Neutron '
                           'Server!"}\ntrue\nstopped\n')


# ---- limits: bad and slow clients (issue 15, item 20), all on 127.0.0.1 ----------------------------------------

def exchange(port, data, wait=5.0):
    """Send raw bytes; what the server answers until it closes (or `wait` passes)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=wait)
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                return out + b"<open>"
            if not chunk:
                return out
            out += chunk
    finally:
        s.close()


@pytest.fixture
def limited():
    server = Server(lambda req, srv: "body=" + req["body"], limits={"body": 100.0, "requestLine": 200.0,
                                                                 "headers": 300.0, "timeout": 1.0, "idle": 1.0})
    yield server, int(server.obj["port"])
    server.close()


def test_requests_beyond_the_limits_are_refused(limited):
    server, port = limited
    assert exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello").endswith(
        b"body=hello")
    assert exchange(port, b"GET /" + b"a" * 300 + b" HTTP/1.1\r\n\r\n").startswith(b"HTTP/1.1 414 ")
    assert exchange(port, b"GET / HTTP/1.1\r\nX-A: " + b"a" * 400 + b"\r\n\r\n").startswith(b"HTTP/1.1 431 ")
    assert exchange(port, b"GET / HTTP/1.1\r\n" + b"A: 1\r\n" * 101 + b"\r\n").startswith(b"HTTP/1.1 431 ")
    # a body beyond the limit is refused from its announced size, before it is sent
    assert exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 999999999999\r\n\r\n").startswith(b"HTTP/1.1 413 ")
    assert exchange(port, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n" + b"x" * 16 + b"\r\n"
                          b"FFFFFFFFFFFF\r\n").startswith(b"HTTP/1.1 413 ")
    assert exchange(port, b"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n").startswith(
        b"HTTP/1.1 400 ")
    assert exchange(port, b"NOT HTTP\r\n\r\n").startswith(b"HTTP/1.1 400 ")
    assert exchange(port, b"GET / HTTP/2.0\r\n\r\n").startswith(b"HTTP/1.1 505 ")
    # still serving
    assert call(FakeVM(), "post", f"http://127.0.0.1:{port}/", "ok")["body"] == "body=ok"


def test_slow_and_idle_clients_time_out(limited):
    server, port = limited
    t0 = time.monotonic()
    assert exchange(port, b"GET / HTTP/1.1\r\nHost: a").startswith(b"HTTP/1.1 408 ")     # never finished
    assert exchange(port, b"") == b""                                                    # idle: closed
    assert time.monotonic() - t0 < 4.5


def test_idle_and_slow_connections_do_not_starve_real_clients():
    server = Server(lambda req, srv: "hi", limits={"connections": 300.0})
    port = int(server.obj["port"])
    threads_before = threading.active_count()
    socks = []
    try:
        for i in range(600):                    # twice the connection limit: half idle, half sending slowly
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            if i % 2:
                s.sendall(b"GET / HTTP/1.1\r\nX-Slow: ")
            socks.append(s)
        assert threading.active_count() <= threads_before + 1        # no thread per connection
        t0 = time.monotonic()
        for _ in range(5):
            assert call(FakeVM(), "get", f"http://127.0.0.1:{port}/", {"timeout": 5.0})["body"] == "hi"
        assert time.monotonic() - t0 < 5
    finally:
        for s in socks:
            s.close()
        server.close()


def test_limits_are_checked():
    vm = FakeVM()
    obj = call(vm, "createServer", Native("t.h", lambda vm, a: None, 1, 1))
    obj["host"] = "127.0.0.1"
    for limits, message in (([1.0], "server.limits must be an object"),
                            ({"bodySize": 1.0}, "unknown limit 'bodySize' (known: requestLine, headers, body, "
                                                "connections, timeout, idle)"),
                            ({"body": -1.0}, "limit 'body' must be a positive number"),
                            ({"timeout": "1"}, "limit 'timeout' must be a positive number")):
        obj["limits"] = limits
        with pytest.raises(NeutronError, match="^http.listen: " + re.escape(message) + r"\.$"):
            call(vm, "_serve", obj, 0.0)


SERVER_UNDER_ATTACK = r'''
use http; use sys; use fmt;
var port = fmt.to_int(sys.args()[1]);
var server = http.createServer(fun (req) {
    if (req.path == "/stop") { http.stop(server); return "bye"; }
    return "ok " + req.body.length;
});
server["host"] = "127.0.0.1";
server["limits"] = {"timeout": 1, "idle": 1};
http.listen(server, port);
say("stopped");
'''


def test_a_server_under_attack_prints_no_traceback(tmp_path):
    import random
    import subprocess
    import sys
    program = tmp_path / "attacked.nt"
    program.write_text(SERVER_UNDER_ATTACK)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "neutron", str(program), str(port)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                assert proc.poll() is None and time.time() < deadline, proc.communicate()[1]
                time.sleep(0.05)
        rnd = random.Random(15)
        attacks = [bytes(rnd.getrandbits(8) for _ in range(rnd.randrange(1, 400))) for _ in range(40)]
        attacks += [b"GET / HTTP/1.1\r\n" * 50, b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
                    b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc", b"GET / HTTP/1.1\r\n\x00\r\n\r\n",
                    b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", b"\r\n" * 100,
                    b"GET / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\nabc"]
        for data in attacks:
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            try:
                s.sendall(data)
                if rnd.random() < 0.5:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            except OSError:
                pass
            s.close()                            # often with a reset, before or while the server answers
        assert call(FakeVM(), "post", f"http://127.0.0.1:{port}/x", "abc")["body"] == "ok 3"
        assert call(FakeVM(), "get", f"http://127.0.0.1:{port}/stop")["body"] == "bye"
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert (proc.returncode, out) == (0, "stopped\n")
    assert "Traceback" not in err, err
