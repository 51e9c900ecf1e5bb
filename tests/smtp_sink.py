"""A tiny SMTP sink for the fault tests and the benchmark: it accepts messages and counts
them by Message-ID, or refuses (421 on connect) while ``refusing`` is set.

Just enough SMTP for smtplib/Django's backend (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP,
QUIT); one thread per connection."""

from __future__ import annotations

import collections
import re
import socketserver
import threading
import time

MESSAGE_ID = re.compile(rb"^Message-ID:\s*(<[^>]+>)", re.IGNORECASE | re.MULTILINE)


class SMTPSink:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.refusing = False
        self.refused = 0
        self.counts: collections.Counter[str] = collections.Counter()
        self.first_seen: dict[str, float] = {}
        self.lock = threading.Lock()
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                if sink.refusing:
                    with sink.lock:
                        sink.refused += 1
                    self.wfile.write(b"421 4.3.2 Service not available, try later\r\n")
                    return
                self.wfile.write(b"220 sink ESMTP\r\n")
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line[:4].upper()
                    if verb == b"EHLO":
                        self.wfile.write(b"250-sink\r\n250 8BITMIME\r\n")
                    elif verb == b"DATA":
                        self.wfile.write(b"354 go ahead\r\n")
                        data = bytearray()
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk or chunk == b".\r\n":
                                break
                            data += chunk
                        sink.record(bytes(data))
                        self.wfile.write(b"250 2.0.0 queued\r\n")
                    elif verb == b"QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:  # HELO, MAIL, RCPT, RSET, NOOP
                        self.wfile.write(b"250 ok\r\n")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server((host, port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def record(self, data: bytes) -> None:
        match = MESSAGE_ID.search(data)
        key = match.group(1).decode() if match else f"<no-id-{time.time()}>"
        with self.lock:
            self.counts[key] += 1
            self.first_seen.setdefault(key, time.time())

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())

    def duplicates(self) -> dict[str, int]:
        with self.lock:
            return {k: v for k, v in self.counts.items() if v > 1}

    def __enter__(self) -> SMTPSink:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
