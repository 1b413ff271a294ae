#!/usr/bin/env python3
"""End-to-end test of the widget and live chat (issue 19, SPEC C4) in two headless Chromium browsers.

Usage: python3 Tests/e2e/widget_test.py BINARY [--postgres]

Starts `zayavka serve` with ZAYAVKA_WIDGET_ORIGINS naming a host product served by a small static
server on another origin (http://localhost:<port>, the desk being http://127.0.0.1:<port>), and a
widget secret. The host's pages include the one `<script>` tag; then:

1. identified: the host signs its user's token (HS256); the customer opens the widget, files a
   request with a screenshot and an intake answer; the ticket has channel widget, the requester is
   the host's user (in the host's organization), the screenshot is attached; "Мои заявки" lists it;
2. nobody on shift: the chat tab offers a request instead;
3. an agent goes on shift and opens the chat console; the customer starts a chat: it appears in
   the console without a reload; agent and customer talk live both ways; the agent ends it; the
   ticket (channel chat) holds the whole transcript;
4. anonymous: a visitor on another page gives a name and an address, is registered, files a
   request with a screenshot, and sees only that request;
5. a forged token: the panel says the signature is not valid and asks the visitor to introduce themselves;
6. the panel in English.

Needs chromium and chromedriver, selenium.
"""
import base64
import functools
import hashlib
import hmac
import http.server
import json
import os
import sys
import tempfile
import threading
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_server import Server, close, free_port, main as e2e_main  # noqa: E402
from web_test import Flow, browser, keep_failure, png  # noqa: E402

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.test", "admin-pass-1"
SECRET = "go-crm-widget-secret-0123456789abcdef"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def identity_token(claims, secret=SECRET):
    header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = b64(json.dumps(claims).encode())
    signature = b64(hmac.new(secret.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest())
    return f"{header}.{payload}.{signature}"


def host_page(desk, token=None):
    attribute = f' data-token="{token}"' if token else ""
    return f"""<!doctype html><html lang="ru"><head><meta charset="utf-8"><title>Go-CRM</title></head>
<body><h1>Go-CRM: сделки</h1><p>Рабочее место менеджера.</p>
<script src="{desk}/widget.js"{attribute} async></script></body></html>"""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def serve_host(directory):
    port = free_port()
    handler = functools.partial(QuietHandler, directory=directory)
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://localhost:{port}"


def wait(driver, condition, timeout=15):
    return WebDriverWait(driver, timeout).until(condition)


def open_widget(driver, url):
    driver.get(url)
    wait(driver, lambda d: d.find_elements(By.ID, "zayavka-launcher"))
    driver.find_element(By.ID, "zayavka-launcher").click()
    frame = wait(driver, lambda d: d.find_element(By.ID, "zayavka-frame"))
    driver.switch_to.frame(frame)


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", database)
    os.makedirs(shots, exist_ok=True)
    pages = tempfile.mkdtemp(prefix="zayavka-host-")
    httpd, host = serve_host(pages)
    server = customer = agent = None
    try:
        server = Server(binary, postgres, "widget", env={"ZAYAVKA_WIDGET_ORIGINS": host, "ZAYAVKA_WIDGET_SECRET": SECRET},
                        admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)
        startup = server.start()
        print(f"widget end-to-end on {database}: desk {server.base}, host product {host} (started in {startup:.1f} s)")
        admin = server.api("POST", "/auth/token", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
        organization = server.api("POST", "/organizations", {"name": "ООО Ромашка"}, admin)
        server.api("POST", "/intake-fields", {"key": "crm_section", "kind": "text", "label_ru": "Раздел CRM", "label_en": "CRM section",
                                              "customer_visible": True}, admin)
        agent_user = server.api("POST", "/users", {"email": "petr@zayavka.test", "name": "Пётр Агентов", "role": "agent",
                                                   "password": "password-1-agent"}, admin)
        token = identity_token({"email": "anna@romashka.ru", "name": "Анна Смирнова", "organization": "ООО Ромашка",
                                "exp": int(time.time()) + 3600})
        with open(os.path.join(pages, "identified.html"), "w") as out:
            out.write(host_page(server.base, token))
        with open(os.path.join(pages, "anonymous.html"), "w") as out:
            out.write(host_page(server.base))
        with open(os.path.join(pages, "forged.html"), "w") as out:
            out.write(host_page(server.base, identity_token({"email": "boss@romashka.ru", "exp": int(time.time()) + 3600}, "wrong-secret")))
        screenshot = os.path.join(pages, "screen.png")
        png(screenshot, 64, 48)

        customer = browser()
        agent = browser()
        c = Flow(server, customer, shots)
        a = Flow(server, agent, shots)

        c.step("identified: the host's user opens the widget, files a request with a screenshot and an intake answer")
        open_widget(customer, host + "/identified.html")
        wait(customer, lambda d: d.find_element(By.ID, "zw-tab-new")).click()
        customer.find_element(By.ID, "zw-subject").send_keys("Не загружается отчёт по сделкам")
        customer.find_element(By.ID, "zw-f-crm_section").send_keys("Сделки")
        customer.find_element(By.ID, "zw-body-text").send_keys("Отчёт за ноябрь крутится бесконечно, скриншот приложен.")
        customer.find_element(By.ID, "zw-files").send_keys(screenshot)
        customer.find_element(By.ID, "zw-send").click()
        created = wait(customer, lambda d: d.find_element(By.ID, "zw-created"))
        number = int(created.get_attribute("data-number"))
        assert f"№{number}" in created.text, created.text
        c.shot("widget-created")
        ticket = server.api("GET", f"/tickets/{number}", token=admin)
        assert ticket["channel"] == "widget" and ticket["requester"]["name"] == "Анна Смирнова", ticket
        assert ticket["organization"] and ticket["organization"]["id"] == organization["id"], ticket
        assert ticket["fields"].get("crm_section") == "Сделки", ticket["fields"]
        comments = server.api("GET", f"/tickets/{number}/comments", token=admin)["items"]
        files = [f["filename"] for item in comments for f in item["attachments"]]
        assert files == ["screen.png"], files
        customer.find_element(By.ID, "zw-tab-list").click()
        listed = wait(customer, lambda d: d.find_element(By.ID, "zw-requests"))
        assert "Не загружается отчёт по сделкам" in listed.text, listed.text

        c.step("nobody on shift: the chat tab offers a request instead")
        customer.find_element(By.ID, "zw-tab-chat").click()
        offline = wait(customer, lambda d: d.find_element(By.ID, "zw-offline"))
        assert "никого нет" in offline.text, offline.text

        c.step("the agent goes on shift and opens the chat console (live)")
        server.api("PATCH", f"/users/{agent_user['id']}", {"on_shift": True}, admin)
        a.sign_in("petr@zayavka.test", "password-1-agent")
        a.click(agent.find_element(By.LINK_TEXT, "Чаты"))
        wait(agent, lambda d: d.find_element(By.ID, "chat-console").get_attribute("data-live") == "1")
        time.sleep(2.2)  # the desk checks who is on shift at most every 2 s

        c.step("the customer starts a chat; it appears in the agent's console without a reload")
        customer.find_element(By.ID, "zw-tab-new").click()
        customer.find_element(By.ID, "zw-tab-chat").click()
        wait(customer, lambda d: d.find_element(By.ID, "zw-chat-first")).send_keys("Здравствуйте! Отчёт так и не открылся.")
        customer.find_element(By.ID, "zw-chat-begin").click()
        state = wait(customer, lambda d: d.find_element(By.ID, "zw-chat-state"))
        chat = server.api("GET", "/chats", token=admin)["items"]
        assert len(chat) == 1 and chat[0]["state"] == "waiting", chat
        chat_number = chat[0]["number"]
        item = wait(agent, lambda d: d.find_element(By.CSS_SELECTOR, f"#chat-list li.waiting[data-number='{chat_number}']"))
        assert "Анна Смирнова" in item.text and "Отчёт так и не открылся" in item.text, item.text
        assert agent.title.startswith("(1)"), agent.title
        a.shot("chat-console-waiting")

        c.step("the agent takes it and answers; the customer sees the answer and who is talking, live")
        item.click()
        wait(agent, lambda d: d.find_element(By.ID, "chat-input")).send_keys("Добрый день, Анна! Сейчас посмотрю.")
        agent.find_element(By.ID, "chat-send").click()
        wait(customer, lambda d: "Сейчас посмотрю" in d.find_element(By.ID, "zw-chat-messages").text)
        wait(customer, lambda d: d.find_element(By.ID, "zw-chat-state").get_attribute("data-state") == "active")
        assert "Пётр Агентов" in state.text, state.text

        c.step("the customer answers; the agent sees it live")
        customer.find_element(By.ID, "zw-chat-input").send_keys("Спасибо! Жду.")
        customer.find_element(By.ID, "zw-chat-send").click()
        wait(agent, lambda d: "Спасибо! Жду." in d.find_element(By.ID, "chat-messages").text)
        c.shot("widget-chat")
        a.shot("chat-console-talking")

        c.step("the agent ends the chat; the customer is told; the ticket holds the whole transcript")
        agent.find_element(By.ID, "chat-end").click()
        wait(customer, lambda d: d.find_element(By.ID, "zw-chat-state").get_attribute("data-state") == "ended")
        assert "Переписка сохранена" in customer.find_element(By.ID, "zw-chat-state").text
        transcript = server.api("GET", f"/chats/{chat_number}", token=admin)
        assert transcript["state"] == "ended" and transcript["agent"]["name"] == "Пётр Агентов", transcript
        said = [(m["from"], m["text"]) for m in transcript["messages"]]
        assert said == [("customer", "Здравствуйте! Отчёт так и не открылся."), ("agent", "Добрый день, Анна! Сейчас посмотрю."),
                        ("customer", "Спасибо! Жду.")], said
        chat_ticket = server.api("GET", f"/tickets/{chat_number}", token=admin)
        assert chat_ticket["channel"] == "chat" and chat_ticket["assignee"]["name"] == "Пётр Агентов", chat_ticket
        customer.switch_to.default_content()

        c.step("anonymous: a visitor introduces themselves, files a request with a screenshot and sees only it")
        customer.switch_to.new_window("tab")
        open_widget(customer, host + "/anonymous.html")
        wait(customer, lambda d: d.find_element(By.ID, "zw-name")).send_keys("Иван Гостев")
        customer.find_element(By.ID, "zw-email").send_keys("ivan@guest.ru")
        customer.find_element(By.ID, "zw-start").click()
        wait(customer, lambda d: d.find_element(By.ID, "zw-tab-new")).click()
        customer.find_element(By.ID, "zw-subject").send_keys("Как выгрузить контакты?")
        customer.find_element(By.ID, "zw-body-text").send_keys("Нужна выгрузка в Excel.")
        customer.find_element(By.ID, "zw-files").send_keys(screenshot)
        customer.find_element(By.ID, "zw-send").click()
        anonymous = int(wait(customer, lambda d: d.find_element(By.ID, "zw-created")).get_attribute("data-number"))
        filed = server.api("GET", f"/tickets/{anonymous}", token=admin)
        assert filed["channel"] == "widget" and filed["requester"]["name"] == "Иван Гостев", filed
        users = server.api("GET", "/users?email=ivan@guest.ru", token=admin)["items"]
        assert len(users) == 1 and users[0]["role"] == "customer", users
        customer.find_element(By.ID, "zw-tab-list").click()
        mine = wait(customer, lambda d: d.find_element(By.ID, "zw-requests"))
        assert [li.get_attribute("data-number") for li in mine.find_elements(By.TAG_NAME, "li")] == [str(anonymous)], mine.text
        customer.switch_to.default_content()

        c.step("a forged token: the panel says the signature is not valid")
        customer.switch_to.new_window("tab")
        open_widget(customer, host + "/forged.html")
        refused = wait(customer, lambda d: d.find_element(By.CSS_SELECTOR, "#zw-intro .zw-error"))
        assert "Подпись пользователя недействительна" in refused.text, refused.text
        assert not server.api("GET", "/users?email=boss@romashka.ru", token=admin)["items"]
        customer.switch_to.default_content()

        c.step("the panel in English")
        customer.get(server.base + "/widget/panel?lang=en")
        wait(customer, lambda d: d.find_element(By.ID, "zw-intro"))
        assert "Tell us who you are" in customer.find_element(By.ID, "zw-body").text
        print(f"widget end-to-end on {database}: passed ({c.steps} steps)")
    except Exception:
        for driver in (customer, agent):
            if driver is not None and server is not None:
                try:
                    driver.switch_to.default_content()
                except Exception:
                    pass
                keep_failure(driver, shots, server, "widget-failure-" + ("customer" if driver is customer else "agent"))
        raise
    finally:
        close(server, customer, agent)
        httpd.shutdown()


if __name__ == "__main__":
    e2e_main(__doc__, run)
