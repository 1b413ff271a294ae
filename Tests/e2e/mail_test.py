#!/usr/bin/python3
"""End-to-end test of the email channel: real SMTP and LMTP in, a real relay out.

Starts an SMTP relay (aiosmtpd: STARTTLS with a self-signed certificate made here, AUTH
PLAIN/LOGIN only after TLS, every message kept in memory, RCPT reject@e2e.test refused with
550 5.1.1), then `zayavka serve` on a fresh database (SQLite in a temporary folder; PostgreSQL in
a fresh schema when --postgres is given and ZAYAVKA_TEST_DATABASE_URL is set) with its SMTP and
LMTP listeners and that relay as its outbound route. Then mail goes in through swaks, smtplib,
LMTP, `zayavka mail import` and the API, in KOI8-R, windows-1251, CP866 and UTF-8, and the test
checks the tickets, comments and attachments through the API and what reached the relay.

usage: /usr/bin/python3 Tests/e2e/mail_test.py BINARY [--postgres]

Needs Debian's python3-aiosmtpd (hence /usr/bin/python3), swaks and openssl.
"""
import base64
import email
import email.policy
import email.utils
import hashlib
import json
import logging
import os
import quopri
import random
import re
import secrets
import shutil
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

SUPPORT = "support@e2e.test"
SECOND_SUPPORT = "help@e2e.test"      # a second support address, for the LMTP multi-recipient check
SUBJECT_TAG = "Support"
RELAY_USER, RELAY_PASSWORD = "relayuser", "relaypass"
REJECTED = "reject@e2e.test"          # the relay refuses this recipient with 550 5.1.1 (permanent)
DEFERRED = "busy@e2e.test"            # the relay answers 451 4.3.0 for this one (temporary)
ATTEMPTS = 3                          # ZAYAVKA_MAIL_ATTEMPTS
MAX_MB = 1                            # ZAYAVKA_MAIL_MAX_MB: the 2 MB message must be refused
ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.test", "admin-pass-1"
INBOUND_STATUSES = ("pending", "processed", "quarantined", "duplicate", "ignored")
SETTLED = {"processed", "quarantined", "duplicate", "ignored"}   # not pending (nor processing, which no list shows)
OUTBOX_STATUSES = ("queued", "sent", "failed")
# Direct connections only: an http_proxy from the environment must not see 127.0.0.1.
HTTP = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def bare(message_id):
    """A Message-ID without angle brackets and blanks, lower-cased (the server matches them so), for comparing."""
    return (message_id or "").strip().strip("<>").strip().lower()


def ids_in(header):
    """Every <message-id> named in a header value (In-Reply-To, References), lower-cased."""
    return [found.lower() for found in re.findall(r"<([^<>\s]+)>", header or "")]


def new_id(tag="msg"):
    return f"{tag}-{uuid.uuid4().hex[:16]}@client.e2e.test"


def wait_for(what, probe, ok=bool, timeout=30.0, interval=0.15):
    """Polls `probe` until `ok(value)`; returns the value, or fails naming what it waited for."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if ok(value):
            return value
        if time.monotonic() > deadline:
            shown = repr(value)
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}; last seen: "
                                 + (shown if len(shown) < 3000 else shown[:3000] + "…"))
        time.sleep(interval)


# ---------------------------------------------------------------------------------------------
# Messages, built byte by byte so that every encoding is exactly what a real mailer sends.

def encoded_words(text, charset, encoding="B", limit=75):
    """`text` as RFC 2047 encoded words of at most `limit` characters, folded onto new lines."""
    def word(chunk):
        data = chunk.encode(charset)
        if encoding == "B":
            payload = base64.b64encode(data).decode()
        else:
            payload = "".join(chr(b) if (b < 128 and chr(b).isalnum()) or chr(b) in "!*+-/" else "_" if b == 32
                              else f"={b:02X}" for b in data)
        return f"=?{charset}?{encoding}?{payload}?="
    words, chunk = [], ""
    for ch in text:
        if chunk and len(word(chunk + ch)) > limit:
            words.append(word(chunk))
            chunk = ch
        else:
            chunk += ch
    words.append(word(chunk))
    return "\r\n ".join(words)


def encode_body(text, charset, cte):
    lines = text.replace("\r\n", "\n").encode(charset).split(b"\n")
    if cte in ("7bit", "8bit"):
        return b"\r\n".join(lines) + b"\r\n"
    if cte == "quoted-printable":
        return b"\r\n".join(quopri.encodestring(line).replace(b"\n", b"\r\n") for line in lines) + b"\r\n"
    if cte == "base64":
        return base64.encodebytes(b"\r\n".join(lines) + b"\r\n").replace(b"\n", b"\r\n")
    raise ValueError(cte)


def assemble(headers, body):
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return head.encode("ascii") + b"\r\n" + body


def text_message(*, sender, subject, body, name=None, charset="UTF-8", cte="8bit", subject_encoding="B",
                 to=SUPPORT, message_id=None, in_reply_to=None, references=(), extra=()):
    """A single-part text/plain message; returns (bytes, its Message-ID without brackets)."""
    mid = message_id or new_id()
    headers = [("From", f"{encoded_words(name, charset)} <{sender}>" if name else sender), ("To", to),
               ("Subject", encoded_words(subject, charset, subject_encoding) if not subject.isascii() else subject),
               ("Date", email.utils.formatdate(localtime=True)), ("Message-ID", f"<{mid}>"), ("MIME-Version", "1.0"),
               ("Content-Type", f"text/plain; charset={charset}"), ("Content-Transfer-Encoding", cte)]
    if in_reply_to:
        headers.append(("In-Reply-To", f"<{in_reply_to}>"))
    if references:
        headers.append(("References", "\r\n ".join(f"<{r}>" for r in references)))
    headers += list(extra)
    return assemble(headers, encode_body(body, charset, cte)), mid


def rfc2231(name, value, segment=None):
    """A MIME parameter in RFC 2231 form (charset UTF-8), optionally split into continuations."""
    encoded = urllib.parse.quote(value.encode("utf-8"), safe="")
    if not segment:
        return f"{name}*=UTF-8''{encoded}"
    pieces, rest = [], encoded
    while rest:
        cut = min(segment, len(rest))
        while cut < len(rest) and "%" in rest[cut - 2:cut]:   # never split a %XX
            cut -= 1
        pieces.append(rest[:cut])
        rest = rest[cut:]
    first = "UTF-8''"
    return ";\r\n ".join(f"{name}*{i}*={first if i == 0 else ''}{piece}" for i, piece in enumerate(pieces))


def tiny_pdf(text="Zayavka e2e"):
    """A small but well-formed one-page PDF."""
    stream = f"BT /F1 12 Tf 20 50 Td ({text}) Tj ET".encode()
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"), []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def b64(data):
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


def attachments_message(*, sender, name, subject, text, files, message_id=None):
    """multipart/mixed: multipart/alternative (plain + HTML) and files given as
    (filename, content type, bytes, continuation segment or None), names in RFC 2231."""
    mid = message_id or new_id()
    outer, inner = "outer-" + uuid.uuid4().hex, "alt-" + uuid.uuid4().hex
    html = "<html><body><p>" + text.replace("\n", "<br>") + "</p></body></html>"
    text = text.replace("\n", "\r\n")
    parts = [f"--{outer}\r\nContent-Type: multipart/alternative; boundary=\"{inner}\"\r\n\r\n".encode(),
             f"--{inner}\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode(),
             b64(text.encode()),
             f"--{inner}\r\nContent-Type: text/html; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode(),
             b64(html.encode()), f"--{inner}--\r\n".encode()]
    for filename, content_type, data, segment in files:
        # Outlook-style: an RFC 2047 name on Content-Type beside the RFC 2231 filename; the long one
        # comes as RFC 2231 continuations only (Thunderbird-style).
        type_line = f"{content_type}; name=\"{encoded_words(filename, 'UTF-8', limit=998)}\"" if not segment else content_type
        parts.append(f"--{outer}\r\nContent-Type: {type_line}\r\nContent-Disposition: attachment;\r\n "
                     f"{rfc2231('filename', filename, segment)}\r\nContent-Transfer-Encoding: base64\r\n\r\n".encode())
        parts.append(b64(data))
    parts.append(f"--{outer}--\r\n".encode())
    headers = [("From", f"{encoded_words(name, 'UTF-8')} <{sender}>"), ("To", SUPPORT),
               ("Subject", encoded_words(subject, "UTF-8")), ("Date", email.utils.formatdate(localtime=True)),
               ("Message-ID", f"<{mid}>"), ("MIME-Version", "1.0"),
               ("Content-Type", f"multipart/mixed; boundary=\"{outer}\"")]
    return assemble(headers, b"".join(parts)), mid


def bounce_message(original, recipient):
    """A Postfix-style DSN (multipart/report; report-type=delivery-status) returning `original`."""
    mid, boundary = new_id("dsn"), "dsn-" + uuid.uuid4().hex
    cte = "8bit" if any(b > 127 for b in original) else "7bit"
    body = (f"--{boundary}\r\nContent-Description: Notification\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
            f"This is the mail system at host mx.e2e.test.\r\n\r\nI'm sorry to have to inform you that your message could not\r\n"
            f"be delivered to one or more recipients. It's attached below.\r\n\r\n"
            f"<{recipient}>: host mx.e2e.test said: 552 5.2.2 Mailbox full\r\n\r\n"
            f"--{boundary}\r\nContent-Description: Delivery report\r\nContent-Type: message/delivery-status\r\n\r\n"
            f"Reporting-MTA: dns; mx.e2e.test\r\nArrival-Date: {email.utils.formatdate(localtime=True)}\r\n\r\n"
            f"Final-Recipient: rfc822; {recipient}\r\nOriginal-Recipient: rfc822;{recipient}\r\nAction: failed\r\n"
            f"Status: 5.2.2\r\nDiagnostic-Code: smtp; 552 5.2.2 Mailbox full\r\n\r\n"
            f"--{boundary}\r\nContent-Description: Undelivered Message\r\nContent-Type: message/rfc822\r\n"
            f"Content-Transfer-Encoding: {cte}\r\n\r\n").encode() + original.rstrip(b"\r\n") + b"\r\n" + f"--{boundary}--\r\n".encode()
    headers = [("From", "Mail Delivery System <MAILER-DAEMON@mx.e2e.test>"), ("To", SUPPORT),
               ("Subject", "Undelivered Mail Returned to Sender"), ("Date", email.utils.formatdate(localtime=True)),
               ("Message-ID", f"<{mid}>"), ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0"),
               ("Content-Type", f"multipart/report; report-type=delivery-status;\r\n boundary=\"{boundary}\"")]
    return assemble(headers, body), mid


def garbage(seed, size=4096):
    """Binary junk in short CRLF lines (so the transport is fine and only the content is unreadable)."""
    rng = random.Random(seed)
    junk = bytes(b for b in rng.randbytes(size * 2) if b not in (10, 13))[:size]
    return b"\x00\xff\xfe" + b"\r\n".join(junk[i:i + 60] for i in range(0, len(junk), 60)) + b"\r\n"


# ---------------------------------------------------------------------------------------------
# The relay.

class Delivered:
    """One message the relay accepted."""

    def __init__(self, index, envelope, session):
        self.index = index
        self.mail_from = envelope.mail_from
        self.mail_options = [o.upper() for o in envelope.mail_options]
        self.rcpt_tos = [r.lower() for r in envelope.rcpt_tos]
        self.raw = envelope.original_content if isinstance(envelope.original_content, bytes) else envelope.content
        self.tls = session.ssl is not None
        self.auth = session.auth_data if session.authenticated else None
        self.msg = email.message_from_bytes(self.raw, policy=email.policy.default)

    def header(self, name):
        value = self.msg.get(name)
        return "" if value is None else " ".join(str(value).split())

    @property
    def subject(self):
        return self.header("Subject")

    @property
    def message_id(self):
        return bare(self.header("Message-ID"))

    def text(self):
        """Every text part (plain and HTML), decoded."""
        texts = []
        for part in self.msg.walk():
            if part.get_content_maintype() != "text" or part.get_content_disposition() == "attachment":
                continue
            try:
                texts.append(part.get_content())
            except Exception:
                texts.append(part.get_payload(decode=True).decode("utf-8", "replace"))
        return "\n".join(texts)

    def head(self):
        return self.raw.split(b"\r\n\r\n", 1)[0]

    def __repr__(self):
        return f"<#{self.index} to {','.join(self.rcpt_tos)} id {self.message_id} subject {self.subject!r}>"


class Relay:
    """The outbound relay: aiosmtpd with STARTTLS required before AUTH, AUTH required before MAIL."""

    def __init__(self, folder):
        self.cert, self.key = os.path.join(folder, "relay-cert.pem"), os.path.join(folder, "relay-key.pem")
        made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                               "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                               "-keyout", self.key, "-out", self.cert], capture_output=True, text=True)
        if made.returncode != 0:
            raise SystemExit("openssl could not make the relay certificate:\n" + made.stderr)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        self.changed = threading.Condition()
        self.delivered = []
        self.refused = {}          # address -> how many RCPTs were refused
        self.mechanisms = set()
        logging.getLogger("mail.log").setLevel(logging.ERROR)   # aiosmtpd's per-command chatter
        self.port = free_port()
        # "localhost" binds every address it resolves to (127.0.0.1 and, where listed, ::1).
        self.controller = Controller(self, hostname="localhost", port=self.port, server_hostname="localhost",
                                     tls_context=context, require_starttls=True, auth_required=True,
                                     auth_require_tls=True, authenticator=self.authenticate)
        self.controller.start()

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == RELAY_USER.encode()
              and auth_data.password == RELAY_PASSWORD.encode())
        if ok:
            self.mechanisms.add(mechanism)
        return AuthResult(success=ok, handled=False, auth_data=mechanism if ok else None)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in (REJECTED, DEFERRED):
            with self.changed:
                self.refused[address.lower()] = self.refused.get(address.lower(), 0) + 1
                self.changed.notify_all()
            if address.lower() == DEFERRED:
                return f"451 4.3.0 <{address}>: Temporary lookup failure"
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in local recipient table"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.changed:
            self.delivered.append(Delivered(len(self.delivered), envelope, session))
            self.changed.notify_all()
        return "250 2.0.0 Ok: queued"

    def to(self, address, since=0):
        with self.changed:
            return [d for d in self.delivered[since:] if address.lower() in d.rcpt_tos]

    def by_message_id(self, message_id):
        with self.changed:
            return next((d for d in self.delivered if d.message_id == bare(message_id)), None)

    def mark(self):
        with self.changed:
            return len(self.delivered)

    def refusals(self, address):
        with self.changed:
            return self.refused.get(address.lower(), 0)

    def summary(self):
        with self.changed:
            return "\n".join(repr(d) for d in self.delivered[-40:])

    def stop(self):
        self.controller.stop()


def check_relay(relay):
    """The relay works as the server will use it: STARTTLS with our CA, then AUTH, then mail."""
    context = ssl.create_default_context(cafile=relay.cert)
    with smtplib.SMTP("localhost", relay.port, timeout=10) as client:
        client.ehlo("selftest")
        code, _ = client.mail("selftest@e2e.test")
        assert code == 530, f"the relay must refuse MAIL before STARTTLS and AUTH, answered {code}"
        client.rset()
        client.starttls(context=context)
        client.ehlo("selftest")
        client.login(RELAY_USER, RELAY_PASSWORD)
        client.sendmail("selftest@e2e.test", ["selftest@e2e.test"], b"Subject: self test\r\n\r\nok\r\n")
    with relay.changed:
        assert len(relay.delivered) == 1 and relay.delivered[0].tls, relay.delivered
        relay.delivered.clear()
        relay.mechanisms.clear()


# ---------------------------------------------------------------------------------------------
# The server.

class Server:
    def __init__(self, binary, postgres, relay):
        self.binary = binary
        self.port, self.smtp_port, self.lmtp_port = free_port(), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = tempfile.mkdtemp(prefix="zayavka-mail-e2e-")
        env = {k: v for k, v in os.environ.items() if not k.startswith("ZAYAVKA_") and k != "DATABASE_URL"}
        env.update(ZAYAVKA_ADMIN_EMAIL=ADMIN_EMAIL, ZAYAVKA_ADMIN_PASSWORD=ADMIN_PASSWORD, ZAYAVKA_BCRYPT_COST="4", ZAYAVKA_LIMIT_ADDRESS="off", ZAYAVKA_LIMIT_ACCOUNT="off",
                   ZAYAVKA_LOG_LEVEL="warning", ZAYAVKA_PUBLIC_URL=self.base,
                   ZAYAVKA_SMTP_PORT=str(self.smtp_port), ZAYAVKA_LMTP_PORT=str(self.lmtp_port), ZAYAVKA_SMTP_HOST="127.0.0.1",
                   ZAYAVKA_SUPPORT_ADDRESSES=f"{SUPPORT},{SECOND_SUPPORT}", ZAYAVKA_MAIL_FROM=f"Support <{SUPPORT}>",
                   ZAYAVKA_MAIL_SUBJECT_TAG=SUBJECT_TAG,
                   ZAYAVKA_MAIL_RELAY_URL=f"smtp://{RELAY_USER}:{RELAY_PASSWORD}@localhost:{relay.port}",
                   ZAYAVKA_MAIL_RELAY_CA=relay.cert, ZAYAVKA_MAIL_RETRY_SECONDS="1", ZAYAVKA_MAIL_ATTEMPTS=str(ATTEMPTS),
                   ZAYAVKA_MAIL_MAX_MB=str(MAX_MB))
        self.schema = None
        if postgres:
            self.schema = "mail_e2e_" + secrets.token_hex(4)
            env["DATABASE_URL"] = os.environ["ZAYAVKA_TEST_DATABASE_URL"]
            env["ZAYAVKA_DATABASE_SCHEMA"] = self.schema
        self.env = env
        self.log_path = os.path.join(self.data, "server.log")
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([binary, "serve", "--data-dir", self.data, "--hostname", "127.0.0.1",
                                         "--port", str(self.port), "--smtp-port", str(self.smtp_port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                HTTP.open(self.base + "/healthz", timeout=1)
                if port_open(self.smtp_port) and port_open(self.lmtp_port):
                    return
            except Exception:
                pass
            time.sleep(0.1)
        tail = self.log_tail()
        self.stop()
        raise SystemExit(f"server did not start (healthz, SMTP port {self.smtp_port} and LMTP port {self.lmtp_port}); log:\n{tail}")

    def request(self, method, path, data=None, headers=None, token=None):
        """One request below /api/v1; returns (status, body bytes). Never raises on an HTTP status."""
        request = urllib.request.Request(self.base + "/api/v1" + path, method=method, data=data, headers=headers or {})
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with HTTP.open(request, timeout=60) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.read()

    def api(self, method, path, body=None, token=None, expect=None):
        status, raw = self.request(method, path, json.dumps(body).encode() if body is not None else None,
                                   {"Content-Type": "application/json", "Accept": "application/json"}, token)
        if (expect is not None and status != expect) or (expect is None and status >= 300):
            raise AssertionError(f"{method} {path} -> {status} (expected {expect or '2xx'}): {raw.decode(errors='replace')[:2000]}")
        return json.loads(raw or b"null")

    def import_mail(self, raw, env=None, data_dir=None):
        return subprocess.run([self.binary, "mail", "import", "--data-dir", data_dir or self.data], input=raw,
                              env=env or self.env, capture_output=True, timeout=120)

    def log_tail(self, size=6000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-size:]
        except OSError:
            return "(no log)"

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        if self.schema:
            subprocess.run(["psql", os.environ["ZAYAVKA_TEST_DATABASE_URL"], "-q", "-c", f"DROP SCHEMA {self.schema} CASCADE"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        shutil.rmtree(self.data, ignore_errors=True)


def smtp_send(port, raw, mail_from, rcpts, lmtp=False):
    """Delivers one message in one session; returns sendmail's refused-recipients dict."""
    client = smtplib.LMTP("127.0.0.1", port, timeout=60) if lmtp else smtplib.SMTP("127.0.0.1", port, timeout=60)
    try:
        client.ehlo("client.e2e.test")
        options = ["BODY=8BITMIME"] if any(b > 127 for b in raw) and client.has_extn("8bitmime") else []
        return client.sendmail(mail_from, rcpts, raw, mail_options=options)
    finally:
        try:
            client.quit()
        except smtplib.SMTPException:
            client.close()


class Dialog:
    """A raw SMTP/LMTP conversation, to see every reply (e.g. one per recipient after LMTP DATA)."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.file = self.sock.makefile("rb")
        self.greeting = self.reply()

    def reply(self):
        lines = []
        while True:
            line = self.file.readline()
            if not line:
                raise AssertionError("the server closed the connection; replies so far: " + repr(lines))
            lines.append(line.decode("latin-1").rstrip("\r\n"))
            if line[3:4] != b"-":
                return int(lines[-1][:3]), "\n".join(lines)

    def command(self, text):
        self.sock.sendall(text.encode() + b"\r\n")
        return self.reply()

    def send_data(self, raw):
        stuffed = b"\r\n".join(b"." + line if line.startswith(b".") else line for line in raw.rstrip(b"\r\n").split(b"\r\n"))
        self.sock.sendall(stuffed + b"\r\n.\r\n")

    def close(self):
        try:
            self.command("QUIT")
        except (OSError, AssertionError):
            pass
        self.sock.close()


# ---------------------------------------------------------------------------------------------
# The test.

class MailFlow:
    def __init__(self, server, relay, token):
        self.s, self.relay, self.token = server, relay, token
        self.steps = 0

    def step(self, text):
        self.steps += 1
        print(f"  {self.steps:2d}. {text}", flush=True)

    def api(self, method, path, body=None, token=None, expect=None):
        return self.s.api(method, path, body, token or self.token, expect)

    def list_all(self, path):
        """Every item of a list endpoint, following next_cursor when there is one."""
        items, cursor = [], None
        while True:
            sep = "&" if "?" in path else "?"
            page = self.api("GET", f"{path}{sep}limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else ""))
            items += page["items"]
            cursor = page.get("next_cursor")
            if not cursor or not page["items"]:
                return items

    # Inbound mail
    def stats(self):
        return self.api("GET", "/mail/stats")

    def inbound(self, message_id):
        """Every inbound item with this Message-ID (any status)."""
        found = {}
        for status in INBOUND_STATUSES:
            for item in self.list_all(f"/mail/inbound?status={status}"):
                if bare(item.get("message_id")) == bare(message_id):
                    found[item["id"]] = item
        return sorted(found.values(), key=lambda item: item["id"])

    def settled(self, message_id, count=1, timeout=30):
        """Waits until `count` inbound items with this Message-ID exist and all are done with."""
        return wait_for(f"{count} settled inbound item(s) with Message-ID <{message_id}>", lambda: self.inbound(message_id),
                        lambda items: len(items) >= count and all(i["status"] in SETTLED for i in items), timeout)

    def processed(self, message_id, timeout=30):
        """Waits for this message's one inbound item, checks it was processed into a ticket; returns the item."""
        items = self.settled(message_id, timeout=timeout)
        assert len(items) == 1, f"one inbound item expected for <{message_id}>, got {items}"
        item = items[0]
        assert item["status"] == "processed", f"<{message_id}> should be processed, is {item['status']}: {item.get('reason')}"
        assert isinstance(item.get("ticket_number"), int), f"<{message_id}> was processed but names no ticket: {item}"
        return item

    def inbound_total(self):
        return sum(self.stats()["inbound"].values())

    # Outbound mail
    def outbox(self):
        items = {}
        for status in OUTBOX_STATUSES:
            for item in self.list_all(f"/mail/outbox?status={status}"):
                items[item["id"]] = item
        return sorted(items.values(), key=lambda item: item["id"])

    @staticmethod
    def recipients(item):
        to = item.get("to") or ""
        return {address.lower() for _, address in email.utils.getaddresses(to if isinstance(to, list) else [to])}

    def outbox_for(self, address=None, kind=None, number=None, status=None):
        return [item for item in self.outbox()
                if (address is None or address.lower() in self.recipients(item)) and (kind is None or item["kind"] == kind)
                and (number is None or item.get("ticket_number") == number) and (status is None or item["status"] == status)]

    def sent(self, kind, number, address, timeout=30):
        """Waits for the outbox item (kind, ticket, recipient) to be sent and for the relay to have it."""
        items = wait_for(f"a sent {kind} mail to {address} for #{number}",
                         lambda: self.outbox_for(address, kind, number), lambda found: any(i["status"] == "sent" for i in found),
                         timeout)
        item = next(i for i in items if i["status"] == "sent")
        assert item.get("message_id"), f"the sent outbox item has no message_id: {item}"
        delivered = wait_for(f"the relay to hold <{item['message_id']}>", lambda: self.relay.by_message_id(item["message_id"]),
                             timeout=10)
        assert address.lower() in delivered.rcpt_tos, f"{delivered} was not addressed to {address}"
        return item, delivered

    def idle(self, timeout=60):
        """Waits until nothing is pending inbound and nothing is queued outbound."""
        wait_for("inbound pending == 0 and outbox queued == 0", self.stats,
                 lambda s: s["inbound"]["pending"] == 0 and s["outbox"]["queued"] == 0, timeout)

    # Tickets
    def ticket(self, number):
        return self.api("GET", f"/tickets/{number}")

    def comments(self, number):
        return self.api("GET", f"/tickets/{number}/comments")["items"]

    def ticket_count(self):
        return len(self.list_all("/tickets?sort=number&order=asc"))

    def tickets_titled(self, subject):
        return [t for t in self.list_all("/tickets?q=" + urllib.parse.quote(subject)) if t["subject"] == subject]

    def comment_with(self, number, text, timeout=30):
        return wait_for(f"a comment containing {text!r} on #{number}", lambda: [c for c in self.comments(number) if text in c["body"]],
                        timeout=timeout)[0]

    def user(self, address):
        items = self.api("GET", "/users?email=" + urllib.parse.quote(address))["items"]
        return items[0] if items else None

    def send(self, raw, mail_from, rcpts=(SUPPORT,)):
        refused = smtp_send(self.s.smtp_port, raw, mail_from, list(rcpts))
        assert not refused, f"recipients refused: {refused}"


def check_ack(flow, number, subject, customer, customer_mid):
    """The acknowledgement of a new ticket, the only mail a first-time sender gets; returns it."""
    item, ack = flow.sent("ticket_created", number, customer)
    expected = f"[{SUBJECT_TAG}] Re: {subject} [#{number}]"
    assert ack.subject == expected, f"acknowledgement subject {ack.subject!r}, expected {expected!r}"
    assert customer_mid in ids_in(ack.header("In-Reply-To")), f"In-Reply-To {ack.header('In-Reply-To')!r} lacks <{customer_mid}>"
    assert customer_mid in ids_in(ack.header("References")), f"References {ack.header('References')!r} lacks <{customer_mid}>"
    assert ack.header("Auto-Submitted").lower().startswith("auto-replied"), f"Auto-Submitted: {ack.header('Auto-Submitted')!r}"
    assert ack.message_id and ack.message_id == bare(item["message_id"]), (ack.message_id, item)
    assert email.utils.parseaddr(ack.header("From"))[1].lower() == SUPPORT, f"From: {ack.header('From')!r}"
    body = ack.text()
    assert str(number) in body and f"/portal/requests/{number}" in body, f"acknowledgement body lacks #{number} or its link:\n{body}"
    assert "/password/set?token=" in body, f"the acknowledgement to a new customer has no set-password link:\n{body}"
    assert not flow.outbox_for(customer, "account_created"), "a first-time sender gets one mail, not an account mail as well"
    return ack


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    work = tempfile.mkdtemp(prefix="zayavka-mail-e2e-work-")
    relay = Relay(work)
    check_relay(relay)
    server = Server(binary, postgres, relay)
    try:
        print(f"mail end-to-end on {database}: http {server.base}, smtp {server.smtp_port}, lmtp {server.lmtp_port}, relay {relay.port}")
        admin = server.api("POST", "/auth/token", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
        f = MailFlow(server, relay, admin)

        f.step("EHLO advertises SIZE (the configured limit), 8BITMIME, PIPELINING and ENHANCEDSTATUSCODES")
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
            code, _ = client.ehlo("client.e2e.test")
            assert code == 250, code
            for extension in ("size", "8bitmime", "pipelining", "enhancedstatuscodes"):
                assert client.has_extn(extension), f"EHLO lacks {extension.upper()}: {client.esmtp_features}"
            size = int(client.esmtp_features["size"].split()[0] or 0)
            assert 900_000 <= size <= MAX_MB * 1024 * 1024, f"SIZE {size} does not match ZAYAVKA_MAIL_MAX_MB={MAX_MB}"

        # a. KOI8-R through swaks with pipelining
        f.step("a. swaks --pipeline delivers a KOI8-R message (RFC 2047 subject, 8-bit body): a ticket with the exact subject")
        ivan, ivan_name = "ivan.petrov@e2e.test", "Иван Петров"
        koi_subject = "Касса не печатает чек: ошибка ФН, срок истёк"
        koi_body = "Здравствуйте!\nПосле обновления касса пишет «ошибка ФН» и не закрывает смену.\nИван Петров, магазин на Ленина, 15"
        koi_body = koi_body.replace("«", "").replace("»", "")   # not in KOI8-R
        raw, koi_mid = text_message(sender=ivan, name=ivan_name, subject=koi_subject, body=koi_body, charset="KOI8-R")
        path = os.path.join(work, "koi8.eml")
        with open(path, "wb") as out:
            out.write(raw)
        swaks = subprocess.run(["swaks", "--server", "127.0.0.1", "--port", str(server.smtp_port), "--helo", "client.e2e.test",
                                "--from", ivan, "--to", SUPPORT, "--data", "@" + path, "--pipeline"],
                               capture_output=True, timeout=60)   # it echoes the KOI8-R bytes: not text
        transcript = (swaks.stdout + swaks.stderr).decode("koi8-r", "replace")
        assert swaks.returncode == 0, f"swaks exited with {swaks.returncode}:\n{transcript}"
        assert re.search(r"^ *-> +MAIL FROM", transcript, re.M) and "PIPELINING" in transcript, transcript
        item = f.processed(koi_mid)
        koi_number = item["ticket_number"]
        ticket = f.ticket(koi_number)
        assert ticket["subject"] == koi_subject, f"subject {ticket['subject']!r}, expected {koi_subject!r}"
        assert ticket["channel"] == "email", ticket["channel"]
        assert ticket["requester"]["name"] == ivan_name, ticket["requester"]
        customer = f.user(ivan)
        assert customer and customer["role"] == "customer" and customer["name"] == ivan_name, customer
        assert customer["id"] == ticket["requester"]["id"], (customer, ticket["requester"])
        assert any("не закрывает смену" in c["body"] for c in f.comments(koi_number)), f.comments(koi_number)
        items = f.list_all("/mail/inbound?status=processed")
        assert any(i["id"] == item["id"] and bare(i["message_id"]) == koi_mid for i in items)
        assert f.api("GET", f"/mail/inbound/{item['id']}")["status"] == "processed"
        status, stored = server.request("GET", f"/mail/inbound/{item['id']}/raw", token=admin)
        assert status == 200 and raw.rstrip(b"\r\n") in stored, "GET …/raw does not return the bytes that were sent"

        f.step("a. the relay gets the acknowledgement (subject, threading headers, link, the set-password link; no separate account mail), over STARTTLS + AUTH")
        koi_ack = check_ack(f, koi_number, koi_subject, ivan, koi_mid)
        assert koi_ack.tls and koi_ack.auth in ("PLAIN", "LOGIN"), f"delivered without TLS/AUTH: tls={koi_ack.tls} auth={koi_ack.auth}"
        if "SMTPUTF8" not in koi_ack.mail_options:
            assert koi_ack.head().isascii(), "8-bit header bytes sent without SMTPUTF8:\n" + koi_ack.head().decode(errors="replace")

        # b. windows-1251, CP866 and UTF-8 with attachments through smtplib
        f.step("b. windows-1251 (quoted-printable) and CP866 messages become tickets with the right subjects and bodies")
        olga, olga_name = "olga.smirnova@e2e.test", "Ольга Смирнова"
        cp1251_subject = "Счёт-фактура №15 не проводится в 1С: «документ заблокирован»"
        cp1251_body = "Добрый день!\nПри проведении счёта-фактуры №15 выходит ошибка «документ заблокирован».\n" \
                      "Пробовали перезапустить — не помогло.\n-- \nОльга Смирнова, бухгалтерия"
        raw, cp1251_mid = text_message(sender=olga, name=olga_name, subject=cp1251_subject, body=cp1251_body,
                                       charset="windows-1251", cte="quoted-printable", subject_encoding="Q")
        f.send(raw, olga)
        sergey, sergey_name = "sergey.kuznetsov@e2e.test", "Сергей Кузнецов"
        cp866_subject = "Принтер Штрих-М: бумага заминается, ёмкость ленты не определяется"
        cp866_body = "Принтер чеков Штрих-М заминает бумагу на каждом третьем чеке.\nЗаводской № 00123456."
        raw, cp866_mid = text_message(sender=sergey, name=sergey_name, subject=cp866_subject, body=cp866_body,
                                      charset="IBM866", cte="8bit")
        raw = raw.replace(b"charset=IBM866", b"charset=cp866")   # DOS mailers say cp866 in the body, IBM866 in words
        f.send(raw, sergey)
        for mid, subject, name, fragment in [(cp1251_mid, cp1251_subject, olga_name, "документ заблокирован"),
                                             (cp866_mid, cp866_subject, sergey_name, "Заводской № 00123456")]:
            number = f.processed(mid)["ticket_number"]
            ticket = f.ticket(number)
            assert ticket["subject"] == subject, f"subject {ticket['subject']!r}, expected {subject!r}"
            assert ticket["requester"]["name"] == name, ticket["requester"]
            assert any(fragment in c["body"] for c in f.comments(number)), f"#{number} body lacks {fragment!r}: {f.comments(number)}"
        olga_number = f.processed(cp1251_mid)["ticket_number"]

        f.step("b. UTF-8 with a PDF and Cyrillic file names (RFC 2231, one in continuations): the files keep their names and bytes")
        maria, maria_name = "maria.ivanova@e2e.test", "Мария Иванова"
        utf_subject = "Акт сверки — расхождение на 1 250,00 ₽ за I квартал"
        utf_text = "Добрый день!\nВ акте сверки расхождение, счёт и акт во вложении.\nМария"
        files = [("Счёт №42 от 01.02.2025.pdf", "application/pdf", tiny_pdf(), None),
                 ("Акт сверки взаиморасчётов за I квартал 2025 года с ООО Ромашка.csv", "text/csv; charset=windows-1251",
                  "Дата;Документ;Сумма\r\n01.02.2025;Счёт №42;1250,00\r\n".encode("cp1251"), 40)]
        raw, utf_mid = attachments_message(sender=maria, name=maria_name, subject=utf_subject, text=utf_text, files=files)
        assert len(raw) < 500_000
        f.send(raw, maria)
        utf_number = f.processed(utf_mid)["ticket_number"]
        assert f.ticket(utf_number)["subject"] == utf_subject, f.ticket(utf_number)["subject"]
        comments = f.comments(utf_number)
        assert any("расхождение" in c["body"] and "<br>" not in c["body"] for c in comments), f"the plain text part should be the body: {comments}"
        attached = {a["filename"]: a for c in comments for a in c["attachments"]}
        for filename, content_type, data, _ in files:
            assert filename in attached, f"no attachment named {filename!r}; got {sorted(attached)}"
            a = attached[filename]
            assert a["size"] == len(data) and a["sha256"] == hashlib.sha256(data).hexdigest(), (filename, a)
            status, got = server.request("GET", a["url"].removeprefix("/api/v1"), token=admin)
            assert status == 200 and got == data, f"downloading {filename!r}: {status}, {len(got)} bytes"
        assert attached["Счёт №42 от 01.02.2025.pdf"]["content_type"].startswith("application/pdf"), attached

        # c. threading
        f.step("c. the customer replies with In-Reply-To = the acknowledgement: a public email comment, no new ticket")
        tickets_before = f.ticket_count()
        reply_text = "Смену закрыть так и не удалось, касса по-прежнему пишет ошибку."
        quoted = "\n\n" + "\n".join("> " + line for line in koi_ack.text().splitlines()[:5])
        raw, reply_mid = text_message(sender=ivan, name=ivan_name, subject="Re: " + koi_subject, body=reply_text + quoted,
                                      in_reply_to=koi_ack.message_id, references=[koi_mid, koi_ack.message_id])
        f.send(raw, ivan)
        assert f.processed(reply_mid)["ticket_number"] == koi_number
        comment = f.comment_with(koi_number, reply_text)
        assert comment["public"] is True and comment["source"] == "email", comment
        assert f.ticket_count() == tickets_before, "a reply made a new ticket"

        f.step("c. \"[#N]\" in the subject from the requester, and mail to support+N@, thread into the same ticket")
        tag_text = "Дополнительно: ошибка появляется только при оплате картой."
        raw, tag_mid = text_message(sender=ivan, name=ivan_name, subject=f"Ещё деталь по заявке [#{koi_number}]", body=tag_text,
                                    charset="UTF-8", cte="quoted-printable")
        f.send(raw, ivan)
        assert f.processed(tag_mid)["ticket_number"] == koi_number
        f.comment_with(koi_number, tag_text)
        plus_text = "Фото экрана с ошибкой отправлю вечером."
        plus_address = f"support+{koi_number}@e2e.test"
        raw, plus_mid = text_message(sender=ivan, name=ivan_name, subject="Фото экрана", body=plus_text, to=plus_address)
        f.send(raw, ivan, [plus_address])
        assert f.processed(plus_mid)["ticket_number"] == koi_number
        f.comment_with(koi_number, plus_text)
        assert f.ticket_count() == tickets_before, "a tagged reply made a new ticket"

        f.step("c. \"[#N]\" from someone who is not the requester never becomes a public comment on that ticket")
        stranger_text = "Посторонний пишет в чужую заявку " + secrets.token_hex(4)
        raw, stranger_mid = text_message(sender="stranger@e2e.test", subject=f"Чужая заявка [#{koi_number}]", body=stranger_text)
        f.send(raw, "stranger@e2e.test")
        f.settled(stranger_mid)
        leaked = [c for c in f.comments(koi_number) if stranger_text in c["body"] and c["public"]]
        assert not leaked, f"a stranger's mail became a public comment on #{koi_number}: {leaked}"

        # d. agents
        f.step("d. assigning the ticket to an agent mails the agent (agent_assigned)")
        agent_email, agent_password = "agent@e2e.test", "agent-pass-1"
        agent = f.api("POST", "/users", {"email": agent_email, "name": "Анна Специалистова", "role": "agent", "password": agent_password})
        agent_token = server.api("POST", "/auth/token", {"email": agent_email, "password": agent_password})["token"]
        f.api("PATCH", f"/tickets/{koi_number}", {"assignee_id": agent["id"]})
        _, assigned = f.sent("agent_assigned", koi_number, agent_email)
        assert str(koi_number) in assigned.subject + assigned.text(), f"the assignment mail does not name #{koi_number}: {assigned}"

        f.step("d. the agent's public reply reaches the customer threaded (public_reply); an internal note does not")
        public_text = "Иван, обновите прошивку ФН по инструкции во вложении к письму и перезапустите кассу."
        note_text = "Внутреннее: клиент на старой прошивке " + secrets.token_hex(3)
        f.api("POST", f"/tickets/{koi_number}/comments", {"body": note_text, "public": False}, token=agent_token)
        f.api("POST", f"/tickets/{koi_number}/comments", {"body": public_text, "public": True}, token=agent_token)
        _, answer = f.sent("public_reply", koi_number, ivan)
        assert f"[#{koi_number}]" in answer.subject, answer.subject
        known = {koi_mid, koi_ack.message_id, reply_mid, tag_mid, plus_mid}
        in_reply_to = ids_in(answer.header("In-Reply-To"))
        assert in_reply_to and set(in_reply_to) <= known | {d.message_id for d in relay.to(ivan)}, \
            f"In-Reply-To {answer.header('In-Reply-To')!r} names none of this ticket's messages"
        assert public_text in answer.text(), f"the reply text is missing from the mail:\n{answer.text()}"
        f.idle()
        leaked = [d for d in relay.to(ivan) if note_text in d.text()]
        assert not leaked, f"the internal note reached the customer: {leaked}"

        f.step("d. the customer answers the agent's mail: a comment, and the assignee is told (agent_customer_reply)")
        answer_text = "Прошивку обновил, смена закрылась. Спасибо!"
        raw, answer_mid = text_message(sender=ivan, name=ivan_name, subject="Re: " + answer.subject, body=answer_text,
                                       in_reply_to=answer.message_id, references=[koi_mid, answer.message_id])
        f.send(raw, ivan)
        assert f.processed(answer_mid)["ticket_number"] == koi_number
        f.comment_with(koi_number, answer_text)
        f.sent("agent_customer_reply", koi_number, agent_email)

        f.step("d. mail over SMTP with the agent's address in From: that answers none of our mail to them: an unverified internal note, the agent is told, the customer gets nothing")
        spoof_text = "Оплатите счёт на карту " + secrets.token_hex(3)
        raw, spoof_mid = text_message(sender=agent_email, name="Анна Специалистова", subject=f"Re: [#{koi_number}]", body=spoof_text)
        f.send(raw, agent_email)
        assert f.processed(spoof_mid)["ticket_number"] == koi_number
        spoofed = f.comment_with(koi_number, spoof_text)
        assert spoofed["public"] is False and spoofed.get("sender_verified") is False, f"a spoofed staff reply was filed as {spoofed}"
        f.sent("unverified_staff_mail", koi_number, agent_email)
        f.idle()
        assert not [d for d in relay.to(ivan) if spoof_text in d.text()], "the spoofed reply reached the customer"

        f.step("d. the agent answering our assignment mail is verified: a public reply, mailed to the customer")
        genuine_text = "Проверили: прошивка ФН обновлена, касса работает. " + secrets.token_hex(3)
        raw, genuine_mid = text_message(sender=agent_email, name="Анна Специалистова", subject="Re: " + assigned.subject, body=genuine_text,
                                        in_reply_to=assigned.message_id, references=[assigned.message_id])
        f.send(raw, agent_email)
        assert f.processed(genuine_mid)["ticket_number"] == koi_number
        genuine = f.comment_with(koi_number, genuine_text)
        assert genuine["public"] is True and genuine.get("sender_verified") is True, f"the agent's verified reply was filed as {genuine}"
        wait_for("the verified reply to reach the customer", lambda: [d for d in relay.to(ivan) if genuine_text in d.text()])

        # e. reopen
        f.step("e. a customer's mail to a solved ticket reopens it")
        f.api("PATCH", f"/tickets/{koi_number}", {"status": "solved"})
        assert f.ticket(koi_number)["status"] == "solved"
        reopen_text = "Ошибка вернулась после перезагрузки."
        raw, reopen_mid = text_message(sender=ivan, name=ivan_name, subject="Re: " + answer.subject, body=reopen_text,
                                       in_reply_to=answer.message_id, references=[koi_mid, answer.message_id])
        f.send(raw, ivan)
        assert f.processed(reopen_mid)["ticket_number"] == koi_number
        f.comment_with(koi_number, reopen_text)
        status = f.ticket(koi_number)["status"]
        assert status == "open", f"a customer's reply to a solved ticket should reopen it (open), status is {status!r}"

        # f. automatic mail gets no answer
        f.step("f. an out-of-office reply, a bulk newsletter and a no-reply sender get no acknowledgement or account mail")
        silent = {"petr.sidorov@e2e.test": [("Auto-Submitted", "auto-replied"), ("X-Autoreply", "yes")],
                  "news@e2e.test": [("Precedence", "bulk"), ("List-Unsubscribe", "<mailto:unsubscribe@e2e.test>")],
                  "no-reply@e2e.test": []}
        subjects = {"petr.sidorov@e2e.test": "Автоответ: меня нет в офисе до 15 числа",
                    "news@e2e.test": "Новости недели: скидки на кассы", "no-reply@e2e.test": "Уведомление о платеже"}
        silent_mids = {}
        for address, extra in silent.items():
            raw, silent_mids[address] = text_message(sender=address, subject=subjects[address], body="Автоматическое письмо.",
                                                     extra=extra)
            f.send(raw, address)
        ooo = f.settled(silent_mids["petr.sidorov@e2e.test"])[0]
        assert ooo["status"] == "processed" and ooo.get("ticket_number"), f"the out-of-office mail should still be filed: {ooo}"
        for mid in silent_mids.values():
            f.settled(mid)
        # Notifications follow the history in order: once an ordinary message sent after these has
        # its acknowledgement out, whatever these would have caused has been decided too.
        control, control_name = "control.f@e2e.test", "Контроль Ф"
        raw, control_mid = text_message(sender=control, name=control_name, subject="Контрольное письмо", body="Обычное письмо.")
        f.send(raw, control)
        f.sent("ticket_created", f.processed(control_mid)["ticket_number"], control)
        f.idle()
        for address in silent:
            assert not relay.to(address), f"{address} got mail: {relay.to(address)}"
            assert not f.outbox_for(address), f"mail queued for {address}: {f.outbox_for(address)}"

        # g. bounces
        f.step("g. a DSN bounce of the acknowledgement becomes an internal note on that ticket, never a ticket")
        tickets_before = f.ticket_count()
        notes_before = len([c for c in f.comments(koi_number) if not c["public"]])
        public_before = len([c for c in f.comments(koi_number) if c["public"]])
        raw, dsn_mid = bounce_message(koi_ack.raw, ivan)
        refused = smtp_send(server.smtp_port, raw, "", [SUPPORT])
        assert not refused, refused
        dsn = f.settled(dsn_mid)[0]
        assert dsn["status"] in ("processed", "ignored"), f"the bounce should be read, not {dsn['status']}: {dsn}"
        wait_for(f"an internal note from the bounce on #{koi_number}",
                 lambda: len([c for c in f.comments(koi_number) if not c["public"]]), lambda n: n == notes_before + 1)
        assert len([c for c in f.comments(koi_number) if c["public"]]) == public_before, "the bounce became a public comment"
        assert f.ticket_count() == tickets_before, "the bounce made a ticket"
        f.idle()
        assert not relay.to("MAILER-DAEMON@mx.e2e.test"), "the bounce was answered"

        # h. duplicates
        f.step("h. the same Message-ID delivered twice is processed once: one ticket, one 'duplicate'")
        tickets_before = f.ticket_count()
        dup_subject = "Дубль: не приходит счёт на оплату"
        raw, dup_mid = text_message(sender="dup.sender@e2e.test", name="Дмитрий Дублев", subject=dup_subject, body="Счёт не пришёл.")
        f.send(raw, "dup.sender@e2e.test")
        f.settled(dup_mid)
        f.send(raw, "dup.sender@e2e.test")
        items = f.settled(dup_mid, count=2)
        assert sorted(i["status"] for i in items) == ["duplicate", "processed"], f"expected one processed and one duplicate: {items}"
        assert len(f.tickets_titled(dup_subject)) == 1 and f.ticket_count() == tickets_before + 1, f.tickets_titled(dup_subject)
        assert len([i for i in f.list_all("/mail/inbound?status=duplicate") if bare(i["message_id"]) == dup_mid]) == 1
        f.sent("ticket_created", next(i["ticket_number"] for i in items if i["status"] == "processed"), "dup.sender@e2e.test")
        f.idle()
        assert len(f.outbox_for("dup.sender@e2e.test", "ticket_created")) == 1, f.outbox_for("dup.sender@e2e.test")

        # i. quarantine
        f.step("i. binary garbage gets 250 and is quarantined with a reason; mail keeps flowing")
        quarantined_before = {i["id"] for i in f.list_all("/mail/inbound?status=quarantined")}
        junk = garbage(7)
        refused = smtp_send(server.smtp_port, junk, "garbage@e2e.test", [SUPPORT])
        assert not refused, refused
        new = wait_for("a newly quarantined item", lambda: [i for i in f.list_all("/mail/inbound?status=quarantined")
                                                            if i["id"] not in quarantined_before])
        assert len(new) == 1 and (new[0].get("reason") or "").strip(), f"quarantined without a reason: {new}"
        status, stored = server.request("GET", f"/mail/inbound/{new[0]['id']}/raw", token=admin)
        assert status == 200 and junk.rstrip(b"\r\n") in stored, "the quarantined raw bytes are not what was sent"
        print(f"      (reason: {new[0]['reason']})")
        raw, after_mid = text_message(sender="after.garbage@e2e.test", subject="Письмо после мусора", body="Всё в порядке.")
        f.send(raw, "after.garbage@e2e.test")
        assert f.ticket(f.processed(after_mid)["ticket_number"])["subject"] == "Письмо после мусора"

        f.step("i. a message without a From header is filed under the envelope sender (MAIL FROM), not quarantined")
        nofrom_mid = new_id('nofrom')
        raw = (f"To: {SUPPORT}\r\nSubject: no sender\r\nMessage-ID: <{nofrom_mid}>\r\nDate: "
               f"{email.utils.formatdate()}\r\n\r\nWho am I?\r\n").encode()
        f.send(raw, "someone@e2e.test")
        nofrom = f.processed(nofrom_mid)
        assert nofrom["status"] == "processed" and nofrom.get("ticket_number"), nofrom
        nofrom_ticket = f.ticket(nofrom["ticket_number"])
        assert nofrom_ticket["subject"] == "no sender" and nofrom_ticket["requester"]["name"] == "someone", nofrom_ticket

        # j. refusals at the door
        f.step("j. a recipient that is not a support address gets 550 5.1.1 at RCPT")
        total_before = f.inbound_total()
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=30) as client:
            client.ehlo("client.e2e.test")
            assert client.mail("someone@e2e.test")[0] == 250
            for address in ("sales@e2e.test", "support@other.test", "support+x@other.test"):
                code, message = client.rcpt(address)
                assert code == 550 and b"5.1.1" in message, f"RCPT {address}: {code} {message!r}"
            code, message = client.rcpt(f"support+{koi_number}@e2e.test")
            assert code == 250, f"the plus address was refused: {code} {message!r}"
            client.rset()

        f.step(f"j. a 2 MB message (ZAYAVKA_MAIL_MAX_MB={MAX_MB}) gets 552, declared by SIZE or not, and nothing is stored")
        big_mid = new_id("big")
        big = assemble([("From", "big@e2e.test"), ("To", SUPPORT), ("Subject", encoded_words("Большой файл", "UTF-8")), ("Message-ID", f"<{big_mid}>"),
                        ("MIME-Version", "1.0"), ("Content-Type", "application/octet-stream"),
                        ("Content-Transfer-Encoding", "base64")], b64(os.urandom(1_500_000)))
        assert len(big) > 2_000_000, len(big)
        try:
            smtp_send(server.smtp_port, big, "big@e2e.test", [SUPPORT])
            raise AssertionError("a 2 MB message was accepted")
        except (smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            assert error.smtp_code == 552, f"expected 552, got {error.smtp_code} {error}"
        with smtplib.SMTP("127.0.0.1", server.smtp_port, timeout=60) as client:
            client.ehlo("client.e2e.test")
            assert client.mail("big@e2e.test")[0] == 250     # no SIZE= here: the server finds out while reading DATA
            assert client.rcpt(SUPPORT)[0] == 250
            try:
                code, message = client.data(big)
            except (smtplib.SMTPServerDisconnected, ConnectionError) as error:
                raise AssertionError(f"the server dropped the connection during an oversized DATA instead of answering 552: {error!r}")
            assert code == 552, f"an oversized DATA got {code} {message!r}"
        assert f.inbound_total() == total_before, f"something was stored: {f.stats()}"
        assert not f.inbound(big_mid), f.inbound(big_mid)

        # k. LMTP
        f.step("k. LMTP with a known and an unknown recipient: a reply per recipient, a ticket")
        lmtp_subject = "Письмо через LMTP"
        raw, lmtp_mid = text_message(sender="lmtp.user@e2e.test", name="Лев Эльмтэпов", subject=lmtp_subject, body="Доставлено LMTP.")
        refused = smtp_send(server.lmtp_port, raw, "lmtp.user@e2e.test", [SUPPORT, "nobody@e2e.test"], lmtp=True)
        assert set(refused) == {"nobody@e2e.test"} and refused["nobody@e2e.test"][0] == 550, refused
        assert f.ticket(f.processed(lmtp_mid)["ticket_number"])["subject"] == lmtp_subject

        f.step("k. LMTP DATA with two accepted recipients gets two replies, and the message makes one ticket")
        lmtp2_subject = "LMTP: два адреса поддержки"
        raw, lmtp2_mid = text_message(sender="lmtp.user@e2e.test", subject=lmtp2_subject, body="Одно письмо на два адреса.")
        dialog = Dialog(server.lmtp_port)
        try:
            assert dialog.greeting[0] == 220, dialog.greeting
            assert dialog.command("LHLO client.e2e.test")[0] == 250
            assert dialog.command("MAIL FROM:<lmtp.user@e2e.test>")[0] == 250
            assert dialog.command(f"RCPT TO:<{SUPPORT}>")[0] == 250
            assert dialog.command("RCPT TO:<nobody@e2e.test>")[0] == 550
            assert dialog.command(f"RCPT TO:<{SECOND_SUPPORT}>")[0] == 250
            assert dialog.command("DATA")[0] == 354
            dialog.send_data(raw)
            replies = [dialog.reply(), dialog.reply()]
            assert all(code == 250 for code, _ in replies), f"replies after DATA: {replies}"
        finally:
            dialog.close()
        items = f.settled(lmtp2_mid)
        assert "processed" in [i["status"] for i in items] and "quarantined" not in [i["status"] for i in items], items
        assert len(f.tickets_titled(lmtp2_subject)) == 1, f.tickets_titled(lmtp2_subject)

        # l. outbound failure
        f.step("l. a requester the relay refuses for good (550): the acknowledgement fails at once with the relay's reason")
        raw, rejected_mid = text_message(sender=REJECTED, name="Отказ Отказович", subject="Мне не дойдёт ответ", body="Проверка отказа.")
        f.send(raw, REJECTED)
        rejected_number = f.processed(rejected_mid)["ticket_number"]
        failed = wait_for("the acknowledgement to reject@ to fail", lambda: f.outbox_for(REJECTED, "ticket_created", rejected_number),
                          lambda found: found and found[0]["status"] == "failed", timeout=90)[0]
        assert failed["attempts"] == 1 and "550" in (failed.get("last_error") or ""), failed
        assert relay.refusals(REJECTED) >= 1, relay.refusals(REJECTED)

        f.step(f"l. a requester the relay defers (451): retried with backoff, 'failed' after {ATTEMPTS} attempts")
        raw, deferred_mid = text_message(sender=DEFERRED, name="Занят Занятович", subject="Почта занята", body="Проверка отсрочки.")
        f.send(raw, DEFERRED)
        deferred_number = f.processed(deferred_mid)["ticket_number"]
        deferred = wait_for("the acknowledgement to busy@ to fail", lambda: f.outbox_for(DEFERRED, "ticket_created", deferred_number),
                            lambda found: found and found[0]["status"] == "failed", timeout=120)[0]
        assert deferred["attempts"] == ATTEMPTS and "451" in (deferred.get("last_error") or ""), deferred
        assert relay.refusals(DEFERRED) >= ATTEMPTS, relay.refusals(DEFERRED)  # the acknowledgement (which holds the account link)

        f.step("l. retrying a failed outbox item sends it to the relay again")
        wait_for("the mail to reject@ (the acknowledgement) to have failed", lambda: f.outbox_for(REJECTED),
                 lambda found: len(found) >= 1 and all(i["status"] == "failed" for i in found), timeout=90)
        refusals = relay.refusals(REJECTED)
        f.api("POST", f"/mail/outbox/{failed['id']}/retry")
        wait_for("another delivery attempt to reject@", lambda: relay.refusals(REJECTED), lambda n: n > refusals, timeout=60)
        wait_for("the retried item to be failed again", lambda: [i for i in f.outbox() if i["id"] == failed["id"]],
                 lambda found: found and found[0]["status"] == "failed", timeout=90)

        # m. import
        f.step("m. `zayavka mail import` stores a message from stdin (exit 0) while the server runs; twice is a duplicate")
        import_subject = "Импорт: письмо, забранное fetchmail"
        raw, import_mid = text_message(sender="import.user@e2e.test", name="Игорь Импортов", subject=import_subject,
                                       body="Письмо пришло через mail import.", cte="base64")
        done = server.import_mail(raw)
        assert done.returncode == 0, f"mail import exited with {done.returncode}: {done.stderr.decode(errors='replace')}"
        assert f.ticket(f.processed(import_mid)["ticket_number"])["subject"] == import_subject
        done = server.import_mail(raw)
        assert done.returncode == 0, f"the second import exited with {done.returncode}: {done.stderr.decode(errors='replace')}"
        assert sorted(i["status"] for i in f.settled(import_mid, count=2)) == ["duplicate", "processed"]
        assert len(f.tickets_titled(import_subject)) == 1

        f.step("m. `mail import` that cannot store the message exits 75 (EX_TEMPFAIL), so the MTA retries")
        env = {k: v for k, v in server.env.items() if k not in ("DATABASE_URL", "ZAYAVKA_DATABASE_SCHEMA")}
        done = server.import_mail(raw, env=env, data_dir=os.path.join(server.log_path, "not-a-folder"))
        assert done.returncode == 75, f"expected exit 75, got {done.returncode}: {done.stderr.decode(errors='replace')[-1000:]}"

        f.step("m. POST /api/v1/mail/inbound with message/rfc822 files a ticket and answers with the item")
        api_subject = "Загрузка письма через API"
        raw, api_mid = text_message(sender="api.user@e2e.test", subject=api_subject, body="Письмо через API.", charset="windows-1251")
        status, body = server.request("POST", "/mail/inbound", raw, {"Content-Type": "message/rfc822"}, admin)
        assert status in (200, 201, 202), f"POST /mail/inbound -> {status}: {body[:500]!r}"
        item = json.loads(body)
        assert bare(item["message_id"]) == api_mid, item
        if item["status"] == "pending":
            item = f.processed(api_mid)
        assert item["status"] == "processed" and f.ticket(item["ticket_number"])["subject"] == api_subject, item

        # m. what MTA pipes and the world's mail clients send (mail intake, third pass)
        f.step("m. an mbox-style message ('From sender date' first, '>From ' quoting) through `mail import` and SMTP: "
               "filed, body unquoted, the line kept in the raw copy")
        for route in ("import", "smtp"):
            sender = f"mbox.{route}@e2e.test"
            subject = f"mbox ({route}): отчёт не строится"
            message, mid = text_message(sender=sender, name="Пётр Мбоксов", subject=subject,
                                        body="Отчёт не строится с понедельника.\r\n>From the accounting side: empty.\r\n")
            envelope_line = f"From {sender}  Thu Dec  3 12:00:00 2026\r\n".encode()
            if route == "import":
                done = server.import_mail(envelope_line + message)
                assert done.returncode == 0, f"mail import exited with {done.returncode}: {done.stderr.decode(errors='replace')}"
            else:
                f.send(envelope_line + message, sender)
            item = f.processed(mid)
            ticket = f.ticket(item["ticket_number"])
            assert ticket["subject"] == subject and ticket["requester"]["name"] == "Пётр Мбоксов", ticket
            status, raw_copy = server.request("GET", f"/mail/inbound/{item['id']}/raw", token=admin)
            bodies = [c["body"] for c in f.comments(item["ticket_number"])]
            assert any("From the accounting side: empty." in b and ">From" not in b for b in bodies), (bodies, raw_copy)
            assert status == 200 and raw_copy.startswith(envelope_line) and (route == "import" or b"\r\nReceived: from client.e2e.test" in raw_copy) and b">From the accounting" in raw_copy, raw_copy[:200]

        f.step("m. Japanese (ISO-2022-JP) and Korean (ks_c_5601-1987) mail through SMTP: subject, name, body and file names exact")
        for charset, label, name, subject, text, filename, address in (
                ("iso-2022-jp", "ISO-2022-JP", "山田太郎", "ログインできません", "すみません。ログインできません。", "資料.pdf", "yamada@e2e.test"),
                ("cp949", "ks_c_5601-1987", "김민수", "인쇄 오류 문의", "스티커 인쇄가 안 됩니다. 똠방각하.", "보고서.pdf", "minsu@e2e.test")):
            mid = new_id("cjk")
            boundary = "cjk-" + uuid.uuid4().hex
            def word(value):
                return f"=?{label}?B?{base64.b64encode(value.encode(charset)).decode()}?="
            pdf = tiny_pdf(label)
            body = (f"--{boundary}\r\nContent-Type: text/plain; charset={label}\r\n"
                    f"Content-Transfer-Encoding: {'7bit' if charset == 'iso-2022-jp' else 'base64'}\r\n\r\n").encode()
            body += (text + "\r\n").encode(charset) if charset == "iso-2022-jp" else b64((text + "\r\n").encode(charset))
            body += (f"\r\n--{boundary}\r\nContent-Type: application/pdf; name=\"{word(filename)}\"\r\n"
                     f"Content-Disposition: attachment; filename*={label}''{urllib.parse.quote(filename.encode(charset), safe='')}\r\n"
                     f"Content-Transfer-Encoding: base64\r\n\r\n").encode() + b64(pdf) + f"--{boundary}--\r\n".encode()
            raw = assemble([("From", f"{word(name)} <{address}>"), ("To", SUPPORT), ("Subject", word(subject)),
                            ("Date", email.utils.formatdate(localtime=True)), ("Message-ID", f"<{mid}>"), ("MIME-Version", "1.0"),
                            ("Content-Type", f"multipart/mixed; boundary=\"{boundary}\"")], body)
            f.send(raw, address)
            number = f.processed(mid)["ticket_number"]
            ticket = f.ticket(number)
            assert ticket["subject"] == subject and ticket["requester"]["name"] == name, (ticket["subject"], ticket["requester"])
            comments = f.comments(number)
            assert any(text in c["body"] for c in comments), [c["body"] for c in comments]
            attached = [a for c in comments for a in c["attachments"]]
            assert [a["filename"] for a in attached] == [filename] and attached[0]["sha256"] == hashlib.sha256(pdf).hexdigest(), attached

        f.step("m. old programs' addresses: spaces before the colon, a bare address after the name, comments inside the address")
        mid = new_id("old")
        raw = (f"From  : Big Bug bb@old-mailer.e2e.test\r\nTo  :{SUPPORT}\r\nSubject\t: Scanner report\r\n"
               f"Cc: Pete(A nice \\) chap) <pete(his account)@old-mailer.e2e.test(his host)>\r\n"
               f"Message-ID : <{mid}>\r\n\r\nThe scanner sends mail like this.\r\n").encode()
        f.send(raw, "bb@old-mailer.e2e.test")
        ticket = f.ticket(f.processed(mid)["ticket_number"])
        assert ticket["subject"] == "Scanner report" and ticket["requester"]["name"] == "Big Bug", ticket
        assert server.api("GET", "/users?email=bb@old-mailer.e2e.test", token=admin)["items"], "no customer bb@old-mailer.e2e.test"

        # n. password reset
        f.step("n. the acknowledgement's set-password link sets a password; the customer signs in with it")
        _, account = f.sent("ticket_created", olga_number, olga)
        token = urllib.parse.unquote(re.search(r"/password/set\?token=([A-Za-z0-9_.~%-]+)", account.text()).group(1))
        server.api("POST", "/auth/password", {"token": token, "password": "olga-pass-123"}, expect=204)
        signed = server.api("POST", "/auth/token", {"email": olga, "password": "olga-pass-123"})
        assert server.api("GET", "/me", token=signed["token"])["email"] == olga
        tickets = server.api("GET", "/tickets", token=signed["token"])["items"]
        assert [t["number"] for t in tickets] == [olga_number], f"Olga sees {[t['number'] for t in tickets]}"

        f.step("n. password reset by email: a link to /password/set, a new password, sign-in works, the link works once")
        mark = relay.mark()
        status, _ = server.request("POST", "/auth/password-reset", json.dumps({"email": ivan}).encode(), {"Content-Type": "application/json"})
        assert status == 202, status
        status, _ = server.request("POST", "/auth/password-reset", json.dumps({"email": "nobody-here@e2e.test"}).encode(),
                                   {"Content-Type": "application/json"})
        assert status == 202, f"an unknown email must look the same (202), got {status}"
        reset = wait_for("the password reset mail", lambda: [d for d in relay.to(ivan, mark) if "/password/set?token=" in d.text()])[0]
        link = re.search(r"(https?://[^\s\"'<>]*/password/set\?token=[A-Za-z0-9_.~%-]+)", reset.text()).group(1)
        assert link.startswith(server.base + "/password/set?token="), f"the link {link!r} does not start with ZAYAVKA_PUBLIC_URL"
        token = urllib.parse.unquote(link.split("token=", 1)[1])
        server.api("POST", "/auth/password", {"token": token, "password": "ivan-new-pass-1"}, expect=204)
        signed = server.api("POST", "/auth/token", {"email": ivan, "password": "ivan-new-pass-1"})
        assert server.api("GET", "/me", token=signed["token"])["email"] == ivan
        status, _ = server.request("POST", "/auth/password", json.dumps({"token": token, "password": "ivan-third-pass"}).encode(),
                                   {"Content-Type": "application/json"})
        assert 400 <= status < 500, f"a used reset token worked again ({status})"
        f.idle()
        assert not relay.to("nobody-here@e2e.test"), "a reset mail went to an unknown address"

        f.step("every message the relay got came over STARTTLS with AUTH; nothing is left queued")
        with relay.changed:
            insecure = [d for d in relay.delivered if not d.tls or d.auth not in ("PLAIN", "LOGIN")]
            count = len(relay.delivered)
        assert not insecure, insecure
        stats = f.stats()
        assert stats["outbox"]["queued"] == 0 and stats["inbound"]["pending"] == 0, stats
        print(f"      ({count} messages relayed with AUTH {'/'.join(sorted(relay.mechanisms))}; stats {json.dumps(stats)})")
        print(f"ok: {f.steps} steps on {database}")
    except BaseException:
        print("--- relay (last 40 messages) ---\n" + relay.summary(), file=sys.stderr)
        print("--- server log (tail) ---\n" + server.log_tail(), file=sys.stderr)
        raise
    finally:
        server.stop()
        relay.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit(__doc__)
    if "--postgres" in sys.argv[2:] and not os.environ.get("ZAYAVKA_TEST_DATABASE_URL"):
        raise SystemExit("--postgres needs ZAYAVKA_TEST_DATABASE_URL=postgres://…")
    run(sys.argv[1], "--postgres" in sys.argv[2:])
