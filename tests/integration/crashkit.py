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
    about `rate` bytes a second (0: as fast as they come).  With a tap
    (see SmtpTap), each connection's bytes are shown to it once they
    have been passed on."""

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
        while True:
            try:
                data = src.recv(4096)
                if not data:
                    break
                dst.sendall(data)
            except OSError:
                break
            if seen:
                seen(data)
            if rate:
                time.sleep(len(data) / rate)
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


class SmtpTap:
    """Watches plain SMTP through a SlowLink for the server's 2xx reply
    to the end of a message's data: from then on the message is the
    server's, and a client that has not recorded it yet sends it again.
    Counts them and calls on_accept() (in the relay's thread) right
    after each has been passed on to the client."""

    def __init__(self, on_accept=None):
        self.accepted = 0
        self.on_accept = on_accept
        self.lock = threading.Lock()

    def opened(self):
        conn = {"tail": b"", "waiting": False}

        def up(data):
            # dot-stuffing keeps CRLF.CRLF out of the data itself
            if b"\r\n.\r\n" in conn["tail"] + data:
                conn["waiting"] = True
            conn["tail"] = (conn["tail"] + data)[-4:]

        def down(data):
            if not conn["waiting"]:
                return
            conn["waiting"] = False
            if data[:1] != b"2":
                return
            with self.lock:
                self.accepted += 1
            if self.on_accept:
                self.on_accept()
        return up, down


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
