# SPDX-License-Identifier: ISC
"""
crashkit.py - what the crash tests of test_fetch.py and test_rules.py
share: a throttled TCP relay (so that a kill lands in the middle of a
run whatever the machine's speed), a watch on the SMTP replies that make
a message the server's, and a bounded poll.
"""
import socket
import threading
import time


class SlowLink:
    """A TCP relay on 127.0.0.1 that carries server-to-client bytes at
    about `rate` bytes a second (0: as fast as they come).  The end of
    one direction is passed on as a half close, so the other may still
    carry an answer: the SMTP server's reply to data sent just before
    the client died.  With a tap (see SmtpTap), each connection's bytes
    are shown to it as they arrive."""

    def __init__(self, port, rate, tap=None):
        self.port, self.rate, self.tap = int(port), rate, tap
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.addr = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
                s = socket.create_connection(("127.0.0.1", self.port))
            except OSError:
                return
            self.conns += [c, s]
            up, down = self.tap.opened() if self.tap else (None, None)
            for a, b, rate, seen in ((c, s, 0, up),
                                     (s, c, self.rate, down)):
                threading.Thread(target=self._pump,
                                 args=(a, b, rate, seen),
                                 daemon=True).start()

    @staticmethod
    def _pump(src, dst, rate, seen):
        """src to dst; seen(data) sees each piece first (b"" at the end)
        and may return what to call once it has been passed on."""
        while True:
            try:
                data = src.recv(4096)
            except OSError:
                data = b""
            after = seen(data) if seen else None
            if not data:
                _shutdown(dst, socket.SHUT_WR)
                return
            try:
                dst.sendall(data)
            except OSError:
                _shutdown(src, socket.SHUT_RDWR)
                _shutdown(dst, socket.SHUT_RDWR)
                return
            if after:
                after()
            if rate:
                time.sleep(len(data) / rate)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def _shutdown(s, how):
    try:
        s.shutdown(how)
    except OSError:
        pass


class SmtpTap:
    """Watches plain SMTP through a SlowLink for the server's 2xx reply
    to the end of a message's data: from then on the message is the
    server's, and a client that has not recorded it yet sends it again.
    Counts them as they come from the server (even when the client is
    dead by then) and calls on_accept() (in the relay's thread) once
    one has been passed on to the client."""

    def __init__(self, on_accept=None):
        self.accepted = 0
        self.waiting = 0        # connections waiting for that reply
        self.on_accept = on_accept
        self.lock = threading.Lock()

    def opened(self):
        conn = {"tail": b"", "waiting": False}

        def up(data):
            # dot-stuffing keeps CRLF.CRLF out of the data itself
            if b"\r\n.\r\n" in conn["tail"] + data and not conn["waiting"]:
                conn["waiting"] = True
                with self.lock:
                    self.waiting += 1
            conn["tail"] = (conn["tail"] + data)[-4:]

        def down(data):
            if not conn["waiting"]:
                return None
            conn["waiting"] = False
            with self.lock:
                self.waiting -= 1
                if data[:1] != b"2":
                    return None         # refused, or the end
                self.accepted += 1
            return self.on_accept
        return up, down

    def settle(self, seconds):
        """Wait until no message's data waits for its reply."""
        end = time.monotonic() + seconds
        while self.waiting and time.monotonic() < end:
            time.sleep(0.01)


def wait_for(cond, proc, seconds):
    """Poll cond() every 2 ms until true, proc ends, or seconds pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cond():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.002)
    return False
