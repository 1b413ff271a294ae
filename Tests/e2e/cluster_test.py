#!/usr/bin/env python3
"""Several instances behind nginx on one PostgreSQL (issue 22), as a team would run them.

Usage:  python3 Tests/e2e/cluster_test.py BINARY     (needs ZAYAVKA_TEST_DATABASE_URL, nginx, /usr/bin/python3 with aiosmtpd)

Starts three `BINARY serve` instances on one fresh PostgreSQL schema, each with its own data folder as
on separate machines (ZAYAVKA_ATTACHMENTS=database: nothing shared but PostgreSQL), an aiosmtpd
relay that keeps every message, and Debian's nginx in
front of them with the configuration docs/operations.md gives (round robin, proxy headers,
WebSocket upgrade, upload size, timeouts, retrying another instance when one is down). Then, all
through nginx unless said otherwise:

  1. 240 simultaneous ticket creations naming 7 new customers, each with an Idempotency-Key:
     every one 201, exactly 7 customers, every number distinct, every instance answered some;
     each ticket fetched back;
  2. an attachment uploaded through one instance downloads byte-exact from every one;
  3. a web sign-in, then pages: the session works whichever instance answers;
  4. one mail into each instance's own SMTP listener: three tickets;
  5. the outbox, run by all three instances at once, delivers every acknowledgement exactly once;
  6. one instance killed with SIGKILL in the middle of a creation load whose clients repeat a
     failed request with the same key: every acknowledged ticket is there, no key made two tickets,
     and the other instances keep serving.
"""
import concurrent.futures
import email
import email.policy
import http.cookiejar
import collections
import json
import mailbox
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@cluster.test", "cluster-admin-1"
SUPPORT = "support@cluster.test"
NO_PROXY = urllib.request.ProxyHandler({})


def log(text):
    print(f"cluster_test: {text}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{what} did not start listening on {port}")


NGINX_CONF = """
worker_processes 2;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format upstream '$request_method $uri $status $upstream_addr';
    access_log {prefix}/access.log upstream;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;

    upstream zayavka {{
{servers}
        keepalive 32;
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      '';
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 60m;
        location / {{
            proxy_pass http://zayavka;
            proxy_http_version 1.1;
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_connect_timeout 2s;
            proxy_send_timeout 60s;
            proxy_read_timeout 60s;
            proxy_request_buffering on;
            # A creation is repeated on another instance when the first one is down: the client's
            # Idempotency-Key makes the repeat return the same ticket.
            proxy_next_upstream error timeout http_502 http_503 non_idempotent;
            proxy_next_upstream_tries 3;
        }}
    }}
}}
"""


class Relay:
    """aiosmtpd's Maildir handler: every message the desk sends lands as a file."""

    def __init__(self, folder):
        self.port = free_port()
        self.maildir = os.path.join(folder, "Maildir")
        self.process = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
                                         "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        wait_port(self.port, "the aiosmtpd relay")

    def message_ids(self):
        if not os.path.isdir(self.maildir):
            return []
        ids = []
        for message in mailbox.Maildir(self.maildir, factory=None, create=False):
            parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
            ids.append(str(parsed["Message-ID"]))
        return ids

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


class Cluster:
    def __init__(self, binary, count=3, relay=True, database_url=None):
        self.binary = os.path.abspath(binary)
        self.work = tempfile.mkdtemp(prefix="zayavka-cluster-")
        self.schema = "cluster_" + uuid.uuid4().hex[:12]
        self.database_url = database_url or os.environ["ZAYAVKA_TEST_DATABASE_URL"]
        self.relay = Relay(self.work) if relay else None
        self.nginx_port = free_port()
        self.base = f"http://127.0.0.1:{self.nginx_port}"
        self.instances = []
        for index in range(count):
            # Each its own data folder, as on separate machines: attachments live in the database.
            self.instances.append({"http": free_port(), "smtp": free_port(), "process": None,
                                   "data": os.path.join(self.work, f"data-{index + 1}"),
                                   "log": os.path.join(self.work, f"instance-{index + 1}.log")})
        self.env = dict(os.environ, DATABASE_URL=self.database_url, ZAYAVKA_DATABASE_SCHEMA=self.schema,
                        ZAYAVKA_ADMIN_EMAIL=ADMIN_EMAIL, ZAYAVKA_ADMIN_PASSWORD=ADMIN_PASSWORD, ZAYAVKA_BCRYPT_COST="4", ZAYAVKA_LIMIT_ADDRESS="off", ZAYAVKA_LIMIT_ACCOUNT="off",
                        ZAYAVKA_SUPPORT_ADDRESSES=SUPPORT, ZAYAVKA_MAIL_FROM=f"Поддержка <{SUPPORT}>",
                        ZAYAVKA_PUBLIC_URL=self.base, ZAYAVKA_LOG_LEVEL="warning", ZAYAVKA_ATTACHMENTS="database",
                        # The periodic jobs every second on every instance; solved tickets close after 8.6 s.
                        ZAYAVKA_JOBS_SECONDS="1", ZAYAVKA_AUTOCLOSE_DAYS="0.0001")
        if self.relay:
            self.env["ZAYAVKA_MAIL_RELAY_URL"] = f"smtp://127.0.0.1:{self.relay.port}"
        self.nginx = None

    def start_instance(self, index):
        instance = self.instances[index]
        instance["process"] = subprocess.Popen(
            [self.binary, "serve", "--hostname", "127.0.0.1", "--port", str(instance["http"]), "--smtp-port", str(instance["smtp"]),
             "--data-dir", instance["data"]], env=self.env, stdout=open(instance["log"], "ab"), stderr=subprocess.STDOUT)
        wait_port(instance["http"], f"instance {index + 1}", timeout=120)

    def start(self):
        # The first one creates the schema and the admin; the others join it.
        for index in range(len(self.instances)):
            self.start_instance(index)
        prefix = os.path.join(self.work, "nginx")
        os.makedirs(prefix)
        servers = "\n".join(f"        server 127.0.0.1:{i['http']} max_fails=1 fail_timeout=10s;" for i in self.instances)
        user = "user root;\n" if os.geteuid() == 0 else ""
        with open(os.path.join(prefix, "nginx.conf"), "w") as f:
            f.write(user + NGINX_CONF.format(prefix=prefix, servers=servers, port=self.nginx_port))
        self.nginx_prefix = prefix
        self.nginx = subprocess.Popen(["nginx", "-p", prefix, "-c", os.path.join(prefix, "nginx.conf"), "-g", "daemon off;"],
                                      stdout=subprocess.DEVNULL, stderr=open(os.path.join(prefix, "stderr.log"), "wb"))
        wait_port(self.nginx_port, "nginx")

    def psql(self, query):
        """Rows of one query on the cluster's schema, as lists of strings (psql from the PostgreSQL package)."""
        done = subprocess.run(["psql", self.database_url, "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1",
                               "-c", f"SET search_path TO {self.schema}", "-c", query],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, f"psql: {done.stderr}"
        return [line.split("|") for line in done.stdout.splitlines() if line]

    def upstreams(self, since=0):
        """The instance addresses nginx used for the access-log lines after `since`."""
        with open(os.path.join(self.nginx_prefix, "access.log")) as f:
            lines = f.readlines()[since:]
        return lines

    def log_lines(self):
        with open(os.path.join(self.nginx_prefix, "access.log")) as f:
            return len(f.readlines())

    def stop(self):
        if self.nginx and self.nginx.poll() is None:
            self.nginx.terminate()
            self.nginx.wait(timeout=10)
        for instance in self.instances:
            process = instance["process"]
            if process and process.poll() is None:
                process.send_signal(signal.SIGINT)
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
        if self.relay:
            self.relay.stop()
        subprocess.run(["psql", self.database_url, "-q", "-c", f"DROP SCHEMA IF EXISTS {self.schema} CASCADE"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def tail(self):
        out = []
        for index, instance in enumerate(self.instances):
            try:
                with open(instance["log"], errors="replace") as f:
                    out.append(f"--- instance {index + 1} ---\n" + f.read()[-3000:])
            except OSError:
                pass
        try:
            with open(os.path.join(self.nginx_prefix, "error.log"), errors="replace") as f:
                out.append("--- nginx error.log ---\n" + f.read()[-3000:])
        except (OSError, AttributeError):
            pass
        return "\n".join(out)


def request(base, method, path, body=None, token=None, headers=None, opener=None, timeout=60):
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    all_headers = {"Accept": "application/json"}
    if isinstance(body, (dict, list)):
        all_headers["Content-Type"] = "application/json"
    if token:
        all_headers["Authorization"] = f"Bearer {token}"
    all_headers.update(headers or {})
    req = urllib.request.Request(base + path, data=data, method=method, headers=all_headers)
    try:
        with (opener or urllib.request.build_opener(NO_PROXY)).open(req, timeout=timeout) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read(), dict(error.headers)


def api(base, method, path, body=None, token=None, expect=None, headers=None):
    status, raw, _ = request(base, method, path, body, token, headers)
    if (expect is not None and status != expect) or (expect is None and status >= 300):
        raise AssertionError(f"{method} {path} -> {status}: {raw[:800]!r}")
    return json.loads(raw or b"null")


def run(binary):
    if not os.environ.get("ZAYAVKA_TEST_DATABASE_URL"):
        raise SystemExit("cluster_test: needs ZAYAVKA_TEST_DATABASE_URL (several instances share PostgreSQL)")
    cluster = Cluster(binary)
    steps = 0

    def step(text):
        nonlocal steps
        steps += 1
        print(f"  {steps:2d}. {text}", flush=True)

    try:
        cluster.start()
        base = cluster.base
        admin = api(base, "POST", "/api/v1/auth/token", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]

        step("240 simultaneous creations naming 7 new customers, each with an Idempotency-Key: all 201, 7 customers, all instances used")
        mark = cluster.log_lines()

        def create(index):
            body = {"subject": f"Кластер {index}", "body": "Создано через nginx.", "requester_email": f"new.{index % 7}@cluster.test",
                    "requester_name": f"Новый {index % 7}"}
            status, raw, headers = request(base, "POST", "/api/v1/tickets", body, admin, {"Idempotency-Key": f"create-{index}"})
            return status, json.loads(raw) if status == 201 else raw
        with concurrent.futures.ThreadPoolExecutor(24) as pool:
            results = list(pool.map(create, range(240)))
        refused = [(status, body[:200]) for status, body in results if status != 201]
        assert not refused, f"{len(refused)} creations refused: {refused[:5]}"
        numbers = [body["number"] for _, body in results]
        assert len(set(numbers)) == 240, "duplicate ticket numbers"
        customers = [u for u in api(base, "GET", "/api/v1/users?role=customer&limit=100", token=admin)["items"]
                     if u["email"].endswith("@cluster.test")]
        assert sorted(u["email"] for u in customers) == [f"new.{i}@cluster.test" for i in range(7)], customers
        used = {line.split()[-1] for line in cluster.upstreams(mark) if line.startswith("POST /api/v1/tickets")}
        assert len(used) == 3, f"nginx used {used}"
        for number in numbers[:60]:
            assert api(base, "GET", f"/api/v1/tickets/{number}", token=admin)["number"] == number

        step("an attachment uploaded through one instance downloads through every one (no shared folder: it is in the database)")
        blob = bytes((i * 37 + 11) % 256 for i in range(600 * 1024))
        status, raw, _ = request(base, "POST", "/api/v1/attachments?filename=scan.bin", blob, admin,
                                 {"Content-Type": "application/octet-stream"})
        assert status == 201, (status, raw[:300])
        upload = json.loads(raw)["attachments"][0]["id"]
        filed = api(base, "POST", "/api/v1/tickets", {"subject": "Со вложением", "body": "Скан.", "requester_email": "new.0@cluster.test",
                                                      "attachments": [upload]}, token=admin)
        url = api(base, "GET", f"/api/v1/tickets/{filed['number']}/comments", token=admin)["items"][0]["attachments"][0]["url"]
        for instance in cluster.instances:
            status, got, _ = request(f"http://127.0.0.1:{instance['http']}", "GET", url, token=admin)
            assert status == 200 and got == blob, (status, len(got))
        for instance in cluster.instances:
            folder = os.path.join(instance["data"], "attachments")
            left = [f for _, _, files in os.walk(folder) for f in files]
            assert not left, f"files left in {folder}: {left}"

        step("a web sign-in through nginx: the session works whichever instance answers")
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(NO_PROXY, urllib.request.HTTPCookieProcessor(jar))
        status, page, _ = request(base, "GET", "/sign-in", opener=opener, headers={"Accept": "text/html"})
        csrf = re.search(rb'name="_csrf" value="([^"]+)"', page).group(1).decode()
        form = urllib.parse.urlencode({"_csrf": csrf, "email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).encode()
        status, page, _ = request(base, "POST", "/sign-in", form, opener=opener,
                                  headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"})
        assert status == 200 and b"sign-in" not in page[:0], status
        mark = cluster.log_lines()
        for _ in range(9):
            status, page, _ = request(base, "GET", "/agent", opener=opener, headers={"Accept": "text/html"})
            assert status == 200 and "Выйти".encode() in page, (status, page[:300])
        used = {line.split()[-1] for line in cluster.upstreams(mark) if line.startswith("GET /agent ")}
        assert len(used) >= 2, f"the pages came from {used} only"

        step("the live pages' change feed across instances: a queue's event stream on instance 1 hears a ticket filed through instance 2")
        cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
        first, second = cluster.instances[0]["http"], cluster.instances[1]["http"]
        stream = socket.create_connection(("127.0.0.1", first), timeout=20)
        stream.sendall(f"GET /agent/live HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\nAccept: text/event-stream\r\n\r\n".encode())
        heard = b""
        while b"event: ready" not in heard:
            heard += stream.recv(4096)
        assert heard.startswith(b"HTTP/1.1 200"), heard[:200]
        filed = time.monotonic()
        number = api(f"http://127.0.0.1:{second}", "POST", "/api/v1/tickets",
                     {"subject": "Через другой экземпляр", "body": "Проверка живой очереди"}, admin)["number"]
        while f'"number":"{number}"'.encode() not in heard:
            assert time.monotonic() - filed < 15, f"instance 1's stream never named ticket {number}: {heard[-600:]!r}"
            heard += stream.recv(4096)
        stream.close()
        print(f"      ticket {number} filed on instance 2 reached instance 1's stream in {time.monotonic() - filed:.2f} s", flush=True)

        step("one mail into each instance's own SMTP listener: three tickets")
        import smtplib
        mids = []
        for index, instance in enumerate(cluster.instances):
            mid = f"cluster-{index}-{uuid.uuid4().hex[:8]}@client.test"
            mids.append(mid)
            raw = (f"From: Client {index} <client{index}@mail.test>\r\nTo: {SUPPORT}\r\nSubject: Mail to instance {index + 1}\r\n"
                   f"Message-ID: <{mid}>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n").encode()
            with smtplib.SMTP("127.0.0.1", instance["smtp"], timeout=30) as client:
                client.sendmail(f"client{index}@mail.test", [SUPPORT], raw)
        deadline = time.time() + 60
        while time.time() < deadline:
            subjects = {t["subject"] for t in api(base, "GET", "/api/v1/tickets?limit=100&sort=created_at&order=desc", token=admin)["items"]}
            if all(f"Mail to instance {i + 1}" in subjects for i in range(3)):
                break
            time.sleep(0.5)
        else:
            raise AssertionError(f"the mailed tickets are missing: {sorted(subjects)[:10]}")

        step("the outbox, run by all three instances at once, delivers every acknowledgement exactly once")
        # One acknowledgement per ticket: the 240 created at once, the one with the attachment, the one the live
        # stream heard and the 3 mailed. Drained: all of
        # them sent, nothing queued or being sent, and the count still for three seconds (a second
        # mail about the same event would come late). The notifiers run in the background; events
        # commit out of id order on PostgreSQL and each must still be mailed about (M024).
        expected = 240 + 1 + 1 + 3
        deadline, steady, last = time.time() + 180, 0, None
        while time.time() < deadline and steady < 6:
            stats = api(base, "GET", "/api/v1/mail/stats", token=admin)
            idle = stats["outbox"].get("queued", 0) == 0 and stats["outbox"].get("sending", 0) == 0
            done = stats["outbox"].get("sent", 0) + stats["outbox"].get("failed", 0) >= expected
            steady = steady + 1 if idle and done and stats["outbox"].get("sent", 0) == last else 0
            last = stats["outbox"].get("sent", 0)
            time.sleep(0.5)
        assert steady >= 6, f"the outbox did not drain to {expected} mails: {stats}"
        sent = stats["outbox"].get("sent", 0)
        ids = cluster.relay.message_ids()
        assert len(ids) == sent and len(set(ids)) == len(ids), f"relay got {len(ids)} ({len(set(ids))} distinct), outbox sent {sent}"
        if sent != expected or stats["outbox"].get("failed", 0):
            items = api(base, "GET", "/api/v1/mail/outbox?limit=500", token=admin)["items"]
            kinds = collections.Counter(f'{item["kind"]} #{item.get("ticket_number")}' for item in items)
            raise AssertionError(f"{sent} mails sent, {expected} expected: {stats}; more than one: "
                                 f"{[k for k, n in kinds.items() if n > 1]}, kinds {collections.Counter(i['kind'] for i in items)}")
        print(f"      {sent} mails sent by three instances, {len(set(ids))} distinct at the relay", flush=True)

        step("the periodic jobs, run every second by all three instances: each SLA warning, breach and auto-close happens once")
        api(base, "POST", "/api/v1/sla-policies/templates/seed000", token=admin)
        time.sleep(6)  # every instance caches the SLA setup for 5 s (docs/operations.md): then all start clocks
        timed = [api(base, "POST", "/api/v1/tickets", {"subject": f"Таймер {i}", "body": "Срок истёк.",
                                                       "requester_email": f"timer.{i % 5}@cluster.test"}, admin)["number"]
                 for i in range(60)]
        solved = [api(base, "POST", "/api/v1/tickets", {"subject": f"Автозакрытие {i}", "body": "Решено.",
                                                        "requester_email": f"closer.{i % 5}@cluster.test"}, admin)["number"]
                  for i in range(60)]
        # Time moves on: the timed tickets' clocks are due now (what the jobs compare with the moment they run).
        numbers = ", ".join(map(str, timed))
        clocks = cluster.psql(f"""
            UPDATE sla_clocks SET warn_at = CASE WHEN warn_at IS NULL THEN NULL ELSE now() - interval '2 minutes' END,
                                  due_at = now() - interval '1 minute'
            WHERE stopped_at IS NULL AND paused_at IS NULL AND ticket_id IN (SELECT id FROM tickets WHERE number IN ({numbers}))
            RETURNING warn_at IS NOT NULL""")
        want_warnings, want_breaches = sum(1 for row in clocks if row[0] == "t"), len(clocks)
        assert want_breaches >= 60, f"only {want_breaches} running clocks on 60 tickets"
        for number in solved:
            api(base, "PATCH", f"/api/v1/tickets/{number}", {"status": "solved"}, admin)
        solved_list = ", ".join(map(str, solved))
        deadline = time.time() + 120
        while True:
            counts = dict((row[0], (int(row[1]), int(row[2]))) for row in cluster.psql(f"""
                SELECT e.kind, count(*), count(DISTINCT e.ticket_id::text || '/' || COALESCE(e.field, '')) FROM ticket_events e
                JOIN tickets t ON t.id = e.ticket_id
                WHERE (e.kind IN ('sla_warning', 'sla_breached') AND t.number IN ({numbers}))
                   OR (e.kind = 'status_changed' AND e."after" = 'closed' AND t.number IN ({solved_list}))
                GROUP BY e.kind"""))
            warnings, breaches, closes = counts.get("sla_warning", (0, 0)), counts.get("sla_breached", (0, 0)), counts.get("status_changed", (0, 0))
            if warnings[1] >= want_warnings and breaches[1] >= want_breaches and closes[1] >= 60:
                break
            assert time.time() < deadline, f"the jobs did not finish: {counts}, want {want_warnings}/{want_breaches}/60"
            time.sleep(0.5)
        time.sleep(3)  # three more rounds on every instance: nothing fires twice
        again = dict((row[0], int(row[1])) for row in cluster.psql(f"""
            SELECT e.kind, count(*) FROM ticket_events e JOIN tickets t ON t.id = e.ticket_id
            WHERE (e.kind IN ('sla_warning', 'sla_breached') AND t.number IN ({numbers}))
               OR (e.kind = 'status_changed' AND e."after" = 'closed' AND t.number IN ({solved_list}))
            GROUP BY e.kind"""))
        assert again == {"sla_warning": want_warnings, "sla_breached": want_breaches, "status_changed": 60} if want_warnings \
            else again == {"sla_breached": want_breaches, "status_changed": 60}, \
            f"fired {again}, want {want_warnings} warnings, {want_breaches} breaches, 60 closes"
        closed = [api(base, "GET", f"/api/v1/tickets/{n}", token=admin)["status"] for n in solved]
        assert set(closed) == {"closed"}, collections.Counter(closed)
        # The notifier mails each of those events about once: no mail twice to one person for one event.
        deadline = time.time() + 60
        while cluster.psql("SELECT count(*) FROM mail_event_queue")[0][0] != "0":
            assert time.time() < deadline, "the notifier did not catch up"
            time.sleep(0.5)
        twice = cluster.psql("""
            SELECT ticket_id, kind, to_address, count(*) FROM mail_outbox WHERE kind LIKE 'sla%'
            GROUP BY ticket_id, kind, to_address HAVING count(*) > 1""")
        assert not twice, f"SLA mails sent twice: {twice[:5]}"
        print(f"      {want_warnings} warnings, {want_breaches} breaches, 60 auto-closes, each once", flush=True)

        step("an instance killed with SIGKILL during a creation load: nothing acknowledged is lost, no key makes two tickets")
        victim = cluster.instances[1]["process"]
        acknowledged, lock = {}, threading.Lock()
        counts = {"repeats": 0, "replayed": 0}
        stop = threading.Event()

        def load(worker):
            index = 0
            while not stop.is_set() or index < 5:
                key = f"kill-{worker}-{index}"
                body = {"subject": f"Под нагрузкой {key}", "body": "Во время SIGKILL."}
                for attempt in range(5):
                    status, raw, headers = request(base, "POST", "/api/v1/tickets", body, admin, {"Idempotency-Key": key}, timeout=30)
                    if status == 201:
                        with lock:
                            acknowledged.setdefault(key, set()).add(json.loads(raw)["number"])
                            counts["replayed"] += headers.get("Idempotent-Replayed") == "true"
                        break
                    with lock:
                        counts["repeats"] += 1
                    time.sleep(0.2)
                else:
                    raise AssertionError(f"{key} was never created: {status} {raw[:200]!r}")
                index += 1
        mark = cluster.log_lines()
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(load, worker) for worker in range(8)]
            time.sleep(1.5)
            victim.send_signal(signal.SIGKILL)
            victim.wait(timeout=10)
            time.sleep(2.0)
            stop.set()
            for future in futures:
                future.result()
        assert len(acknowledged) >= 40, f"only {len(acknowledged)} creations during the load"
        lines = [line for line in cluster.upstreams(mark) if line.startswith("POST /api/v1/tickets")]
        retried = sum(", " in line for line in lines)  # nginx logs every instance it tried: "A, B"
        print(f"      {len(acknowledged)} tickets during the load; nginx passed {retried} requests on to another instance; "
              f"clients repeated {counts['repeats']}; {counts['replayed']} answers were replays", flush=True)
        twice = {key: numbers for key, numbers in acknowledged.items() if len(numbers) != 1}
        assert not twice, f"a repeated key answered different tickets: {twice}"
        for key, numbers in acknowledged.items():
            ticket = api(base, "GET", f"/api/v1/tickets/{next(iter(numbers))}", token=admin)
            assert ticket["subject"] == f"Под нагрузкой {key}", ticket
        stored = api(base, "GET", "/api/v1/tickets?limit=1", token=admin)
        all_subjects = []
        cursor = None
        while True:
            page = api(base, "GET", "/api/v1/tickets?limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""), token=admin)
            all_subjects += [t["subject"] for t in page["items"] if t["subject"].startswith("Под нагрузкой ")]
            cursor = page.get("next_cursor")
            if not cursor:
                break
        assert len(all_subjects) == len(set(all_subjects)) == len(acknowledged), \
            f"{len(all_subjects)} load tickets stored ({len(set(all_subjects))} distinct) for {len(acknowledged)} keys"
        assert stored is not None
        for _ in range(6):
            assert request(base, "GET", "/api/v1/tickets?limit=1", token=admin)[0] == 200
        print(f"ok: {steps} steps, 3 instances behind nginx on PostgreSQL", flush=True)
    except BaseException:
        print(cluster.tail(), file=sys.stderr)
        raise
    finally:
        cluster.stop()
        shutil.rmtree(cluster.work, ignore_errors=True)


if __name__ == "__main__":
    run(sys.argv[1])
