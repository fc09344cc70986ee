# SPDX-License-Identifier: ISC
"""
webhook_receiver.py - the user's application for the webhook tests: an
HTTP(S) server on 127.0.0.1 (a free port) that checks each request's
X-Mailsift-Signature against the secret, records what it got, and
misbehaves on command.  rx.plan is a list of what to do with the next
requests, one entry each ("ok" once it is empty):
  ok          200
  500, 400... that status (302: with a Location)
  429:N       429 with Retry-After: N
  slow:S      wait S seconds, then 200 (the client times out first)
  reset       read the request, then reset the connection (no answer)
rx.delay (seconds) slows every answer; rx.on_answer(record) is called
after each answer has been sent (the crash test kills from there).
"""
import hashlib
import hmac
import http.server
import socket
import ssl
import struct
import threading
import time


def signature_ok(secret, header, body, now=None):
    """(ok, why) for an X-Mailsift-Signature header over body."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        t = int(parts["t"])
    except (ValueError, KeyError, AttributeError):
        return False, "malformed %r" % header
    want = hmac.new(secret.encode(), b"%d." % t + body,
                    hashlib.sha256).hexdigest()
    if not hmac.compare_digest(want, parts.get("v1", "")):
        return False, "v1 does not match"
    if abs((now or time.time()) - t) > 300:
        return False, "stale timestamp %d" % t
    return True, ""


class Receiver:
    def __init__(self, secret, cert=None, key=None):
        self.secret = secret
        self.plan = []
        self.delay = 0.0
        self.on_answer = None
        self.got = []           # every request read whole
        self.lock = threading.Lock()
        rx = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                rx._post(self)

        class Server(http.server.ThreadingHTTPServer):
            def handle_error(self, request, client_address):
                pass    # a client killed mid-request: nothing to say

        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if cert:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                                server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = "%s://127.0.0.1:%d/hook" % ("https" if cert else "http",
                                               self.port)
        threading.Thread(target=self.httpd.serve_forever,
                         daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

    def _next(self):
        with self.lock:
            return self.plan.pop(0) if self.plan else "ok"

    def _post(self, h):
        n = int(h.headers.get("Content-Length", "0"))
        body = h.rfile.read(n)
        sig = h.headers.get("X-Mailsift-Signature", "")
        ok, why = signature_ok(self.secret, sig, body)
        todo = self._next()
        rec = {"delivery": h.headers.get("X-Mailsift-Delivery"),
               "type": h.headers.get("Content-Type"),
               "headers": dict(h.headers), "body": body, "sig_ok": ok,
               "sig_why": why, "todo": todo, "status": None}
        with self.lock:
            self.got.append(rec)
        if todo == "reset":
            h.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    struct.pack("ii", 1, 0))
            h.connection.close()
            h.close_connection = True
            return
        status, extra = 200, {}
        if todo.startswith("slow:"):
            time.sleep(float(todo[5:]))
        elif todo.startswith("429:"):
            status, extra = 429, {"Retry-After": todo[4:]}
        elif todo.startswith("302"):
            status, extra = 302, {"Location": self.url + "/elsewhere"}
        elif todo != "ok":
            status = int(todo)
        if self.delay:
            time.sleep(self.delay)
        rec["status"] = status
        text = b"thanks\n" if status == 200 else b"not now\n"
        try:
            h.send_response(status)
            for k, v in extra.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(text)))
            h.end_headers()
            h.wfile.write(text)
            h.wfile.flush()
        except OSError:
            rec["status"] = "unsent"
            return
        if self.on_answer:
            self.on_answer(rec)

    def delivered(self):
        """The requests answered 2xx."""
        with self.lock:
            return [r for r in self.got if r["status"] == 200]
