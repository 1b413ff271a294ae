#!/usr/bin/env python3
"""Knowledge base, search and the assistant in a real browser (issue 17).

Usage: python3 Tests/e2e/kb_test.py BINARY [--postgres]

An anonymous visitor finds an article by an inflected word and votes; walks the assistant's menu
and hands over to a request with the path attached; a customer typing a subject sees a
suggestion; an agent searches tickets, inserts an article into a reply, writes an article from an
answer, and restores an old revision; the pages work in English too.
"""
import os
import shutil
import sys
import urllib.parse

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from web_test import Flow, Server, browser, keep_failure  # noqa: E402


def run(binary, postgres):
    database = "postgresql" if postgres else "sqlite"
    shots = os.path.join("artifacts", "screenshots", "kb-" + database)
    os.makedirs(shots, exist_ok=True)
    server = Server(binary, postgres)
    driver = browser()
    try:
        f = Flow(server, driver, shots)
        print(f"knowledge-base end-to-end on {database} at {server.base}")
        admin = server.api("POST", "/auth/token", {"email": "admin@e2e.test", "password": "admin-pass-1"})["token"]
        server.api("POST", "/users", {"email": "agent@e2e.test", "name": "Анна Специалистова", "role": "agent", "password": "agent-pass-1"}, admin)
        server.api("POST", "/users", {"email": "one@e2e.test", "name": "Пётр Первый", "role": "customer", "password": "customer-1"}, admin)
        category = server.api("POST", "/kb/categories", {"name_ru": "Касса", "name_en": "Till"}, admin)
        shift = server.api("POST", "/kb/articles", {"title": "Как закрыть кассовую смену", "category_id": category["id"], "status": "published",
                                                    "body": "1. Откройте меню **Смена**.\n2. Нажмите «Закрыть смену».\n\nОтчёт о закрытии печатается сам.",
                                                    "tags": ["касса", "смена"]}, admin)
        server.api("POST", "/kb/articles", {"title": "Пароль сервисного инженера", "status": "published", "audience": "staff",
                                            "body": "Только для сотрудников: кассовая смена закрывается паролем 30."}, admin)
        server.api("POST", "/kb/articles", {"title": "How to close the till shift", "language": "en", "translation_of": shift["id"],
                                            "status": "published", "body": "Open **Shift** and press “Close shift”."}, admin)

        f.step("an anonymous visitor opens the knowledge base, finds the article by another form of the words, and reads it")
        driver.delete_all_cookies()
        f.go("/kb")
        assert "База знаний" in f.text() and "Касса" in driver.find_element(By.ID, "kb-categories").text, f.text()
        driver.find_element(By.ID, "kb-q").send_keys("кассовой смены")
        f.submit(driver.find_element(By.CSS_SELECTOR, "form.inline-search"))
        results = driver.find_element(By.ID, "kb-results")
        assert "Как закрыть кассовую смену" in results.text, results.text
        assert "Пароль сервисного инженера" not in results.text, "a staff-only article was shown to a visitor"
        marks = [m.text for m in results.find_elements(By.TAG_NAME, "mark")]
        assert any(m.lower().startswith("смен") for m in marks), marks
        f.click(results.find_element(By.CSS_SELECTOR, "a.kb-link"))
        article = driver.find_element(By.ID, "kb-article")
        assert "Закрыть смену" in article.text and article.find_element(By.TAG_NAME, "strong").text == "Смена"
        assert "English version" in article.text

        f.step("the visitor votes that it helped, and may change the answer")
        f.click(driver.find_element(By.ID, "vote-yes"))
        assert "Спасибо за отзыв" in f.text(), f.text()
        assert server.api("GET", f"/kb/articles/{shift['id']}", token=admin)["helpful_yes"] == 1
        f.click(driver.find_element(By.ID, "vote-no"))
        counts = server.api("GET", f"/kb/articles/{shift['id']}", token=admin)
        assert (counts["helpful_yes"], counts["helpful_no"]) == (0, 1), counts

        f.step("a staff-only article's address is not found for a visitor")
        staff_only = [a for a in server.api("GET", "/kb/articles", token=admin)["items"] if a["audience"] == "staff"][0]
        f.go("/kb/articles/" + staff_only["slug"])
        assert "Страница не найдена" in f.text() or "не найден" in f.text().lower(), f.text()

        f.step("the admin builds the assistant's menu in the console")
        f.sign_in("admin@e2e.test", "admin-pass-1")
        f.go("/admin/bot")
        driver.find_element(By.ID, "b-label-ru").send_keys("Касса")
        driver.find_element(By.ID, "b-message-ru").send_keys("Что случилось с кассой?")
        f.submit(driver.find_element(By.ID, "bot-form"))
        assert "Изменения сохранены" in f.text(), f.text()
        nodes = server.api("GET", "/bot/nodes")["items"]
        root = nodes[0]["id"]
        server.api("POST", "/bot/nodes", {"parent_id": root, "label_ru": "Как закрыть смену", "action": "article", "article_id": shift["id"]}, admin)
        server.api("POST", "/bot/nodes", {"parent_id": root, "label_ru": "Не пробивается чек", "message_ru": "Опишите ошибку.", "action": "handover",
                                          "ticket_type": "problem"}, admin)
        assert "Касса" in driver.find_element(By.ID, "bot-tree").text if driver.find_elements(By.ID, "bot-tree") else True
        f.sign_out()

        f.step("a visitor walks the menu, asks a question in free text, and hands over with the path attached")
        driver.delete_all_cookies()
        f.go("/help")
        f.click(driver.find_element(By.XPATH, "//a[contains(@class,'bot-button') and text()='Касса']"))
        assert "Что случилось с кассой?" in driver.find_element(By.ID, "bot").text
        driver.find_element(By.ID, "bot-q").send_keys("закрыть смены")
        f.submit(driver.find_element(By.ID, "bot-question"))
        assert "Как закрыть кассовую смену" in driver.find_element(By.ID, "bot-answers").text
        f.click(driver.find_element(By.XPATH, "//a[contains(@class,'bot-button') and text()='Не пробивается чек']"))
        assert "Касса → Не пробивается чек" in driver.find_element(By.ID, "handover-path").text
        driver.find_element(By.ID, "h-name").send_keys("Гость Гостев")
        driver.find_element(By.ID, "h-email").send_keys("not-an-email")
        driver.find_element(By.ID, "h-body").send_keys("Касса пишет ошибку 3969.")
        f.submit(driver.find_element(By.ID, "handover-form"))  # the server's check (form.submit() skips the browser's)
        assert "неверный формат" in f.text(), f.text()
        email = driver.find_element(By.ID, "h-email")
        email.clear()
        email.send_keys("guest@e2e.test")
        f.submit(driver.find_element(By.ID, "handover-form"))
        assert "принята" in driver.find_element(By.ID, "handover-sent").text, f.text()
        tickets = server.api("GET", "/tickets?requester_id=" + str(server.api("GET", "/users?email=guest@e2e.test", token=admin)["items"][0]["id"]), token=admin)["items"]
        assert len(tickets) == 1 and tickets[0]["type"] == "problem", tickets
        comments = server.api("GET", f"/tickets/{tickets[0]['number']}/comments", token=admin)["items"]
        assert "Путь в помощнике: Касса → Не пробивается чек" in comments[0]["body"], comments[0]["body"]

        f.step("a customer typing a subject sees a matching article, and the form works as before")
        f.sign_in("one@e2e.test", "customer-1")
        f.go("/portal/new")
        driver.find_element(By.ID, "subject").send_keys("не закрывается смена на кассе")
        WebDriverWait(driver, 10).until(lambda d: d.find_element(By.ID, "kb-suggest").is_displayed())
        suggestion = driver.find_element(By.CSS_SELECTOR, "#kb-suggest a.kb-suggestion")
        assert suggestion.text == "Как закрыть кассовую смену", suggestion.text
        assert "from=suggest" in suggestion.get_attribute("href")
        assert "Пароль сервисного инженера" not in driver.find_element(By.ID, "kb-suggest").text
        driver.find_element(By.ID, "body").send_keys("Смена не закрывается, принтер молчит.")
        f.submit(driver.find_element(By.ID, "request-form"))
        assert "Заявка создана" in f.text(), f.text()
        number = int(driver.current_url.split("/requests/")[1].split("?")[0])

        f.step("the customer's search finds their own request by another form of a word")
        f.go("/portal/search?q=" + urllib.parse.quote("принтера"))
        assert f"№{number}" in driver.find_element(By.ID, "ticket-results").text
        f.sign_out()

        f.step("the agent's search box: words in any form find the ticket; a number opens it")
        f.sign_in("agent@e2e.test", "agent-pass-1")
        box = driver.find_element(By.ID, "top-q")
        box.send_keys("закрывается смены")
        f.submit(driver.find_element(By.CSS_SELECTOR, "form.top-search"))
        assert f"№{number}" in driver.find_element(By.ID, "ticket-results").text, f.text()
        assert "Пароль сервисного инженера" in driver.find_element(By.ID, "article-results").text
        driver.find_element(By.ID, "top-q").send_keys(str(number))
        f.submit(driver.find_element(By.CSS_SELECTOR, "form.top-search"))
        assert f"/agent/tickets/{number}" in driver.current_url, driver.current_url

        f.step("the ticket page offers the article; the agent inserts its link and text into the reply and sends it")
        f.unfold("fold-articles")
        assert "Как закрыть кассовую смену" in driver.find_element(By.ID, "kb-suggestions").text
        driver.find_element(By.CSS_SELECTOR, "#kb-suggestions button.insert-link").click()
        body = driver.find_element(By.ID, "composer-body")
        assert "/kb/articles/kak-zakryt-kassovuyu-smenu" in body.get_attribute("value"), body.get_attribute("value")
        driver.find_element(By.ID, "kb-picker-q").send_keys("пароль инженера")
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, "#kb-picker-results button.kb-insert-text"))
        # A staff-only article has no public link: only its text can go in.
        assert not driver.find_elements(By.CSS_SELECTOR, "#kb-picker-results button.kb-insert-link")
        driver.find_element(By.CSS_SELECTOR, "#kb-picker-results button.kb-insert-text").click()
        assert "паролем 30" in body.get_attribute("value")
        body.send_keys("\nПроверьте, пожалуйста.")
        f.submit(driver.find_element(By.ID, "composer"))
        reply = [c for c in server.api("GET", f"/tickets/{number}/comments", token=admin)["items"] if c["author"]["name"] == "Анна Специалистова"]
        assert reply and "kak-zakryt-kassovuyu-smenu" in reply[0]["body"], reply

        f.step("the agent makes an article from the answer, publishes it, and it is found at once")
        f.go(f"/agent/tickets/{number}")
        f.click(driver.find_elements(By.CSS_SELECTOR, "a.make-article")[-1])
        assert "Проверьте, пожалуйста." in driver.find_element(By.ID, "a-body").get_attribute("value")
        title = driver.find_element(By.ID, "a-title")
        title.clear()
        title.send_keys("Смена не закрывается: что проверить")
        driver.find_element(By.CSS_SELECTOR, "#a-status option[value=published]").click()
        f.submit(driver.find_element(By.ID, "article-form"))
        assert "Изменения сохранены" in f.text(), f.text()
        found = server.api("GET", "/search/articles?q=" + urllib.parse.quote("закрывающаяся смена") + "&mode=any")["items"]
        assert any(a["title"] == "Смена не закрывается: что проверить" for a in found), found

        f.step("the agent edits the article, compares revisions, and restores the first")
        f.click(driver.find_element(By.ID, "edit-article"))
        title = driver.find_element(By.ID, "a-title")
        title.clear()
        title.send_keys("Смена не закрывается")
        f.submit(driver.find_element(By.ID, "article-form"))
        f.click(driver.find_element(By.XPATH, "//div[@id='revisions']//a[text()='Версия 2']"))
        diff = driver.find_element(By.ID, "diff")
        assert diff.find_element(By.CSS_SELECTOR, ".diff-added").text.endswith("Смена не закрывается")
        assert "что проверить" in diff.find_element(By.CSS_SELECTOR, ".diff-removed").text
        driver.get(driver.current_url.replace("/revisions/2", "/revisions/1"))
        f.click(driver.find_element(By.ID, "restore"))
        assert "Версия восстановлена" in f.text() and "Смена не закрывается: что проверить" in driver.find_element(By.TAG_NAME, "h1").text

        f.step("the knowledge base in English")
        f.click(driver.find_element(By.CSS_SELECTOR, "form.lang button[value=en]"))
        f.go("/kb")
        assert "Knowledge base" in f.text() and "Till" in f.text(), f.text()
        f.go("/kb/search?q=" + urllib.parse.quote("closing shifts"))
        assert "How to close the till shift" in driver.find_element(By.ID, "kb-results").text
        f.go("/help")
        assert "Choose a topic" in f.text()
        print(f"ok: {f.steps} steps on {database}")
    except Exception:
        keep_failure(driver, shots, server, "failure")
        raise
    finally:
        driver.quit()
        server.stop()


if __name__ == "__main__":
    run(sys.argv[1], "--postgres" in sys.argv[2:])
