#!/usr/bin/env python3
"""Quality in a real browser (issue 18): the resolution report, the satisfaction survey, a
conversation review, service feedback and the reports.

Usage: python3 Tests/e2e/quality_test.py BINARY [--postgres]

An agent solves an incident and must write the resolution report; the customer confirms from the
mail's link without signing in; the survey arrives and the customer rates "Bad" with a comment
from its link; the group's manager is told; the manager samples and scores the conversation; a
visitor sends feedback that the manager works through; the report page draws its charts and its
CSV has the page's totals; the pages work in English.
"""
import email
import email.policy
import os
import re
import sys
import time
import urllib.request

from selenium.webdriver.common.by import By

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_test import Flow, Server, browser, keep_failure  # noqa: E402


def wait_for_mail(server, admin, kind, to, seconds=30):
    """The text of the first queued mail of `kind` to `to` (the jobs run every second here)."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        waiting = [i for i in server.api("GET", "/mail/outbox?status=queued&limit=200", token=admin)["items"] if i["kind"] == kind and i["to"] == to]
        if waiting:
            message = email.message_from_bytes(server.raw(f"/mail/outbox/{waiting[0]['id']}/raw", admin), policy=email.policy.default)
            return message.get_content()
        time.sleep(0.5)
    raise AssertionError(f"no {kind} mail to {to} within {seconds} s")


def link(text, suffix):
    found = re.search(r"https?://\S+/q/[A-Za-z0-9_.-]+\?" + re.escape(suffix), text)
    assert found, text
    return found.group(0)


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", "quality-" + database)
    os.makedirs(shots, exist_ok=True)
    server = Server(binary, postgres, {"ZAYAVKA_JOBS_SECONDS": "1"})
    driver = browser()
    try:
        f = Flow(server, driver, shots)
        print(f"quality end-to-end on {database} at {server.base}")
        admin = server.api("POST", "/auth/token", {"email": "admin@e2e.test", "password": "admin-pass-1"})["token"]
        server.api("PATCH", "/quality/settings", {"survey_delay_minutes": 0, "resolution_required": {"incident": ["fixed", "how"]}}, admin)
        agent = server.api("POST", "/users", {"email": "agent@e2e.test", "name": "Анна Специалистова", "role": "agent", "password": "agent-pass-1"}, admin)
        manager = server.api("POST", "/users", {"email": "boss@e2e.test", "name": "Борис Руководитель", "role": "manager", "password": "boss-pass-1"}, admin)
        server.api("POST", "/users", {"email": "client@e2e.test", "name": "Ирина Клиентова", "role": "customer", "password": "client-pass-1"}, admin)
        group = server.api("POST", "/groups", {"name": "Касса"}, admin)
        server.api("PUT", f"/groups/{group['id']}/members/{manager['id']}", None, admin)
        customer = server.api("POST", "/auth/token", {"email": "client@e2e.test", "password": "client-pass-1"})["token"]
        ticket = server.api("POST", "/tickets", {"subject": "Касса не печатает чеки", "body": "После обновления касса перестала печатать чеки.",
                                                 "type": "incident"}, customer)
        number = ticket["number"]
        server.api("PATCH", f"/tickets/{number}", {"assignee_id": agent["id"], "group_id": group["id"]}, admin)

        f.step("the agent solves the incident with a reply: without the report it is refused, with it the reply goes out")
        f.sign_in("agent@e2e.test", "agent-pass-1")
        f.go(f"/agent/tickets/{number}")
        assert driver.find_element(By.ID, "resolution-fields").get_attribute("open") is not None, "the report is required here, so it is open"
        driver.find_element(By.ID, "composer-body").send_keys("Переустановили драйвер ККТ, чеки печатаются.")
        f.click(driver.find_element(By.ID, "send-solved"))
        errors = driver.find_element(By.CSS_SELECTOR, "#resolution-fields .errors").text
        assert "Что исправлено" in errors and "обязательное поле" in errors, errors
        assert server.api("GET", f"/tickets/{number}", token=admin)["status"] != "solved"
        driver.find_element(By.ID, "resolution-fixed").send_keys("Печать чеков после обновления кассы")
        driver.find_element(By.ID, "resolution-how").send_keys("Переустановили драйвер ККТ версии 10.9")
        driver.find_element(By.ID, "resolution-prevention").send_keys("Обновляйте драйвер вместе с кассой")
        driver.find_element(By.ID, "resolution-check").send_keys("Пробейте тестовый чек")
        f.click(driver.find_element(By.ID, "send-solved"))
        assert "Ответ отправлен" in f.text(), f.text()
        assert "Переустановили драйвер ККТ версии 10.9" in driver.find_element(By.ID, "resolution").text
        assert server.api("GET", f"/tickets/{number}", token=admin)["status"] == "solved"
        f.sign_out()

        f.step("the customer's mail carries the report; its link confirms that it works, without signing in")
        reply = wait_for_mail(server, admin, "public_reply", "client@e2e.test")
        assert "Пробейте тестовый чек" in reply, reply
        driver.delete_all_cookies()
        f.go(link(reply, "a=works")[len(server.base):])
        assert "Спасибо! Мы отметили, что всё работает." in driver.find_element(By.ID, "resolution-done").text, f.text()
        assert server.api("GET", f"/tickets/{number}/resolutions", token=admin)["items"][0]["outcome"] == "works"
        damaged = link(reply, "a=works")[len(server.base):].replace("?a=works", "")
        f.go(damaged[:-6] + ("AAAAAA" if not damaged.endswith("AAAAAA") else "BBBBBB") + "?a=works")
        assert "Ссылка недействительна" in f.text(), f.text()

        f.step("the survey arrives; the customer rates Bad from the link and says why; the group's manager is told")
        survey = wait_for_mail(server, admin, "satisfaction_survey", "client@e2e.test")
        driver.delete_all_cookies()
        f.go(link(survey, "r=bad")[len(server.base):])
        assert "Спасибо за честную оценку" in driver.find_element(By.ID, "survey-thanks").text, f.text()
        driver.find_element(By.ID, "survey-comment").send_keys("Ответа ждали полдня")
        f.submit(driver.find_element(By.ID, "survey-form"))
        assert driver.find_element(By.ID, "survey-comment").get_attribute("value") == "Ответа ждали полдня"
        rating = server.api("GET", f"/tickets/{number}/satisfaction", token=admin)["items"][0]
        assert (rating["rating"], rating["comment"]) == ("bad", "Ответа ждали полдня"), rating
        alert = wait_for_mail(server, admin, "bad_rating", "boss@e2e.test")
        assert "Ответа ждали полдня" in alert, alert

        f.step("the customer sees the rating on the request; the agent sees it on the ticket")
        f.sign_in("client@e2e.test", "client-pass-1")
        f.go(f"/portal/requests/{number}")
        assert "«Плохо»" in driver.find_element(By.ID, "rating").text
        assert "Переустановили драйвер" in driver.find_element(By.ID, "resolution").text
        f.sign_out()

        f.step("the manager draws this week's sample and scores the conversation on the review page")
        f.sign_in("boss@e2e.test", "boss-pass-1")
        f.go("/agent/reviews")
        week = driver.find_element(By.ID, "sample-week")
        driver.execute_script("arguments[0].value = arguments[1]", week, time.strftime("%Y-%m-%d", time.gmtime(time.time() + 3 * 3600)))
        f.submit(driver.find_element(By.ID, "sample-form"))
        assert "Выборка сформирована" in f.text(), f.text()
        f.click(driver.find_element(By.XPATH, f"//section[@id='reviews-pending']//a[contains(text(), '№{number}')]"))
        assert "Переустановили драйвер ККТ, чеки печатаются." in driver.find_element(By.ID, "timeline").text
        for criterion, score in (("tone", 5), ("expertise", 5), ("no_false_promises", 4), ("regulation_times", 2)):
            driver.find_element(By.ID, f"score-{criterion}-{score}").click()
        driver.find_element(By.ID, "review-comment").send_keys("Решение верное, но ответ задержан")
        f.submit(driver.find_element(By.ID, "review-form"))
        assert "Изменения сохранены" in f.text(), f.text()
        # (25·5 + 30·5 + 25·4 + 20·2) / 500 = 83 %.
        assert "83,0 из 100" in driver.find_element(By.ID, "review-result").text, driver.find_element(By.ID, "review-result").text
        f.sign_out()

        f.step("a visitor sends feedback about the service: an empty form is refused, a full one accepted; the manager handles it")
        driver.delete_all_cookies()
        f.go("/feedback")
        f.submit(driver.find_element(By.ID, "feedback-form"))
        assert "обязательное поле" in f.text(), f.text()
        driver.find_element(By.ID, "feedback-name").send_keys("Пётр Посетитель")
        driver.find_element(By.ID, "feedback-contact").send_keys("petr@example.ru")
        driver.find_element(By.ID, "feedback-body").send_keys("Хотелось бы отвечать быстрее в выходные.")
        f.submit(driver.find_element(By.ID, "feedback-form"))
        assert "получено" in driver.find_element(By.ID, "feedback-sent").text, f.text()
        f.sign_in("boss@e2e.test", "boss-pass-1")
        f.go("/admin/feedback")
        item = driver.find_element(By.CSS_SELECTOR, "section.feedback-item")
        assert "Хотелось бы отвечать быстрее" in item.text
        item.find_element(By.CSS_SELECTOR, "select[name=status] option[value=done]").click()
        f.submit(item.find_element(By.TAG_NAME, "form"))
        assert server.api("GET", "/feedback", token=admin)["items"][0]["status"] == "done"

        f.step("the report page draws its charts with tables; its CSV has the same totals")
        server.api("POST", "/reports/refresh", None, admin)
        f.go("/agent/reports")
        assert driver.find_elements(By.CSS_SELECTOR, "svg.chart"), "no chart"
        assert driver.find_element(By.ID, "chart-volume").find_element(By.TAG_NAME, "title").get_attribute("textContent")
        created = driver.find_element(By.ID, "total-created").text
        assert created == "1", created
        assert "1 / 0" not in driver.find_element(By.ID, "total-ratings").text and "0 / 1" in driver.find_element(By.ID, "total-ratings").text
        csv_link = driver.find_element(By.CSS_SELECTOR, "#report-totals a.csv").get_attribute("href")
        cookies = "; ".join(f"{c['name']}={c['value']}" for c in driver.get_cookies())
        with urllib.request.urlopen(urllib.request.Request(csv_link, headers={"Cookie": cookies})) as response:
            csv = response.read().decode("utf-8-sig")
        total = [line for line in csv.splitlines() if line.startswith("Итого")][0].split(";")
        assert total[1] == created, (total, created)
        f.go("/agent/reports?from=2026-12-31&to=2026-01-01")
        assert "Отчёт не построен" in driver.find_element(By.ID, "report-error").text

        f.step("the report and the survey page in English")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        f.go("/agent/reports")
        assert "Requests by channel" in f.text() and "Totals for the period" in f.text(), f.text()
        f.go(link(survey, "r=good")[len(server.base):])
        assert "Rate the support" in f.text(), f.text()
        print(f"ok: {f.steps} steps on {database}")
    except Exception:
        keep_failure(driver, shots, server, "failure")
        raise
    finally:
        driver.quit()
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    run(sys.argv[1], "--postgres" in sys.argv[2:])
