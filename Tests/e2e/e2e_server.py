"""Shared by the end-to-end tests that crash the server (imap_test.py, webhook_test.py).

`Server` runs `zayavka serve` on a free port and a temporary data folder (with --postgres: in a fresh
schema of ZAYAVKA_TEST_DATABASE_URL); it can be killed with SIGKILL and started again on the same
data, port and schema. Also `free_port`, `wait_for` and `HTTP` (an opener that never uses a proxy).
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))   # never through an http_proxy


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, probe, ok=bool, timeout=30.0, interval=0.2, show=repr):
    """Polls `probe` until `ok(value)`; returns the value, or fails naming what it waited for (and `show(value)`)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            shown = show(value)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last seen: {shown[:3000]}")
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# The server: started, killed with SIGKILL and started again on the same data and port.

class Server:
    """`zayavka serve` for one test.

    prefix names the data folder (zayavka-<prefix>-e2e-…) and the PostgreSQL schema (<prefix>_e2e_…).
    env is added to (and may override) the common settings: the admin, bcrypt cost 4, log level
    warning, the public URL, no SMTP listener and a random ZAYAVKA_SECRET_KEY, which stays the same
    for every start of this Server (it opens what the first run sealed).
    """

    def __init__(self, binary, postgres, prefix, env=None, admin_email="admin@e2e.test", admin_password="admin-pass-1"):
        self.binary = binary
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = tempfile.mkdtemp(prefix=f"zayavka-{prefix}-e2e-")
        full = {k: v for k, v in os.environ.items() if not k.startswith("ZAYAVKA_") and k != "DATABASE_URL"}
        full.update(ZAYAVKA_ADMIN_EMAIL=admin_email, ZAYAVKA_ADMIN_PASSWORD=admin_password, ZAYAVKA_BCRYPT_COST="4", ZAYAVKA_LIMIT_ADDRESS="off", ZAYAVKA_LIMIT_ACCOUNT="off",
                    ZAYAVKA_LOG_LEVEL="warning", ZAYAVKA_PUBLIC_URL=self.base, ZAYAVKA_SMTP_PORT="off",
                    ZAYAVKA_SECRET_KEY=secrets.token_hex(24))
        full.update(env or {})
        self.schema = None
        if postgres:
            self.schema = f"{prefix}_e2e_" + secrets.token_hex(4)
            full["DATABASE_URL"] = os.environ["ZAYAVKA_TEST_DATABASE_URL"]
            full["ZAYAVKA_DATABASE_SCHEMA"] = self.schema
        self.env = full
        self.log_path = os.path.join(self.data, "server.log")
        self.log = open(self.log_path, "a")
        self.process = None
        self.runs = 0

    def start(self):
        self.runs += 1
        self.log.write(f"===== zayavka serve, run {self.runs} =====\n")
        self.log.flush()
        self.process = subprocess.Popen([self.binary, "serve", "--data-dir", self.data, "--hostname", "127.0.0.1", "--port", str(self.port)],
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT)
        started = time.monotonic()
        while time.monotonic() - started < 60 and self.process.poll() is None:
            try:
                HTTP.open(self.base + "/healthz", timeout=1).read()
                return time.monotonic() - started
            except Exception:
                time.sleep(0.1)
        raise AssertionError(f"server did not start (exit status {self.process.poll()}); log:\n{self.log_tail()}")

    def kill9(self):
        """A real crash: SIGKILL, no shutdown code runs."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        assert self.process.returncode == -signal.SIGKILL, self.process.returncode

    def request(self, method, path, body=None, token=None, headers=None):
        """One request below /api/v1; returns (status, body bytes). Never raises on an HTTP status."""
        request = urllib.request.Request(self.base + "/api/v1" + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json", "Accept": "application/json", **(headers or {})})
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with HTTP.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, method, path, body=None, token=None, expect=None, headers=None):
        status, raw = self.request(method, path, body, token, headers)
        if (expect is not None and status != expect) or (expect is None and status >= 300):
            raise AssertionError(f"{method} {path} -> {status} (expected {expect or '2xx'}): {raw.decode(errors='replace')[:2000]}")
        return json.loads(raw or b"null")

    def log_tail(self, size=6000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-size:]
        except OSError:
            return "(no log)"

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def remove(self):
        self.log.close()
        if self.schema:
            subprocess.run(["psql", os.environ["ZAYAVKA_TEST_DATABASE_URL"], "-q", "-c", f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.data, ignore_errors=True)


def close(server, *drivers):
    """The clean-up every e2e test ends with: its browsers quit (a dead one is no error), its server stopped and its data removed."""
    for driver in drivers:
        if driver is not None:
            try:
                driver.quit()
            except Exception:
                pass
    if server is not None:
        server.stop()
        server.remove()


def main(doc, run):
    """The command line every e2e test shares: `BINARY [--postgres]`, SIGTERM and SIGHUP ending the run
    through its clean-up (`finally`), then `run(binary, postgres)`."""
    import sys

    def terminate(signum, _frame):
        raise SystemExit(128 + signum)

    if len(sys.argv) < 2:
        raise SystemExit(doc)
    if "--postgres" in sys.argv[2:] and not os.environ.get("ZAYAVKA_TEST_DATABASE_URL"):
        raise SystemExit("--postgres needs ZAYAVKA_TEST_DATABASE_URL=postgres://…")
    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    run(sys.argv[1], "--postgres" in sys.argv[2:])
