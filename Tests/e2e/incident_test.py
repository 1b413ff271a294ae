#!/usr/bin/env python3
"""End-to-end test of a mass incident (SPEC P3, seed 002) through every real part.

Three customers report «не могу войти в базу» within minutes — one through the portal (headless
Chromium), one by mail (smtplib into the built-in SMTP listener), one by a phone call the dispatcher
registers on the call screen. The dispatcher sees the red banner and declares the incident; every
message the help desk sends goes through an aiosmtpd relay (Debian's, run by /usr/bin/python3) into
a Maildir this test reads. A fourth request by mail is linked on arrival and its acknowledgement says
so; the estimate and the fix reach all four customers once each.

usage: incident_test.py BINARY [--postgres]
"""
import email
import email.policy
import mailbox
import os
import re
import shutil
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from email.message import EmailMessage

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_test import Flow, Server, browser, free_port, keep_failure  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import Select  # noqa: E402

SUPPORT = "support@e2e.test"
WORDS = "В данный момент наблюдаются технические проблемы у некоторых пользователей"


class Relay:
    """aiosmtpd's own command line with its Maildir handler: every message lands as a file."""

    def __init__(self):
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="zayavka-relay-")
        self.maildir = os.path.join(self.dir, "Maildir")
        self.process = subprocess.Popen(["/usr/bin/python3", "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
                                         "-c", "aiosmtpd.handlers.Mailbox", self.maildir],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("the aiosmtpd relay did not start")

    def messages(self):
        out = []
        if not os.path.isdir(self.maildir):
            return out
        for message in mailbox.Maildir(self.maildir, factory=None, create=False):
            parsed = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
            body = parsed.get_body(preferencelist=("plain",))
            out.append({"to": str(parsed["To"]), "subject": str(parsed["Subject"]), "text": body.get_content() if body else ""})
        return out

    def wait_for(self, what, check, timeout=30):
        """Polls the Maildir until `check(messages)` holds."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.messages()
            if check(found):
                return found
            time.sleep(0.3)
        raise AssertionError(f"relay: {what} never arrived; it has: " + repr([(m["to"], m["subject"]) for m in self.messages()]))

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def to(messages, address):
    return [m for m in messages if address in m["to"]]


def send_mail(port, sender, name, subject, body):
    message = EmailMessage()
    message["From"] = f"{name} <{sender}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = email.utils.make_msgid(domain="client.test")
    message.set_content(body)
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as client:
        client.send_message(message)


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", database)
    os.makedirs(shots, exist_ok=True)
    relay = Relay()
    smtp_port = free_port()
    server = Server(binary, postgres, extra_env={
        "ZAYAVKA_SMTP_PORT": str(smtp_port), "ZAYAVKA_LMTP_PORT": "off", "ZAYAVKA_SMTP_HOST": "127.0.0.1",
        "ZAYAVKA_SUPPORT_ADDRESSES": SUPPORT, "ZAYAVKA_MAIL_FROM": f"Поддержка <{SUPPORT}>",
        "ZAYAVKA_MAIL_RELAY_URL": f"smtp+plain://127.0.0.1:{relay.port}", "ZAYAVKA_MAIL_RETRY_SECONDS": "1",
    })
    driver = browser()
    try:
        f = Flow(server, driver, shots)
        print(f"mass incident end to end on {database} at {server.base}")
        admin = server.api("POST", "/auth/token", {"email": "admin@e2e.test", "password": "admin-pass-1"})["token"]
        server.api("POST", "/users", {"email": "disp@e2e.test", "name": "Дарья Диспетчер", "role": "dispatcher", "password": "dispatcher-1"}, admin)
        server.api("POST", "/users", {"email": "boss@e2e.test", "name": "Борис Руководитель", "role": "manager", "password": "manager-1"}, admin)
        server.api("POST", "/users", {"email": "portal@client.test", "name": "Полина Порталова", "role": "customer", "password": "customer-1"}, admin)

        def tickets():
            return server.api("GET", "/tickets?limit=100", token=admin)["items"]

        f.step("the admin sees seed 002's four failure kinds, adds one and sets the window; an out-of-range number is refused and changes nothing")
        f.sign_in("admin@e2e.test", "admin-pass-1")
        f.go("/admin/routing")
        kinds = driver.find_element(By.ID, "failure-kinds").text
        for name in ("Зависание или торможение", "Недоступность", "Выкидывает пользователей из базы", "Невозможно войти в базу"):
            assert name in kinds, kinds
        driver.find_element(By.ID, "f-key").send_keys("egais")
        driver.find_element(By.ID, "f-name").send_keys("Не уходят документы в ЕГАИС")
        driver.find_element(By.ID, "f-phrases").send_keys("егаис не уход\nегаис ошибк")
        f.submit(driver.find_element(By.ID, "failure-kind-form"))
        assert "Изменения сохранены" in f.text(), f.text()
        added = next(k for k in server.api("GET", "/failure-kinds", token=admin)["items"] if k["key"] == "egais")
        assert added["phrases"] == [["егаис", "не", "уход"], ["егаис", "ошибк"]], added
        customers = driver.find_element(By.ID, "o-customers")
        customers.clear()
        customers.send_keys("1")
        f.submit(driver.find_element(By.ID, "outbreak-form"))
        assert driver.find_element(By.ID, "o-customers-error").text, "the field says what is wrong"
        assert server.api("GET", "/outbreak-settings", token=admin)["customers"] == 3
        f.go("/admin/routing")
        window = driver.find_element(By.ID, "o-window")
        window.clear()
        window.send_keys("20")
        f.submit(driver.find_element(By.ID, "outbreak-form"))
        assert "Изменения сохранены" in f.text(), f.text()
        settings = server.api("GET", "/outbreak-settings", token=admin)
        assert settings["window_minutes"] == 20 and settings["customers"] == 3, settings
        f.shot("30-admin-failure-kinds")
        f.sign_out()

        f.step("a customer reports «не могу войти в базу» through the portal")
        f.sign_in("portal@client.test", "customer-1")
        f.click(driver.find_element(By.ID, "new-request"))
        driver.find_element(By.ID, "subject").send_keys("Не могу войти в базу")
        driver.find_element(By.ID, "body").send_keys("С 10 утра пишет «неверный пароль», хотя пароль верный.")
        f.click(driver.find_element(By.ID, "submit-request"))
        portal_ticket = int(re.search(r"/portal/requests/(\d+)", driver.current_url).group(1))
        f.sign_out()

        f.step("a second customer writes the same by mail")
        send_mail(smtp_port, "mail@client.test", "Михаил Почтов", "Не могу войти в базу 1С", "Не получается войти в базу, ошибка входа.")
        deadline = time.time() + 20
        while time.time() < deadline and not any(t["requester"]["name"] == "Михаил Почтов" for t in tickets()):
            time.sleep(0.3)
        mail_ticket = next(t["number"] for t in tickets() if t["requester"]["name"] == "Михаил Почтов")

        f.step("a third calls; the dispatcher registers the call; the red banner lists all three and the alert mails reach dispatcher and manager")
        f.sign_in("disp@e2e.test", "dispatcher-1")
        assert not driver.find_elements(By.CSS_SELECTOR, ".outbreak.alert"), "no alert with two customers"
        f.click(driver.find_element(By.LINK_TEXT, "Звонок"))
        driver.find_element(By.ID, "q").send_keys("+7 (913) 555-77-88")
        f.submit(driver.find_element(By.ID, "directory-search"))
        driver.find_element(By.ID, "c-email").send_keys("phone@client.test")
        driver.find_element(By.ID, "c-name").send_keys("Фёдор Телефонов")
        assert driver.find_element(By.ID, "call-number").get_attribute("value") == "+79135557788"
        driver.find_element(By.ID, "call-subject").send_keys("Не могу войти в базу")
        driver.find_element(By.ID, "call-body").send_keys("Звонит бухгалтер: не входит в базу с утра.")
        f.click(driver.find_element(By.ID, "call-register"))
        phone_ticket = int(driver.current_url.split("/agent/tickets/")[1].split("?")[0])
        alert = driver.find_element(By.CSS_SELECTOR, ".outbreak.alert")
        for number in (portal_ticket, mail_ticket, phone_ticket):
            assert f"#{number}" in alert.text, alert.text
        assert "Невозможно войти в базу" in alert.text and "клиентов: 3" in alert.text, alert.text
        f.shot("31-outbreak-alert")
        found = relay.wait_for("the alert to the dispatcher and the manager",
                               lambda ms: len([m for m in ms if "Возможен массовый сбой" in m["subject"]]) == 2)
        assert to(found, "disp@e2e.test") and to(found, "boss@e2e.test")

        f.step("the dispatcher declares the mass incident from the banner; each of the three gets seed 002's words once")
        f.click(alert.find_element(By.CSS_SELECTOR, "button.danger"))
        assert "Массовый сбой объявлен" in f.text(), f.text()
        code = driver.find_element(By.ID, "problem-heading").text.split(" · ")[0]
        assert code.startswith("P-"), code
        banner = driver.find_element(By.CSS_SELECTOR, ".outbreak.active").text
        assert code in banner and "Скажите звонящим" in banner and WORDS in banner, banner
        f.shot("32-incident-declared")
        customers = ["portal@client.test", "mail@client.test", "phone@client.test"]
        found = relay.wait_for("the words to all three",
                               lambda ms: all(any(WORDS in m["text"] for m in to(ms, c)) for c in customers))
        for customer in customers:
            assert len([m for m in to(found, customer) if code in m["subject"]]) == 1, to(found, customer)

        f.step("the call screen shows the words to read to callers")
        f.click(driver.find_element(By.LINK_TEXT, "Звонок"))
        assert "Скажите звонящим: «" + WORDS in f.text(), f.text()
        f.sign_out()

        f.step("a fourth request arrives by mail: linked on arrival, its acknowledgement names the incident and carries the words")
        send_mail(smtp_port, "fourth@client.test", "Ольга Четвёртая", "Не получается войти в базу", "Не пускает в базу.")
        found = relay.wait_for("the fourth acknowledgement",
                               lambda ms: any(code in m["text"] for m in to(ms, "fourth@client.test")))
        ack = next(m for m in to(found, "fourth@client.test") if code in m["text"])
        assert WORDS in ack["text"] and "Обращение связано с массовым сбоем " + code in ack["text"], ack["text"]
        fourth = next(t["number"] for t in tickets() if t["requester"]["name"] == "Ольга Четвёртая")
        assert server.api("GET", f"/tickets/{fourth}/problem", token=admin)["code"] == code

        f.step("the portal shows every signed-in customer the banner")
        f.sign_in("portal@client.test", "customer-1")
        banner = driver.find_element(By.ID, "incident-banner").text
        assert code in banner and WORDS in banner, banner
        f.shot("33-portal-incident-banner")
        f.sign_out()

        f.step("the fix time is known: all four are told once; then it is fixed and their requests solved")
        f.sign_in("disp@e2e.test", "dispatcher-1")
        f.go("/agent/problems/" + code.split("-")[1])
        driver.find_element(By.ID, "problem-estimate").send_keys("сегодня к 15:00")
        f.click(driver.find_element(By.ID, "problem-save"))
        everyone = customers + ["fourth@client.test"]
        relay.wait_for("the estimate to all four",
                       lambda ms: all(len([m for m in to(ms, c) if "сегодня к 15:00" in m["text"]]) == 1 for c in everyone))
        Select(driver.find_element(By.ID, "problem-status-select")).select_by_value("fixed")
        driver.find_element(By.ID, "problem-solve").click()
        f.click(driver.find_element(By.ID, "problem-save"))
        assert "Изменения сохранены" in f.text(), f.text()
        assert not driver.find_elements(By.CSS_SELECTOR, ".outbreak.active"), "the banner goes when it is fixed"
        found = relay.wait_for("the fix to all four",
                               lambda ms: all(len([m for m in to(ms, c) if "Технические проблемы устранены" in m["text"]]) == 1 for c in everyone))
        for number in (portal_ticket, mail_ticket, phone_ticket, fourth):
            assert server.api("GET", f"/tickets/{number}", token=admin)["status"] == "solved", number
        f.shot("34-incident-fixed")

        f.step("the incidents page states the rule as set, with Russian plurals; in English it speaks English")
        f.go("/agent/incidents")
        assert "когда 3 разных клиента за 20 минут сообщают" in f.text() and "не отреагировал за 10 минут" in f.text(), f.text()
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        f.go("/agent/incidents")
        page = f.text()
        assert "Mass incidents" in page and "Declare by hand" in page and "No open alerts." in page, page
        assert "when 3 distinct customers report one failure kind within 20 minutes" in page, page
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=ru]"))
        print(f"ok: {f.steps} steps on {database}")
    except Exception:
        keep_failure(driver, shots, server, "incident-failure")
        raise
    finally:
        driver.quit()
        server.stop()
        relay.stop()


if __name__ == "__main__":
    run(sys.argv[1], "--postgres" in sys.argv[2:])
