#!/usr/bin/env python3
"""Makes an upgrade fixture: a desk as a given release of Zayavka leaves it, with data in it.

usage: make_fixture.py BINARY NAME [--postgres]

Starts BINARY (the release's own build) on a fresh SQLite data folder (or, with --postgres, a fresh
schema in ZAYAVKA_TEST_DATABASE_URL), fills it through the API (organizations, customers, an agent,
tickets with public replies and internal notes, a mail through POST /mail/inbound, a calendar, SLA
policies, a canned response, a callback), stops it, and writes into this folder:

  NAME.sqlite    the SQLite database (checkpointed), or
  NAME.pgsql     a plain pg_dump of the schema, with the schema's name replaced by @SCHEMA@
  NAME.json, NAME.pg.json   what the data must still be after an upgrade (read back by MigrationUpgradeTests)

Each release that changes the schema adds its own fixture (CONTRIBUTING.md).
"""
import json
import os
import secrets
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    binary, name = sys.argv[1], sys.argv[2]
    postgres = "--postgres" in sys.argv[3:]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    data = tempfile.mkdtemp(prefix="zayavka-fixture-")
    env = dict(os.environ, ZAYAVKA_ADMIN_EMAIL="admin@fixture.test", ZAYAVKA_ADMIN_PASSWORD="admin-pass-1", ZAYAVKA_BCRYPT_COST="4",
               ZAYAVKA_LOG_LEVEL="warning", ZAYAVKA_SMTP_PORT="off", ZAYAVKA_SUPPORT_ADDRESSES="support@fixture.test")
    env.pop("DATABASE_URL", None)
    schema = None
    if postgres:
        schema = "fixture_" + secrets.token_hex(4)
        env["DATABASE_URL"] = os.environ["ZAYAVKA_TEST_DATABASE_URL"]
        env["ZAYAVKA_DATABASE_SCHEMA"] = schema
    log = open(os.path.join(data, "server.log"), "w")
    process = subprocess.Popen([binary, "serve", "--data-dir", data, "--hostname", "127.0.0.1", "--port", str(port)],
                               env=env, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(300):
        try:
            urllib.request.urlopen(base + "/healthz", timeout=1)
            break
        except Exception:
            time.sleep(0.1)

    def api(method, path, body=None, token=None, raw=None, content_type="application/json"):
        data_bytes = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        request = urllib.request.Request(base + "/api/v1" + path, method=method, data=data_bytes,
                                         headers={"Content-Type": content_type, "Accept": "application/json"})
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise SystemExit(f"{method} {path} -> {error.code}: {error.read().decode()}")

    try:
        admin = api("POST", "/auth/token", {"email": "admin@fixture.test", "password": "admin-pass-1"})["token"]
        org = api("POST", "/organizations", {"name": "ООО Ромашка", "inn": "7707083893", "contract_number": "ЕО-000123",
                                              "plan": "paid", "phones": ["+7 913 919-90-99"], "notes": "Ключевой клиент"}, admin)
        agent = api("POST", "/users", {"email": "agent@fixture.test", "name": "Анна Специалистова", "role": "agent",
                                        "password": "agent-pass-1"}, admin)
        customer = api("POST", "/users", {"email": "ivan@romashka.ru", "name": "Иван Петров", "role": "customer",
                                           "password": "customer-1", "organization_id": org["id"]}, admin)
        api("POST", "/sla-policies/templates/seed000", None, admin)
        api("POST", "/calendars", {"key": "ekb", "name": "Екатеринбург", "time_zone": "Asia/Yekaterinburg",
                                   "weekly": [["09:00-18:00"]] * 5 + [[], []]}, admin)
        api("POST", "/canned-responses", {"title": "Передали программистам", "body": "Передали заявку программистам."}, admin)
        customer_token = api("POST", "/auth/token", {"email": "ivan@romashka.ru", "password": "customer-1"})["token"]
        tickets = []
        for i, subject in enumerate(["Не печатается чек", "Касса не открывает смену", "Вопрос по тарифу"]):
            ticket = api("POST", "/tickets", {"subject": subject, "body": f"Описание проблемы №{i + 1}"}, customer_token)
            tickets.append(ticket["number"])
        api("PATCH", f"/tickets/{tickets[0]}", {"assignee_id": agent["id"]}, admin)
        api("POST", f"/tickets/{tickets[0]}/comments", {"body": "Внутреннее: старая прошивка", "public": False}, admin)
        api("POST", f"/tickets/{tickets[0]}/comments", {"body": "Обновите драйвер принтера.", "public": True, "status": "solved"}, admin)
        api("POST", f"/tickets/{tickets[1]}/callbacks", {"number": "+7 913 919-90-99", "due_at": "2030-01-01T10:00:00Z"}, admin)
        mail = ("From: =?utf-8?B?0JzQsNGA0LjRjyDQodC40LTQvtGA0L7QstCw?= <maria@client.ru>\r\nTo: support@fixture.test\r\n"
                "Subject: =?utf-8?B?0J3QtSDRgNCw0LHQvtGC0LDQtdGCINC60LDRgdGB0LA=?=\r\nMessage-ID: <fixture-1@client.ru>\r\n"
                "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                "Касса не работает с утра.\r\n").encode()
        inbound = api("POST", "/mail/inbound", raw=mail, token=admin, content_type="message/rfc822")
        tickets.append(inbound["ticket_number"])
        expected = {"release": name, "admin": {"email": "admin@fixture.test", "password": "admin-pass-1"}, "tickets": []}
        for number in tickets:
            ticket = api("GET", f"/tickets/{number}", None, admin)
            comments = api("GET", f"/tickets/{number}/comments", None, admin)["items"]
            events = api("GET", f"/tickets/{number}/events", None, admin)["items"]
            expected["tickets"].append({"number": number, "subject": ticket["subject"], "status": ticket["status"],
                                        "comments": [c["body"] for c in comments], "events": len(events)})
        expected["organizations"] = [o["name"] for o in api("GET", "/organizations", None, admin)["items"]]
        expected["users"] = sorted(u["email"] for u in api("GET", "/users?limit=200", None, admin)["items"])
        expected["calendars"] = sorted(c["key"] for c in api("GET", "/calendars", None, admin)["items"])
        expected["sla_policies"] = [p["key"] for p in api("GET", "/sla-policies", None, admin)["items"]]
    finally:
        process.terminate()
        process.wait(timeout=30)

    if postgres:
        dump = subprocess.run(["pg_dump", os.environ["ZAYAVKA_TEST_DATABASE_URL"], "--schema", schema, "--no-owner", "--no-privileges"],
                              capture_output=True, text=True, check=True).stdout
        dump = "\n".join(line for line in dump.split("\n") if not line.startswith("SELECT pg_catalog.set_config('search_path'"))
        with open(os.path.join(HERE, name + ".pgsql"), "w") as f:
            f.write(dump.replace(schema, "@SCHEMA@"))
        subprocess.run(["psql", os.environ["ZAYAVKA_TEST_DATABASE_URL"], "-q", "-c", f"DROP SCHEMA {schema} CASCADE"], check=True)
    else:
        source = sqlite3.connect(os.path.join(data, "zayavka.sqlite"))
        target_path = os.path.join(HERE, name + ".sqlite")
        if os.path.exists(target_path):
            os.remove(target_path)
        target = sqlite3.connect(target_path)
        source.backup(target)
        target.execute("PRAGMA journal_mode=DELETE")
        target.close()
        source.close()
    with open(os.path.join(HERE, name + (".pg" if postgres else "") + ".json"), "w") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
    shutil.rmtree(data, ignore_errors=True)
    print(f"fixture {name} ({'postgresql' if postgres else 'sqlite'}): {len(expected['tickets'])} tickets")


if __name__ == "__main__":
    main()
