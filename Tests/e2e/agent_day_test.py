#!/usr/bin/env python3
"""End-to-end test of the agent's day (issue 20) in headless Chromium, desktop and phone sizes.

Usage: python3 Tests/e2e/agent_day_test.py BINARY [--postgres]

1. a new admin lands on the queue with the setup checklist (what is done, what is not), and on
   "Настройки" with every setup page;
2. the dense queue: at 1440×900 at least 20 rows are visible; a ticket filed meanwhile shows as
   "1 новая заявка — показать" and "(1)" in the tab title, without a reload;
3. assign + reply + solve in at most 4 actions and one page load ("Взять себе", the text,
   "Отправить и → Решена"); the API sees the ticket solved, assigned and answered;
4. two agents on one ticket see each other ("тоже открыл(а)", "пишет ответ…"); a customer's
   reply appears on the open ticket page without a reload;
5. the header's search box: a ticket number opens it, a word finds it, an INN finds the organization,
   whose link lists its open tickets;
6. a macro sets fields with its text; "← К очереди" returns to the queue the agent came from;
7. accessibility: every control has a label, badges have contrast ≥ 4.5:1, a skip link;
8. at 390 px no page scrolls sideways (the document's width is measured), in both languages;
9. the ticket page in English.

Needs chromium and chromedriver, selenium.
"""
import os
import sys

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from e2e_server import Server, close, wait_for, main as e2e_main  # noqa: E402
from web_test import Flow, browser, keep_failure  # noqa: E402

ADMIN_EMAIL, ADMIN_PASSWORD = "admin@e2e.test", "admin-pass-1"

CONTRAST = """
const lum = c => { const m = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map(v => v / 255)
  .map(v => v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4)); return 0.2126 * m[0] + 0.7152 * m[1] + 0.0722 * m[2]; };
const bg = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor;
  if (c && !c.startsWith('rgba(0, 0, 0, 0)') && c !== 'transparent') return c; } return 'rgb(255, 255, 255)'; };
return Array.from(document.querySelectorAll('.badge')).map(b => { const a = lum(getComputedStyle(b).color), z = lum(bg(b));
  return [b.textContent, (Math.max(a, z) + 0.05) / (Math.min(a, z) + 0.05)]; });
"""

UNLABELLED = """
return Array.from(document.querySelectorAll('input:not([type=hidden]), select, textarea')).filter(el => {
  if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || el.closest('label')) return false;
  return !(el.id && document.querySelector('label[for="' + el.id + '"]'));
}).map(el => el.outerHTML.slice(0, 120));
"""


def visible_rows(driver):
    return driver.execute_script("""
        return Array.from(document.querySelectorAll('#queue tbody tr')).filter(r => { const b = r.getBoundingClientRect();
          return b.top >= 0 && b.bottom <= window.innerHeight; }).length;""")


def wide(driver):
    return driver.execute_script("return document.documentElement.scrollWidth")


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", database, "agent-day")
    os.makedirs(shots, exist_ok=True)
    server = one = two = None
    try:
        server = Server(binary, postgres, "agentday", admin_email=ADMIN_EMAIL, admin_password=ADMIN_PASSWORD)
        startup = server.start()
        print(f"agent's day end-to-end on {database}: {server.base} (started in {startup:.1f} s)")
        admin = server.api("POST", "/auth/token", {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})["token"]
        one, two = browser(), browser()
        one.set_window_size(1440, 900)
        a, b = Flow(server, one, shots), Flow(server, two, shots)

        a.step("a new admin sees the setup checklist on the queue and under «Настройки»")
        a.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        checklist = one.find_element(By.ID, "setup-checklist").text
        assert "Настройка поддержки: готово" in checklist and "Линии и специалисты" in checklist, checklist
        assert not one.find_elements(By.CSS_SELECTOR, "#setup-lines.done"), "no group yet, the first step is not done"
        a.shot("01-first-run-checklist")
        a.click(one.find_element(By.LINK_TEXT, "Настройки"))
        page = a.text()
        for name in ["Пользователи", "Группы", "Вопросы клиенту", "Рабочее время и SLA", "Почта", "Шаблоны ответов", "Баны", "Токены API"]:
            assert name in page, name
        nav = one.find_element(By.ID, "top-nav").find_elements(By.TAG_NAME, "a")
        assert len(nav) <= 13, [n.text for n in nav]

        group = server.api("POST", "/groups", {"name": "Первая линия"}, admin)
        anna = server.api("POST", "/users", {"email": "anna@e2e.test", "name": "Анна Специалистова", "role": "agent", "password": "agent-pass-1"}, admin)
        server.api("POST", "/users", {"email": "olga@e2e.test", "name": "Ольга Коллегова", "role": "agent", "password": "agent-pass-2"}, admin)
        server.api("PUT", f"/groups/{group['id']}/members/{anna['id']}", None, admin)
        a.go("/settings")
        assert one.find_elements(By.CSS_SELECTOR, "#setup-lines.done") and one.find_elements(By.CSS_SELECTOR, "#setup-team.done"), a.text()
        organization = server.api("POST", "/organizations", {"name": "ООО Василёк", "inn": "7707083893"}, admin)
        server.api("POST", "/users", {"email": "client@vasilek.test", "name": "Пётр Клиентов", "role": "customer",
                                                 "password": "customer-1", "organization_id": organization["id"]}, admin)
        client = server.api("POST", "/auth/token", {"email": "client@vasilek.test", "password": "customer-1"})["token"]
        numbers = [server.api("POST", "/tickets", {"subject": f"Вопрос по отчёту {i:02d}", "body": "Не формируется отчёт."}, client)["number"]
                   for i in range(25)]
        server.api("POST", "/canned-responses", {"title": "Ждём логи", "body": "Пришлите, пожалуйста, журнал ошибок.",
                                                 "sets": {"status": "pending", "priority": "high"}}, admin)

        a.step("the dense queue: at least 20 rows at 1440×900; a new ticket arrives without a reload")
        a.sign_in("anna@e2e.test", "agent-pass-1")
        a.go("/agent/queues/unassigned")
        rows = visible_rows(one)
        assert rows >= 20, f"only {rows} rows visible"
        page_element = one.find_element(By.TAG_NAME, "html")
        fresh = server.api("POST", "/tickets", {"subject": "Срочно: касса не печатает", "body": "Касса не печатает чеки."}, client)["number"]
        wait_for("the new-ticket bar", lambda: one.find_element(By.ID, "queue-news").text, ok=lambda t: "1 новая заявка" in t, timeout=15)
        assert one.title.startswith("(1) "), one.title
        page_element.is_enabled()   # the same page: no reload happened
        a.shot("02-live-queue")
        a.click(one.find_element(By.ID, "queue-news"))
        assert one.find_elements(By.ID, f"ticket-{fresh}"), "the bar shows the new ticket"

        a.step("assign + reply + solve: at most 4 actions, one page load")
        target = numbers[3]
        a.click(one.find_element(By.CSS_SELECTOR, f"#ticket-{target} td.subject a"))
        actions = 0
        one.find_element(By.ID, "take-it").click(); actions += 1
        one.find_element(By.ID, "composer-body").send_keys("Исправили шаблон отчёта, попробуйте снова."); actions += 1
        a.click(one.find_element(By.ID, "send-solved")); actions += 1
        assert actions <= 4, actions
        assert "Ответ отправлен" in a.text(), a.text()
        ticket = server.api("GET", f"/tickets/{target}", token=admin)
        assert ticket["status"] == "solved" and ticket["assignee"]["id"] == anna["id"], ticket
        comments = server.api("GET", f"/tickets/{target}/comments", token=admin)["items"]
        assert any("Исправили шаблон отчёта" in c["body"] and c["public"] for c in comments), comments
        history = a.text()
        assert "исполнитель: никто → Анна Специалистова" in history, history
        a.shot("03-assigned-replied-solved")

        a.step("«← К очереди» returns to the queue the agent came from")
        a.click(one.find_element(By.ID, "back-to-queue"))
        assert one.current_url.endswith("/agent/queues/unassigned"), one.current_url

        a.step("two agents on one ticket see each other; a customer's reply appears without a reload")
        shared = numbers[5]
        b.sign_in("olga@e2e.test", "agent-pass-2")
        b.go(f"/agent/tickets/{shared}")
        a.go(f"/agent/tickets/{shared}")
        wait_for("Ольга on Анна's page", lambda: one.find_element(By.ID, "presence").text,
                 ok=lambda t: "Ольга Коллегова тоже открыл(а) эту заявку" in t, timeout=20)
        wait_for("Анна on Ольга's page", lambda: two.find_element(By.ID, "presence").text, ok=lambda t: "Анна Специалистова" in t, timeout=20)
        two.find_element(By.ID, "composer-body").send_keys("Сейчас посмотрю")
        wait_for("Ольга typing", lambda: one.find_element(By.ID, "presence").text, ok=lambda t: "Ольга Коллегова пишет ответ…" in t, timeout=20)
        a.shot("04-presence")
        page_element = one.find_element(By.TAG_NAME, "html")
        server.api("POST", f"/tickets/{shared}/comments", {"body": "Добавлю: ошибка появляется только в пятницу."}, client)
        wait_for("the customer's reply on the open page", lambda: one.find_element(By.ID, "timeline").text,
                 ok=lambda t: "только в пятницу" in t, timeout=20)
        page_element.is_enabled()
        assert not one.find_element(By.ID, "live-news").get_attribute("hidden"), "the page says something new arrived"
        a.shot("05-live-reply")

        a.step("a macro sets its fields with its text")
        from selenium.webdriver.support.ui import Select
        Select(one.find_element(By.ID, "canned")).select_by_visible_text("Ждём логи")
        assert Select(one.find_element(By.ID, "f-status")).first_selected_option.get_attribute("value") == "pending"
        assert Select(one.find_element(By.ID, "f-priority")).first_selected_option.get_attribute("value") == "high"
        a.click(one.find_element(By.ID, "composer-send"))
        ticket = server.api("GET", f"/tickets/{shared}", token=admin)
        assert ticket["status"] == "pending" and ticket["priority"] == "high", ticket

        a.step("the header's search: a number opens the ticket, a word finds it, an INN finds the organization")
        box = one.find_element(By.ID, "top-q")
        box.send_keys(str(fresh))
        a.navigate(lambda: box.send_keys(Keys.ENTER))
        assert one.current_url.endswith(f"/agent/tickets/{fresh}"), one.current_url
        box = one.find_element(By.ID, "top-q")
        box.send_keys("касса")
        a.navigate(lambda: box.send_keys(Keys.ENTER))
        assert one.find_elements(By.CSS_SELECTOR, f"#ticket-results li[data-ticket='{fresh}']"), a.text()
        box = one.find_element(By.ID, "top-q")
        box.send_keys("7707083893")
        a.navigate(lambda: box.send_keys(Keys.ENTER))
        assert "ООО Василёк" in one.find_element(By.ID, "people-results").text, a.text()
        a.click(one.find_element(By.CSS_SELECTOR, "#people-results a.org-queue"))
        assert f"organization_id={organization['id']}" in one.current_url, one.current_url
        assert one.find_elements(By.ID, f"ticket-{fresh}"), "the organization's open tickets are listed"

        a.step("accessibility: labels, badge contrast, skip link")
        a.go(f"/agent/tickets/{shared}")
        unlabelled = one.execute_script(UNLABELLED)
        assert not unlabelled, unlabelled
        low = [(text, ratio) for text, ratio in one.execute_script(CONTRAST) if ratio < 4.5]
        assert not low, low
        assert one.find_element(By.CSS_SELECTOR, "a.skip-link").get_attribute("href").endswith("#content")
        a.go("/agent/queues/unassigned")
        assert not one.execute_script(UNLABELLED), one.execute_script(UNLABELLED)

        a.step("at 390 px nothing scrolls sideways, in Russian and in English")
        one.set_window_size(390, 844)
        pages = ["/agent/queues/unassigned", f"/agent/tickets/{shared}", "/agent/search?q=касса", "/settings", "/agent/workload",
                 "/directory", "/agent/problems", "/agent/kb", "/agent/chats"]
        for language in ["ru", "en"]:
            if language == "en":
                a.go(f"/agent/tickets/{shared}")
                one.find_element(By.ID, "menu-toggle").click()
                a.click(one.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
            for path in pages:
                a.go(path)
                width = wide(one)
                assert width <= 390, f"{path} ({language}) is {width} px wide"
            a.go(f"/agent/tickets/{shared}")
            a.shot(f"06-phone-ticket-{language}")
        c = Flow(server, two, shots)
        c.sign_in("client@vasilek.test", "customer-1")
        two.set_window_size(390, 844)
        for path in ["/portal", "/portal/new", f"/portal/requests/{shared}"]:
            c.go(path)
            width = wide(two)
            assert width <= 390, f"{path} (customer) is {width} px wide"
        c.shot("07-phone-portal")

        a.step("the ticket page in English")
        one.set_window_size(1440, 900)
        a.go(f"/agent/tickets/{numbers[7]}")
        assert one.find_element(By.ID, "send-solved").text.startswith("Send and → "), one.find_element(By.ID, "send-solved").text
        assert one.find_element(By.ID, "take-it").text == "Take it"
        a.shot("08-ticket-english")
        print(f"agent's day on {database}: passed")
    except Exception:
        for driver in (one, two):
            if driver is not None and server is not None:
                keep_failure(driver, shots, server, "agent-day-failure-" + ("one" if driver is one else "two"))
        raise
    finally:
        close(server, one, two)


if __name__ == "__main__":
    e2e_main(__doc__, run)
