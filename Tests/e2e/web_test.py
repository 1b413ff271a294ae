#!/usr/bin/env python3
"""End-to-end test of the web interface in a real headless Chromium (Selenium).

Starts `zayavka serve` on a fresh database (SQLite in a temporary folder; PostgreSQL in a fresh
schema when ZAYAVKA_TEST_DATABASE_URL is set and --postgres is given), creates people through the
API, then drives the browser through the portal and the agent console. Screenshots of the main
pages go to artifacts/screenshots/<database>/.

usage: web_test.py BINARY [--postgres]
"""
import email
import email.policy
import json
import datetime
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import zlib

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def png(path, width=40, height=30):
    """A small real PNG (a red rectangle), to upload as a screenshot."""
    raw = b"".join(b"\x00" + b"\xd0\x30\x30" * width for _ in range(height))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


class Server:
    def __init__(self, binary, postgres, extra_env=None):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data = tempfile.mkdtemp(prefix="zayavka-e2e-")
        env = dict(os.environ, ZAYAVKA_ADMIN_EMAIL="admin@e2e.test", ZAYAVKA_ADMIN_PASSWORD="admin-pass-1",
                   ZAYAVKA_BCRYPT_COST="4", ZAYAVKA_LIMIT_ADDRESS="off", ZAYAVKA_LIMIT_ACCOUNT="off", ZAYAVKA_LOG_LEVEL="warning", ZAYAVKA_PUBLIC_URL=self.base,
                   ZAYAVKA_SMTP_PORT="off")
        env.update(extra_env or {})
        env.pop("DATABASE_URL", None)
        self.schema = None
        if postgres:
            self.schema = "e2e_" + secrets.token_hex(4)
            env["DATABASE_URL"] = os.environ["ZAYAVKA_TEST_DATABASE_URL"]
            env["ZAYAVKA_DATABASE_SCHEMA"] = self.schema
        self.log = open(os.path.join(self.data, "server.log"), "w")
        self.process = subprocess.Popen([binary, "serve", "--data-dir", self.data, "--hostname", "127.0.0.1", "--port", str(self.port)],
                                        env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(300):
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=1)
                return
            except Exception:
                if self.process.poll() is not None:
                    break
                time.sleep(0.1)
        self.stop()
        raise SystemExit("server did not start; log:\n" + open(os.path.join(self.data, "server.log")).read())

    def api(self, method, path, body=None, token=None):
        request = urllib.request.Request(self.base + "/api/v1" + path, method=method,
                                         data=json.dumps(body).encode() if body is not None else None,
                                         headers={"Content-Type": "application/json", "Accept": "application/json"})
        if token:
            request.add_header("Authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(request) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise AssertionError(f"{method} {path} -> {error.code}: {error.read().decode()}")

    def raw(self, path, token):
        """The body of a GET as bytes (e.g. a message/rfc822)."""
        request = urllib.request.Request(self.base + "/api/v1" + path, headers={"Authorization": "Bearer " + token})
        with urllib.request.urlopen(request) as response:
            return response.read()

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


def browser():
    options = webdriver.ChromeOptions()
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=ru-RU"]:
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"intl.accept_languages": "ru-RU,ru"})
    if os.path.exists("/usr/bin/chromium"):
        options.binary_location = "/usr/bin/chromium"
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    driver.implicitly_wait(2)
    return driver


class Flow:
    def __init__(self, server, driver, shots):
        self.s = server
        self.d = driver
        self.shots = shots
        self.steps = 0

    def step(self, text):
        self.steps += 1
        print(f"  {self.steps:2d}. {text}", flush=True)

    def navigate(self, action):
        """Runs an action that loads a new page (click, submit) and waits until the new page is there."""
        old = self.d.find_element(By.TAG_NAME, "html")
        action()

        def replaced(_):
            try:
                old.is_enabled()
                return False
            except StaleElementReferenceException:
                return True
            except WebDriverException as error:
                # chromedriver sometimes reports the replaced page as "Node ... does not belong to the document".
                if "does not belong to the document" in str(error) or "No node with given id" in str(error):
                    return True
                raise
        WebDriverWait(self.d, 15).until(replaced)
        WebDriverWait(self.d, 15).until(lambda d: d.execute_script("return document.readyState") == "complete")

    def click(self, element):
        self.navigate(element.click)

    def submit(self, form):
        self.navigate(form.submit)

    def go(self, path):
        self.d.get(self.s.base + path)

    def shot(self, name):
        self.d.save_screenshot(os.path.join(self.shots, name + ".png"))

    def text(self):
        return self.d.find_element(By.TAG_NAME, "body").text

    def sign_in(self, email, password):
        self.d.delete_all_cookies()
        self.go("/sign-in")
        self.d.find_element(By.ID, "email").send_keys(email)
        self.d.find_element(By.ID, "password").send_keys(password)
        self.submit(self.d.find_element(By.ID, "sign-in-form"))

    def unfold(self, fold_id):
        """Opens a folded card of the ticket page as a person does (a click on its title); it then stays open."""
        fold = self.d.find_element(By.ID, fold_id)
        if fold.get_attribute("open") is None:
            fold.find_element(By.TAG_NAME, "summary").click()

    def sign_out(self):
        self.click(self.d.find_element(By.ID, "sign-out"))
        assert "/sign-in" in self.d.current_url, self.d.current_url


def keep_failure(driver, shots, server, name):
    """On a failure: the page as it was (screenshot and HTML) and the server log's tail."""
    try:
        driver.save_screenshot(os.path.join(shots, name + ".png"))
        with open(os.path.join(shots, name + ".html"), "w") as out:
            out.write(driver.page_source)
    except Exception:
        pass
    print(open(os.path.join(server.data, "server.log")).read()[-4000:], file=sys.stderr)


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", database)
    os.makedirs(shots, exist_ok=True)
    server = Server(binary, postgres)
    driver = browser()
    work = tempfile.mkdtemp(prefix="zayavka-e2e-files-")
    try:
        f = Flow(server, driver, shots)
        print(f"web end-to-end on {database} at {server.base}")
        admin = server.api("POST", "/auth/token", {"email": "admin@e2e.test", "password": "admin-pass-1"})["token"]
        agent = server.api("POST", "/users", {"email": "agent@e2e.test", "name": "Анна Специалистова", "role": "agent",
                                              "password": "agent-pass-1"}, admin)
        server.api("POST", "/users", {"email": "one@e2e.test", "name": "Пётр Первый", "role": "customer", "password": "customer-1"}, admin)
        server.api("POST", "/users", {"email": "two@e2e.test", "name": "Вера Вторая", "role": "customer", "password": "customer-2"}, admin)

        f.step("a visitor is sent to the sign-in page, in Russian by default")
        f.go("/portal")
        assert "/sign-in" in driver.current_url, driver.current_url
        assert "Вход в службу поддержки" in f.text()
        f.shot("01-sign-in")

        f.step("a wrong password is refused with a message, nothing else happens")
        f.sign_in("one@e2e.test", "wrong-password")
        assert "Неверная почта или пароль" in f.text()

        f.step("the customer files a request with an attachment through the form")
        f.sign_in("one@e2e.test", "customer-1")
        assert driver.current_url.endswith("/portal"), driver.current_url
        f.shot("02-portal-empty")
        f.click(driver.find_element(By.ID, "new-request"))
        subject = "Не печатается накладная"
        driver.find_element(By.ID, "subject").send_keys(subject)
        Select(driver.find_element(By.ID, "type")).select_by_value("problem")
        driver.find_element(By.CSS_SELECTOR, "input[name=urgency][value='2']").click()
        driver.find_element(By.ID, "body").send_keys("При печати ТОРГ-12 программа закрывается.")
        picture = os.path.join(work, "screen.png")
        png(picture)
        driver.find_element(By.ID, "files").send_keys(picture)
        f.shot("03-portal-new-request")
        f.click(driver.find_element(By.ID, "submit-request"))
        match = re.search(r"/portal/requests/(\d+)", driver.current_url)
        assert match, driver.current_url
        number = int(match.group(1))
        page = f.text()
        assert subject in page and "screen.png" in page and "Заявка создана" in page, page
        assert driver.find_element(By.CSS_SELECTOR, ".files img").get_attribute("src").startswith(server.base + "/files/")
        f.shot("04-portal-request")

        f.step("the portal lists it with the right plural")
        f.go("/portal")
        assert "1 заявка" in f.text(), f.text()
        f.sign_out()

        f.step("the agent finds it in the unassigned queue")
        f.sign_in("agent@e2e.test", "agent-pass-1")
        assert "/agent/queues/" in driver.current_url, driver.current_url
        f.click(driver.find_element(By.ID, "queue-unassigned"))
        row = driver.find_element(By.ID, f"ticket-{number}")
        assert subject in row.text and "Пётр Первый" in row.text, row.text
        assert "1 заявка" in f.text()
        f.shot("05-agent-unassigned-queue")
        f.click(row.find_element(By.LINK_TEXT, subject))
        assert driver.current_url.endswith(f"/agent/tickets/{number}"), driver.current_url

        f.step("the agent assigns it to herself")
        Select(driver.find_element(By.ID, "f-assignee")).select_by_visible_text("Анна Специалистова")
        f.click(driver.find_element(By.ID, "fields-save"))
        assert "Изменения сохранены" in f.text()
        assert Select(driver.find_element(By.ID, "f-assignee")).first_selected_option.text == "Анна Специалистова"

        f.step("the agent writes an internal note")
        note = "Внутреннее: проверить драйвер принтера у клиента"
        driver.find_element(By.ID, "mode-internal").click()
        assert "internal" in driver.find_element(By.ID, "composer").get_attribute("class")
        driver.find_element(By.ID, "composer-body").send_keys(note)
        f.click(driver.find_element(By.ID, "composer-send"))
        assert "Внутренняя заметка добавлена" in f.text()
        assert driver.find_elements(By.CSS_SELECTOR, "article.entry.note"), "the note is shown as a note"

        f.step("the agent replies with a canned response and marks the ticket solved")
        Select(driver.find_element(By.ID, "canned")).select_by_visible_text("Передали программистам")
        body = driver.find_element(By.ID, "composer-body")
        phrase = "Передали заявку программистам, они свяжутся с вами в ближайший рабочий день."
        assert body.get_attribute("value").startswith(phrase), body.get_attribute("value")
        body.send_keys(" Обновили драйвер, попробуйте снова.")
        f.shot("06-agent-ticket-composer")
        f.click(driver.find_element(By.ID, "send-solved"))
        assert "Ответ отправлен" in f.text()
        assert driver.find_element(By.ID, "status").text == "Решена", driver.find_element(By.ID, "status").text
        f.shot("07-agent-ticket")

        f.step("the agent's queue of their own open tickets no longer counts it")
        f.go("/agent/queues/mine")
        assert f"ticket-{number}" not in driver.page_source
        f.sign_out()

        f.step("the customer sees the reply but not the note, and reopens after 'solved'")
        f.sign_in("one@e2e.test", "customer-1")
        f.go(f"/portal/requests/{number}")
        page = f.text()
        assert phrase in page and "Обновили драйвер" in page, page
        assert note not in page and note not in driver.page_source, "an internal note reached the customer"
        assert "Анна Специалистова" in page
        f.shot("08-portal-solved")
        f.click(driver.find_element(By.ID, "reopen"))
        assert "Заявка снова открыта" in f.text()
        assert driver.find_element(By.ID, "status").text == "В работе", driver.find_element(By.ID, "status").text

        f.step("the customer replies with another file")
        driver.find_element(By.ID, "reply-body").send_keys("Снова не печатается, прикладываю снимок.")
        second = os.path.join(work, "второй снимок.png")
        png(second, 20, 20)
        driver.find_element(By.CSS_SELECTOR, "#reply-form input[type=file]").send_keys(second)
        f.click(driver.find_element(By.ID, "send-reply"))
        assert "Ответ отправлен" in f.text() and "второй снимок.png" in f.text()

        f.step("the customer confirms a solution: it is recorded for the agent and the question is not asked again")
        # The agent (whose name the English-page check below knows) solves it again through the API.
        agent_token = server.api("POST", "/auth/token", {"email": "agent@e2e.test", "password": "agent-pass-1"})["token"]
        server.api("PATCH", f"/tickets/{number}", {"status": "solved"}, agent_token)
        f.go(f"/portal/requests/{number}")
        f.click(driver.find_element(By.ID, "confirm-solved"))
        assert "Спасибо" in f.text(), f.text()
        assert not driver.find_elements(By.ID, "confirm-solved"), "the question is asked again after the answer"
        assert "Вы подтвердили, что вопрос решён" in f.text(), f.text()
        events = server.api("GET", f"/tickets/{number}/events", None, admin)["items"]
        assert [e for e in events if e["kind"] == "solution_confirmed"], [e["kind"] for e in events]
        server.api("PATCH", f"/tickets/{number}", {"status": "open"}, agent_token)

        f.step("the portal works on a phone-sized screen: no sideways scrolling")
        driver.set_window_size(390, 844)
        for path in ["/portal", f"/portal/requests/{number}", "/portal/new"]:
            f.go(path)
            overflow = driver.execute_script("return document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, f"{path} scrolls sideways by {overflow} px on a phone"
        f.go(f"/portal/requests/{number}")
        f.shot("09a-portal-request-phone")
        driver.set_window_size(1280, 1000)

        f.step("switching the language switches every visible string")
        f.go("/portal")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        page = f.text()
        assert "My requests" in page and "1 ticket" in page, page
        leftover = CYRILLIC.findall(page.replace(subject, "").replace("Русский", "").replace("Пётр Первый", ""))
        assert not leftover, "Russian words left on the English page: " + page
        f.go(f"/portal/requests/{number}")
        page = f.text()
        for user_text in [subject, "Пётр Первый", "Анна Специалистова", "При печати ТОРГ-12 программа закрывается.", phrase,
                          " Обновили драйвер, попробуйте снова.", "Снова не печатается, прикладываю снимок.", "второй снимок.png", "Русский"]:
            page = page.replace(user_text, "")
        assert not CYRILLIC.findall(page), "Russian words left on the English request page: " + page
        f.shot("09-portal-request-english")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=ru]"))
        assert "Мои заявки" in f.text() or "Ответить" in f.text()
        f.sign_out()

        f.step("a second customer cannot open the first one's request by URL")
        f.sign_in("two@e2e.test", "customer-2")
        f.go(f"/portal/requests/{number}")
        page = f.text()
        assert "Страница не найдена" in page and subject not in page, page
        f.shot("10-portal-not-found")
        f.go("/portal")
        assert subject not in f.text()
        f.sign_out()

        f.step("a customer who forgot the password gets a link by mail and sets a new one")
        f.click(driver.find_element(By.ID, "forgot-link"))
        assert "Восстановление пароля" in f.text()
        driver.find_element(By.ID, "forgot-email").send_keys("two@e2e.test")
        f.submit(driver.find_element(By.ID, "forgot-form"))
        assert "ссылка для смены пароля" in f.text(), f.text()
        # No relay is configured here: the mail waits in the outbox, where an admin (and this test) can read it.
        waiting = [i for i in server.api("GET", "/mail/outbox?status=queued", token=admin)["items"]
                   if i["kind"] == "password_reset" and i["to"] == "two@e2e.test"]
        assert len(waiting) == 1, waiting
        message = email.message_from_bytes(server.raw(f"/mail/outbox/{waiting[0]['id']}/raw", admin), policy=email.policy.default)
        link = re.search(r"https?://\S+/password/set\?token=\S+", message.get_content()).group(0)
        f.go(link[len(server.base):])
        f.shot("10b-password-set")
        driver.find_element(By.ID, "new-password").send_keys("new-customer-2")
        driver.find_element(By.ID, "new-password-2").send_keys("new-customer-2")
        f.submit(driver.find_element(By.ID, "password-form"))
        assert "Пароль задан" in f.text(), f.text()
        f.sign_in("two@e2e.test", "new-customer-2")
        assert driver.current_url.endswith("/portal"), driver.current_url
        f.go(link[len(server.base):])
        assert "Ссылка не действует" in f.text()
        f.sign_out()

        f.step("the agent console in English: queues, filters and the ticket page")
        f.sign_in("agent@e2e.test", "agent-pass-1")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        f.go("/agent/queues/open")
        page = f.text()
        assert "All open" in page and "Unassigned" in page, page
        # People's names are data, not interface text ("Администратор" is the first admin's name).
        for user_text in [subject, "Пётр Первый", "Анна Специалистова", "Вера Вторая", "Администратор", "Русский"]:
            page = page.replace(user_text, "")
        leftover = re.findall(r"\S*[А-Яа-яЁё]+\S*", page)
        assert not leftover, f"Russian words left on the English queue: {leftover}"
        driver.find_element(By.ID, "filter-q").send_keys("накладная")
        f.submit(driver.find_element(By.ID, "filters"))
        assert driver.find_element(By.ID, f"ticket-{number}")
        f.shot("11-agent-queue-english")

        f.step("bulk action: set the priority of the selected tickets")
        driver.find_element(By.CSS_SELECTOR, f"#ticket-{number} input[name=ticket]").click()
        Select(driver.find_element(By.NAME, "bulk_priority")).select_by_value("high")
        f.click(driver.find_element(By.ID, "bulk-apply"))
        assert "The selected tickets have been updated" in f.text(), f.text()
        assert "High" in driver.find_element(By.ID, f"ticket-{number}").text

        f.step("a ticket for a customer who called, found by name")
        f.click(driver.find_element(By.LINK_TEXT, "New ticket"))
        driver.find_element(By.ID, "find").send_keys("вера")
        f.submit(driver.find_element(By.ID, "customer-search"))
        assert "Вера Вторая" in f.text()
        driver.find_element(By.ID, "subject").send_keys("Звонок: не проходит оплата")
        driver.find_element(By.ID, "body").send_keys("Клиентка звонила, оплата картой не проходит.")
        f.click(driver.find_element(By.ID, "create-ticket"))
        assert "The request has been filed" in f.text() and "Вера Вторая" in f.text(), f.text()
        f.shot("12-agent-new-ticket")

        f.sign_out()

        f.step("admin pages: an organization, a group with a member, an intake question, an API token")
        f.sign_in("admin@e2e.test", "admin-pass-1")
        f.go("/admin/organizations")
        driver.find_element(By.ID, "o-name").send_keys("ООО «Ромашка»")
        driver.find_element(By.ID, "o-inn").send_keys("7707083893")
        Select(driver.find_element(By.ID, "o-plan")).select_by_value("paid")
        driver.find_element(By.ID, "o-addresses").send_keys("г. Москва, ул. Ленина, д. 1\nг. Тверь, пр. Мира, 5")
        f.submit(driver.find_element(By.ID, "organization-form"))
        assert "ООО «Ромашка»" in driver.find_element(By.ID, "organizations").text
        romashka = [o for o in server.api("GET", "/organizations", token=admin)["items"] if o["inn"] == "7707083893"][0]
        assert romashka["addresses"] == ["г. Москва, ул. Ленина, д. 1", "г. Тверь, пр. Мира, 5"], romashka
        f.go("/admin/groups")
        driver.find_element(By.ID, "g-name").send_keys("Первая линия")
        f.submit(driver.find_element(By.ID, "group-form"))
        f.click(driver.find_element(By.LINK_TEXT, "Первая линия"))
        Select(driver.find_element(By.NAME, "user_id")).select_by_visible_text("Анна Специалистова")
        f.click(driver.find_element(By.CSS_SELECTOR, "#member-form button[value='1']"))
        assert "Анна Специалистова" in driver.find_element(By.ID, "groups").text
        f.go("/admin/intake-fields")
        driver.find_element(By.ID, "i-key").send_keys("cash_register")
        driver.find_element(By.ID, "i-ru").send_keys("Номер кассы")
        driver.find_element(By.ID, "i-en").send_keys("Cash register number")
        f.submit(driver.find_element(By.ID, "field-form"))
        assert "cash_register" in driver.find_element(By.ID, "intake-fields").text
        f.shot("13-admin-intake-fields")
        f.go("/account/tokens")
        driver.find_element(By.ID, "t-name").send_keys("1С-интеграция")
        f.submit(driver.find_element(By.ID, "token-form"))
        token = driver.find_element(By.CSS_SELECTOR, "#new-token code").text
        assert token.startswith("zy_"), token
        assert server.api("GET", "/me", token=token)["email"] == "admin@e2e.test"

        f.step("working time: the admin installs seed 003's policies and makes a breach raise the priority")
        f.go("/admin/working-time")
        assert "Москва, пн–пт 9:00–18:00" in f.text()
        f.click(driver.find_element(By.ID, "template-seed003"))
        assert "Изменения сохранены" in f.text() and "Вопрос — 4 часа" in f.text(), f.text()
        form = driver.find_element(By.ID, "policy-question_4h")
        box = form.find_element(By.ID, "policy-question_4h-raise_priority-1")
        driver.execute_script("arguments[0].scrollIntoView()", box)
        box.click()
        f.click(form.find_element(By.ID, "policy-question_4h-save"))
        assert "Изменения сохранены" in f.text()
        policies = {p["key"]: p for p in server.api("GET", "/sla-policies", token=admin)["items"]}
        assert policies["question_4h"]["escalation"]["raise_priority"] is True, policies["question_4h"]
        f.shot("14-admin-working-time")
        f.sign_out()

        f.step("the agent answers with a promised solution time; the SLA panel tracks it; the customer is told")
        customer_token = server.api("POST", "/auth/token", {"email": "one@e2e.test", "password": "customer-1"})["token"]
        promised = server.api("POST", "/tickets", {"subject": "Не формируется отчёт", "body": "Отчёт по кассе пустой.",
                                                   "type": "question"}, customer_token)["number"]
        f.sign_in("agent@e2e.test", "agent-pass-1")
        f.go(f"/agent/tickets/{promised}")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=ru]"))
        assert "Первый ответ" in driver.find_element(By.ID, "sla").text
        driver.find_element(By.ID, "composer-body").send_keys("Исправим в обновлении.")
        Select(driver.find_element(By.ID, "composer-answer")).select_by_value("promise")
        driver.execute_script("document.getElementById('composer-promised').value = '2030-01-15T15:00'")
        f.click(driver.find_element(By.ID, "composer-send"))
        assert "Ответ отправлен" in f.text(), f.text()
        sla = driver.find_element(By.ID, "sla").text
        assert "Обещанный срок" in sla and "2030" in sla, sla
        assert "обещан срок решения" in f.text()

        f.step("planning: the agent finds the earliest slot, books two hours; the week calendar shows the work")
        f.unfold("fold-plan")
        driver.find_element(By.ID, "plan-minutes").send_keys("120")
        Select(driver.find_element(By.ID, "plan-user")).select_by_visible_text("Анна Специалистова")
        f.click(driver.find_element(By.ID, "plan-propose"))
        assert "Свободно: Анна Специалистова" in driver.find_element(By.ID, "plan-proposal").text
        f.click(driver.find_element(By.ID, "plan-book"))
        assert "Работа запланирована" in f.text(), f.text()
        # Today may be a weekend: the work then starts next week.
        f.go(f"/agent/workload?user_id={agent['id']}")
        if "Не формируется отчёт" not in f.text():
            f.click(driver.find_element(By.ID, "week-next"))
        card = driver.find_element(By.ID, f"workload-{agent['id']}").text
        assert "Анна Специалистова" in card and "Не формируется отчёт" in card and "Запланировано" in card, card
        f.shot("15-agent-workload")
        f.sign_out()
        f.sign_in("one@e2e.test", "customer-1")
        f.go(f"/portal/requests/{promised}")
        assert "Срок решения: 15.01.2030 15:00 (МСК)" in f.text(), f.text()
        f.sign_out()
        f.sign_in("admin@e2e.test", "admin-pass-1")

        f.step("a dispatcher takes a call: finds the customer by INN, sees the expired-contract banner, registers the ticket with the caller's number")
        org = server.api("POST", "/organizations", {"name": "ИП Сидоров", "inn": "500100732259", "plan": "free",
                                                    "contract_number": "Д-77", "contract_ends_on": "2025-06-30"}, admin)
        sidorov_user = server.api("POST", "/users", {"email": "sidorov@e2e.test", "name": "Иван Сидоров", "role": "customer",
                                                     "password": "customer-3", "organization_id": org["id"]}, admin)
        server.api("POST", "/users", {"email": "dispatcher@e2e.test", "name": "Диспетчер техподдержки", "role": "dispatcher",
                                      "password": "dispatcher-1"}, admin)
        f.sign_out()
        f.sign_in("dispatcher@e2e.test", "dispatcher-1")
        f.click(driver.find_element(By.LINK_TEXT, "Звонок"))
        driver.find_element(By.ID, "q").send_keys("500100732259")
        f.submit(driver.find_element(By.ID, "directory-search"))
        banner = driver.find_element(By.CSS_SELECTOR, ".found-organization .check-contract_ended").text
        assert "Д-77 закончился 30.06.2025" in banner and "Кредит и продление тарифа" in banner, banner
        person = driver.find_element(By.ID, f"person-{sidorov_user['id']}")
        assert person.is_selected(), "the only person of the organization is chosen"
        driver.find_element(By.ID, "call-number").send_keys("+7 (913) 555-12-34")
        driver.find_element(By.ID, "call-subject").send_keys("Не формируется счёт")
        driver.find_element(By.ID, "call-body").send_keys("Кнопка «Счёт» ничего не делает.")
        Select(driver.find_element(By.ID, "field-category")).select_by_value("question")
        driver.find_element(By.ID, "call-time").send_keys("после 15:00")
        driver.find_element(By.ID, "call-minutes").send_keys("3")
        f.shot("16-incoming-call")
        f.click(driver.find_element(By.ID, "call-register"))
        assert "Звонок записан в заявку" in f.text(), f.text()
        routed = int(driver.current_url.split("/agent/tickets/")[1].split("?")[0])
        calls = driver.find_element(By.ID, "calls").text
        assert "входящий · +79135551234 · 3 мин 0 с · ответил" in calls, calls
        ticket = server.api("GET", f"/tickets/{routed}", token=admin)
        assert ticket["channel"] == "phone" and ticket["fields"]["phone"] == "+79135551234", ticket
        assert ticket["fields"]["call_time"] == "после 15:00", ticket

        f.step("on the ticket: the banner again; the paid-only consultation line refuses a free-plan customer; 'to development' goes with the seed's words")
        banner = driver.find_element(By.ID, "check-contract_ended").text
        assert "Д-77 закончился 30.06.2025" in banner and "Кредит и продление тарифа" in banner, banner
        f.unfold("fold-route")
        Select(driver.find_element(By.ID, "route-select")).select_by_value("consultation_line")
        f.click(driver.find_element(By.ID, "route-send"))
        assert "только для клиентов на платном тарифе" in driver.find_element(By.ID, "route-error").text
        Select(driver.find_element(By.ID, "route-select")).select_by_value("development")
        f.click(driver.find_element(By.ID, "route-send"))
        assert "Заявка передана" in f.text(), f.text()
        assert "Передали заявку программистам, они свяжутся с вами в ближайший рабочий день" in f.text()
        assert driver.find_element(By.ID, "status").text == "Требует передачи на ОС", driver.find_element(By.ID, "status").text
        f.shot("17-agent-routed")

        f.step("a busy callback reschedules itself 15 minutes later; the second busy posts the seed's message to the customer")
        dispatcher_token = server.api("POST", "/auth/token", {"email": "dispatcher@e2e.test", "password": "dispatcher-1"})["token"]
        now = datetime.datetime.now(datetime.timezone.utc)
        server.api("POST", f"/tickets/{routed}/callbacks", {"due_at": now.strftime("%Y-%m-%dT%H:%M:%SZ")}, dispatcher_token)
        f.click(driver.find_element(By.LINK_TEXT, "Перезвонить"))
        due = driver.find_element(By.ID, "due-callbacks")
        assert f"№{routed}" in due.text and "+79135551234" in due.text, due.text
        Select(due.find_element(By.CSS_SELECTOR, "select[name=outcome]")).select_by_value("busy")
        f.click(due.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert "Занято: повторный звонок запланирован" in f.text(), f.text()
        later = driver.find_element(By.ID, "later-callbacks").text
        moscow = datetime.timezone(datetime.timedelta(hours=3))
        expected = [(now + datetime.timedelta(minutes=15 + d)).astimezone(moscow).strftime("%H:%M") for d in (-1, 0, 1)]
        assert any(e in later for e in expected) and "повтор после «занято»" in later, (later, expected)
        assert "Сейчас звонить некому" in driver.find_element(By.TAG_NAME, "main").text
        retry = driver.find_element(By.ID, "later-callbacks")
        Select(retry.find_element(By.CSS_SELECTOR, "select[name=outcome]")).select_by_value("busy")
        f.click(retry.find_element(By.CSS_SELECTOR, "button[type=submit]"))
        assert "клиенту написано об этом в заявке" in f.text(), f.text()
        f.go(f"/agent/tickets/{routed}")
        assert "Мы звонили вам по заявке, но не смогли дозвониться" in f.text(), f.text()
        calls = driver.find_element(By.ID, "calls").text
        assert calls.count("исходящий · +79135551234") == 2 and "занято" in calls, calls
        f.shot("18-callbacks")

        f.step("a customer files a critical problem on the portal: urgency explained, made urgent, the dispatcher alerted at once; two conduct warnings and a ban request")
        f.sign_out()
        f.sign_in("sidorov@e2e.test", "customer-3")
        f.click(driver.find_element(By.ID, "new-request"))
        form_text = driver.find_element(By.TAG_NAME, "main").text
        assert "Максимальный приоритет. Вы совсем не можете обслужить клиента." in form_text, form_text
        driver.find_element(By.ID, "subject").send_keys("Касса с утра не работает")
        Select(driver.find_element(By.ID, "type")).select_by_value("problem")
        driver.find_element(By.CSS_SELECTOR, "input[name=urgency][value='1']").click()
        Select(driver.find_element(By.ID, "field-category")).select_by_value("cash_shift")
        driver.find_element(By.ID, "body").send_keys("Продажи стоят, покупатели уходят.")
        f.click(driver.find_element(By.ID, "submit-request"))
        match = re.search(r"/portal/requests/(\d+)", driver.current_url)
        assert match, (driver.current_url, f.text())
        critical = int(match.group(1))
        ticket = server.api("GET", f"/tickets/{critical}", token=admin)
        assert ticket["priority"] == "urgent" and ticket["urgency"] == 1, ticket
        alert = []
        for _ in range(50):
            alert = [i for i in server.api("GET", "/mail/outbox", token=admin)["items"]
                     if i["kind"] == "critical_ticket" and i["to"] == "dispatcher@e2e.test"]
            if alert:
                break
            time.sleep(0.2)
        assert len(alert) == 1 and "КРИТИЧНО" in alert[0]["subject"] and f"#{critical}" in alert[0]["subject"], alert
        f.sign_out()
        f.sign_in("dispatcher@e2e.test", "dispatcher-1")
        f.go(f"/agent/tickets/{critical}")
        assert "критическая проблема: Не открывается кассовая смена" in f.text(), f.text()
        f.unfold("fold-conduct")
        assert "Замечаний клиенту не было" in driver.find_element(By.ID, "conduct-count").text
        f.click(driver.find_element(By.ID, "conduct-warn"))
        assert "Замечание отправлено клиенту" in f.text(), f.text()
        assert "Давайте вернемся к разговору в деловом и уважительном стиле" in f.text()
        assert driver.find_elements(By.ID, "conduct-ban"), "after a warning the ban button is there"
        f.click(driver.find_element(By.ID, "conduct-warn"))
        assert "Повторное замечание отправлено" in f.text(), f.text()
        assert "Замечаний клиенту: 2" in driver.find_element(By.ID, "conduct-count").text
        f.click(driver.find_element(By.ID, "conduct-ban"))
        assert "Запрос на бан клиента записан" in f.text(), f.text()
        assert "запрошен бан клиента (повторное нарушение)" in f.text(), f.text()
        f.shot("18b-critical-conduct")
        f.sign_out()
        f.sign_in("sidorov@e2e.test", "customer-3")
        f.go(f"/portal/requests/{critical}")
        page = f.text()
        assert page.count("Давайте вернемся к разговору в деловом и уважительном стиле") == 2, page
        assert "запрошен бан" not in page and "критическая проблема" not in page, page
        f.sign_out()
        f.sign_in("dispatcher@e2e.test", "dispatcher-1")

        f.step("a customer not in any organization gives the contract on the portal: the dispatcher sees whose it is, its banner, and places the customer")
        server.api("POST", "/users", {"email": "buh@sidorov.test", "name": "Мария Бухгалтер", "role": "customer",
                                      "password": "customer-4"}, admin)
        f.sign_out()
        f.sign_in("buh@sidorov.test", "customer-4")
        f.click(driver.find_element(By.ID, "new-request"))
        driver.find_element(By.ID, "subject").send_keys("Не выгружается отчёт")
        f.unfold("more-questions")
        driver.find_element(By.ID, "field-contract_or_login").send_keys("договор Д 77")
        driver.find_element(By.ID, "body").send_keys("Отчёт в налоговую не уходит.")
        f.click(driver.find_element(By.ID, "submit-request"))
        stranger = int(re.search(r"/portal/requests/(\d+)", driver.current_url).group(1))
        f.sign_out()
        f.sign_in("dispatcher@e2e.test", "dispatcher-1")
        f.go(f"/agent/tickets/{stranger}")
        said = driver.find_element(By.ID, "account-reference").text
        assert "Клиент не привязан к организации" in said and "«ИП Сидоров»" in said, said
        assert "Кредит и продление тарифа" in driver.find_element(By.ID, "check-contract_ended").text
        f.click(driver.find_element(By.ID, "place-requester"))
        assert "Клиент привязан к организации" in f.text(), f.text()
        assert not driver.find_elements(By.ID, "account-reference"), "once placed, the answer agrees with the ticket"
        assert "организация: «не задано» → «ИП Сидоров»" in f.text(), f.text()
        assert server.api("GET", f"/tickets/{stranger}", token=admin)["organization"]["name"] == "ИП Сидоров"
        f.shot("18c-account-placed")

        f.step("the one search box finds the customer by a phone written another way; the admin imports organizations from CSV with a report and edits the callback rule")
        server.api("PATCH", f"/users/{sidorov_user['id']}", {"phone": "+7 (343) 222-16-02"}, admin)
        f.click(driver.find_element(By.LINK_TEXT, "Клиенты"))
        driver.find_element(By.ID, "q").send_keys("8 343 222 16 02")
        f.submit(driver.find_element(By.ID, "directory-search"))
        assert "Иван Сидоров" in f.text() and "найдено по: телефон" in f.text(), f.text()
        f.sign_out()
        f.sign_in("admin@e2e.test", "admin-pass-1")
        csv_path = os.path.join(work, "организации.csv")
        with open(csv_path, "w", encoding="cp1251") as out:
            out.write("Название;ИНН;Номер договора;Тариф;Договор до\r\nООО Лютик;7736207543;Д-100;платный;31.12.2030\r\nПлохая;123;;;\r\n")
        f.go("/admin/organizations")
        driver.find_element(By.ID, "import-organizations-file").send_keys(csv_path)
        f.click(driver.find_element(By.ID, "import-organizations-send"))
        counts = driver.find_element(By.ID, "import-counts").text
        assert "Создано: 1" in counts and "отклонено строк: 1" in counts, counts
        assert "inn: неверный формат" in driver.find_element(By.ID, "import-rejected").text
        f.shot("19-admin-import")
        f.go("/admin/routing")
        assert "На программистов" in driver.find_element(By.ID, "routes").text
        assert "Не открывается кассовая смена" in driver.find_element(By.ID, "critical-rules").text
        minutes = driver.find_element(By.ID, "cb-minutes")
        assert minutes.get_attribute("value") == "15", minutes.get_attribute("value")
        minutes.clear()
        minutes.send_keys("20")
        f.submit(driver.find_element(By.ID, "callback-rule-form"))
        assert "Изменения сохранены" in f.text(), f.text()
        assert server.api("GET", "/callback-rule", token=admin)["retry_minutes"] == 20

        f.step("known problems: the agent links a request to an existing wish from the ticket page; the customer sees its number and summary on the portal; the wish tops the popularity list")
        wish = server.api("POST", "/problems", {"kind": "wish", "title": "Выгрузка накладных в Excel",
                                                 "public_summary": "Добавим выгрузку в Excel в одной из следующих версий."}, admin)
        quiet = server.api("POST", "/problems", {"kind": "bug", "title": "Опечатка в отчёте"}, admin)
        for index, (address, secret) in enumerate([("one@e2e.test", "customer-1"), ("two@e2e.test", "new-customer-2")]):
            token = server.api("POST", "/auth/token", {"email": address, "password": secret})["token"]
            filed = server.api("POST", "/tickets", {"subject": f"Нужна выгрузка в Excel {index}", "body": "Хотим выгружать накладные."}, token)
            if index == 0:
                server.api("PUT", f"/tickets/{filed['number']}/problem", {"problem": wish["code"]}, admin)
            else:
                wanted = filed["number"]
        f.sign_out()
        f.sign_in("agent@e2e.test", "agent-pass-1")
        f.go(f"/agent/tickets/{wanted}")
        f.unfold("fold-problem")
        panel = driver.find_element(By.ID, "problem-panel")
        assert wish["code"] in panel.text and quiet["code"] not in panel.text, panel.text
        f.shot("20-ticket-problem-candidates")
        f.click(panel.find_element(By.CSS_SELECTOR, f"button[data-problem='{wish['code']}']"))
        assert "Заявка связана с проблемой" in f.text(), f.text()
        assert wish["code"] in driver.find_element(By.ID, "linked-problem").text
        assert f"связана с известной проблемой {wish['code']}" in f.text(), f.text()
        f.click(driver.find_element(By.LINK_TEXT, "Проблемы"))
        Select(driver.find_element(By.ID, "problem-sort")).select_by_value("tickets")
        f.submit(driver.find_element(By.ID, "problem-filters"))
        first = driver.find_elements(By.CSS_SELECTOR, "#problem-list tbody tr")[0]
        assert first.get_attribute("data-problem") == wish["code"], first.text
        assert first.find_element(By.CLASS_NAME, "tickets").text == "2", first.text
        f.shot("21-problems-by-popularity")
        f.click(first.find_element(By.LINK_TEXT, wish["code"]))
        Select(driver.find_element(By.ID, "problem-status-select")).select_by_value("planned")
        driver.find_element(By.ID, "problem-target-version").send_keys("5.1")
        f.click(driver.find_element(By.ID, "problem-save"))
        assert "Изменения сохранены" in f.text() and "Запланирована" in driver.find_element(By.ID, "problem-status").text, f.text()
        f.sign_out()
        f.sign_in("two@e2e.test", "new-customer-2")
        panel = driver.find_element(By.ID, "my-problems")
        assert wish["code"] in panel.text and "Добавим выгрузку в Excel" in panel.text, panel.text
        f.go(f"/portal/requests/{wanted}")
        page = f.text()
        assert wish["code"] in driver.find_element(By.ID, "request-problem").text, page
        assert "Исправление запланировано в версии 5.1" in page, page
        f.shot("22-portal-known-problem")
        f.sign_out()
        f.sign_in("admin@e2e.test", "admin-pass-1")

        f.step("the admin erases a customer's personal data on request: not without the confirmation; then done and audited; the form in English")
        erasable = server.api("POST", "/users", {"email": "erase.me@e2e.test", "name": "Стёртый Клиентов", "role": "customer"}, token=admin)
        f.go(f"/admin/users?edit={erasable['id']}")
        driver.find_element(By.ID, "erase-reason").send_keys("Заявление клиента № 7 от 02.12.2026")
        f.submit(driver.find_element(By.ID, "erase-form"))
        assert "Подтвердите" in f.text(), f.text()
        assert server.api("GET", f"/users/{erasable['id']}", token=admin)["email"] == "erase.me@e2e.test"
        driver.find_element(By.ID, "erase-reason").send_keys("Заявление клиента № 7 от 02.12.2026")
        driver.find_element(By.ID, "erase-confirm").click()
        f.submit(driver.find_element(By.ID, "erase-form"))
        assert "Персональные данные удалены" in f.text(), f.text()
        assert "Стёртый Клиентов" not in f.text()
        assert server.api("GET", f"/users/{erasable['id']}", token=admin)["email"] == f"erased-{erasable['id']}@erased.invalid"
        assert "удалены персональные данные пользователя #%d" % erasable["id"] in driver.find_element(By.ID, "audit-log").text
        event = server.api("GET", "/audit-events", token=admin)["items"][0]
        assert event["action"] == "personal_data_erased" and event["reason"] == "Заявление клиента № 7 от 02.12.2026", event
        other = server.api("POST", "/users", {"email": "erase.en@e2e.test", "name": "Erase English", "role": "customer"}, token=admin)
        f.go(f"/admin/users?edit={other['id']}")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        f.go(f"/admin/users?edit={other['id']}")
        form = driver.find_element(By.ID, "erase-form").text
        assert "Erase personal data" in form and "cannot be undone" in form and not CYRILLIC.findall(form), form
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=ru]"))

        f.step("a legal hold on a customer refuses the erasure with its reason until an admin releases it, saying why; both audited; in English too")
        held = server.api("POST", "/users", {"email": "held@e2e.test", "name": "Удержанный Клиент", "role": "customer"}, token=admin)
        f.go(f"/admin/users?edit={held['id']}")
        f.submit(driver.find_element(By.ID, "hold-form"))  # no grounds (form.submit() skips the browser's check): the server's
        assert "обязательное поле" in f.text(), f.text()
        assert server.api("GET", f"/legal-holds?user_id={held['id']}", token=admin)["items"] == []
        driver.find_element(By.ID, "hold-reason").send_keys("Дело А40-777-2026")
        f.submit(driver.find_element(By.ID, "hold-form"))
        assert "Удержание наложено" in f.text(), f.text()
        assert "Дело А40-777-2026" in driver.find_element(By.ID, "holds-list").text
        assert "наложено удержание данных пользователя #%d" % held["id"] in driver.find_element(By.ID, "audit-log").text
        driver.find_element(By.ID, "erase-reason").send_keys("Заявление клиента № 8")
        driver.find_element(By.ID, "erase-confirm").click()
        f.submit(driver.find_element(By.ID, "erase-form"))
        assert "под удержанием" in f.text() and "Дело А40-777-2026" in f.text(), f.text()
        assert server.api("GET", f"/users/{held['id']}", token=admin)["email"] == "held@e2e.test"
        f.go(f"/admin/users?edit={held['id']}")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        f.go(f"/admin/users?edit={held['id']}")
        card = driver.find_element(By.ID, "holds").text
        assert "Legal holds" in card and "active" in card and "Release" in card, card
        release = driver.find_element(By.CSS_SELECTOR, "#holds-list form")
        release.find_element(By.NAME, "reason").send_keys("Case closed")
        f.submit(release)
        assert "The hold is released" in f.text(), f.text()
        assert "released" in driver.find_element(By.ID, "holds-list").text
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=ru]"))
        f.go(f"/admin/users?edit={held['id']}")
        driver.find_element(By.ID, "erase-reason").send_keys("Заявление клиента № 8")
        driver.find_element(By.ID, "erase-confirm").click()
        f.submit(driver.find_element(By.ID, "erase-form"))
        assert "Персональные данные удалены" in f.text(), f.text()
        actions = [e["action"] for e in server.api("GET", "/audit-events?limit=3", token=admin)["items"]]
        assert actions == ["personal_data_erased", "legal_hold_released", "legal_hold_placed"], actions

        f.step("unknown pages and forged forms get pages a person understands")
        f.go("/agent/tickets/999999")
        assert "Страница не найдена" in f.text()
        f.go("/no/such/page")
        assert "Страница не найдена" in f.text()
        print(f"ok: {f.steps} steps on {database}")
    except Exception:
        keep_failure(driver, shots, server, "failure")
        raise
    finally:
        driver.quit()
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    run(sys.argv[1], "--postgres" in sys.argv[2:])
