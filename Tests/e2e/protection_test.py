#!/usr/bin/env python3
"""End-to-end test of bans and load blocks (issue 19, SPEC X1 and X2) in headless Chromium.

Usage: python3 Tests/e2e/protection_test.py BINARY [--postgres]

Starts `zayavka serve` on a fresh database with a small per-account limit (0.2 a second, bursts of
20) that blocks after 6 refusals, then:

1. a customer files a request and an agent warns them twice and asks for a ban (API);
2. the customer signs in to the portal in the browser and sees their request;
3. the manager goes to the bans page by the "Баны" link under "Настройки", sees the request with the customer and
   their two warnings, and bans them until a date through the form;
4. the customer's open portal page now says access is closed, until when, and a new sign-in says
   the same; mail and API refuse too (API: 403 `banned`);
5. the manager lifts the ban with the grounds; the customer signs in and sees the portal again;
6. another customer's script hammers the API: 429 `rate_limited`, then `blocked`; the manager's
   page lists the block with who and until when; "Разблокировать" serves the script again;
7. the page in English after the language switch.

Needs chromium and chromedriver, selenium.
"""
import json
import os
import sys
import time

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_server import Server, close, main as e2e_main, wait_for  # noqa: E402
from web_test import Flow, browser, keep_failure  # noqa: E402

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.test", "admin-pass-1"


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", database)
    os.makedirs(shots, exist_ok=True)
    server = driver = None
    try:
        server = Server(binary, postgres, "protection", env={
            "ZAYAVKA_LIMIT_ACCOUNT": "0.2/20", "ZAYAVKA_BLOCK_AFTER": "6", "ZAYAVKA_BLOCK_MINUTES": "5",
            "ZAYAVKA_SUPPORT_ADDRESSES": "support@zayavka.test", "ZAYAVKA_MAIL_FROM": "Поддержка <support@zayavka.test>"},
                        admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)
        startup = server.start()
        driver = browser()
        f = Flow(server, driver, shots)
        print(f"protection end-to-end on {database} at {server.base} (started in {startup:.1f} s)")
        admin = server.api("POST", "/auth/token", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
        people = {}
        for email, name, role in [("rude@client.ru", "Грубиян Петров", "customer"), ("agent@zayavka.test", "Пётр", "agent"),
                                  ("boss@zayavka.test", "Ольга", "manager"), ("script@client.ru", "Скрипт", "customer")]:
            server.api("POST", "/users", {"email": email, "name": name, "role": role, "password": "password-1-" + role}, admin)
            people[email] = server.api("POST", "/auth/token", {"email": email, "password": "password-1-" + role})["token"]

        f.step("a customer files a request; the agent warns twice and asks for a ban (API)")
        number = server.api("POST", "/tickets", {"subject": "Вы все бездельники", "body": "Почему до сих пор не работает?!"},
                            people["rude@client.ru"])["number"]
        agent = people["agent@zayavka.test"]
        assert server.api("POST", f"/tickets/{number}/warning", {}, agent)["ban_offered"] is False
        assert server.api("POST", f"/tickets/{number}/warning", {}, agent)["ban_offered"] is True
        assert server.api("POST", f"/tickets/{number}/warning", {"request_ban": True}, agent)["ban_requested"] is True

        f.step("browser: the customer signs in and sees the request in the portal")
        f.sign_in("rude@client.ru", "password-1-customer")
        assert "/portal" in driver.current_url and "Вы все бездельники" in f.text(), driver.current_url

        f.step("browser: the manager opens «Баны» from the menu, sees the request with two warnings, bans until 01.06.2099 10:00")
        f.sign_in("boss@zayavka.test", "password-1-manager")
        f.click(driver.find_element(By.LINK_TEXT, "Настройки"))
        f.click(driver.find_element(By.LINK_TEXT, "Баны"))
        assert driver.current_url.endswith("/admin/bans"), driver.current_url
        row = driver.find_element(By.CSS_SELECTOR, "#ban-requests tbody tr")
        assert "rude@client.ru" in row.text and "замечаний: 2" in row.text and f"№{number}" in row.text, row.text
        form = row.find_element(By.CSS_SELECTOR, "form[id^=ban-approve]")
        form.find_element(By.NAME, "reason").send_keys("Хамство после двух замечаний")
        until = form.find_element(By.NAME, "until")
        driver.execute_script("arguments[0].value = '2099-06-01T10:00'", until)
        f.submit(form)
        assert "notice=banned" in driver.current_url, driver.current_url
        bans = driver.find_element(By.ID, "bans").text
        assert "Грубиян Петров" in bans and "Хамство после двух замечаний" in bans and "01.06.2099 10:00" in bans, bans
        assert "Запросов нет" in f.text()
        f.shot("admin-bans")
        ban = server.api("GET", "/bans", token=admin)["items"][0]
        assert ban["ends_at"].startswith("2099-06-01T07:00"), ban

        f.step("the customer is refused everywhere: a new sign-in and every portal page say until when; the API answers 403 banned")
        f.sign_in("rude@client.ru", "password-1-customer")
        text = f.text()
        assert "Доступ к службе поддержки для вас закрыт до 01.06.2099 10:00" in text, text[:600]
        status, raw = server.request("GET", "/tickets", token=people["rude@client.ru"])
        assert status == 403 and json.loads(raw)["error"]["code"] == "banned", (status, raw[:300])
        f.shot("banned-sign-in")

        f.step("browser: the manager lifts the ban with the grounds; the customer signs in and sees the portal")
        f.sign_in("boss@zayavka.test", "password-1-manager")
        f.go("/admin/bans")
        lift = driver.find_element(By.CSS_SELECTOR, "form[id^=ban-lift]")
        lift.find_element(By.NAME, "reason").send_keys("Извинился письменно")
        f.submit(lift)
        assert "доступ восстановлен во всех каналах" in f.text(), f.text()[:500]
        assert "Извинился письменно" in driver.find_element(By.ID, "ban-history").text
        f.sign_in("rude@client.ru", "password-1-customer")
        assert "/portal" in driver.current_url and "Вы все бездельники" in f.text(), driver.current_url

        f.step("another customer's script hammers the API: 429 rate_limited, then blocked (the owner is mailed)")
        script = people["script@client.ru"]
        codes = []
        for _ in range(30):
            status, raw = server.request("GET", "/me", token=script)
            codes.append(json.loads(raw)["error"]["code"] if status == 429 else status)
        assert codes[:20] == [200] * 20 and "rate_limited" in codes, codes
        blocked = wait_for("the block", lambda: server.request("GET", "/me", token=script),
                           lambda reply: reply[0] == 429 and json.loads(reply[1])["error"]["code"] == "blocked", timeout=10)
        print(f"      answers: {codes}; then {json.loads(blocked[1])['error']['message'][:90]}…")
        outbox = server.api("GET", "/mail/outbox?limit=50", token=admin)["items"]
        assert any(m.get("kind") == "account_blocked" for m in outbox), [m.get("kind") for m in outbox]

        f.step("browser: the manager sees the block with who and until when and unblocks it; the script is served again")
        f.sign_in("boss@zayavka.test", "password-1-manager")
        f.go("/admin/bans")
        blocks = driver.find_element(By.ID, "load-blocks").text
        assert "script@client.ru" in blocks and "запросов сверх лимита" in blocks, blocks
        driver.execute_script("arguments[0].scrollIntoView()", driver.find_element(By.ID, "load-blocks"))
        f.shot("admin-load-blocks")
        f.click(driver.find_element(By.CSS_SELECTOR, "#load-blocks button"))
        assert "Блокировка снята" in f.text(), f.text()[:400]
        time.sleep(0.2)
        assert server.request("GET", "/me", token=script)[0] == 200

        f.step("browser: the page in English after the language switch")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        assert driver.find_element(By.TAG_NAME, "h1").text == "Bans", driver.find_element(By.TAG_NAME, "h1").text
        assert "Blocks for anomalous load" in f.text() and "Ban requests (0)" in f.text()
        print(f"protection end-to-end on {database}: passed ({f.steps} steps)")
    except Exception:
        if driver is not None and server is not None:
            keep_failure(driver, shots, server, "protection-failure")
        raise
    finally:
        close(server, driver)


if __name__ == "__main__":
    e2e_main(__doc__, run)
