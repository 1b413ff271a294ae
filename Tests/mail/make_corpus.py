#!/usr/bin/env python3
"""Generate the Python-built part of the mail corpus: Tests/ZayavkaMailTests/Corpus/gen-NN-<name>.eml + .json.

Messages are built with the standard `email` package (EmailMessage, policy.default with CRLF line
endings), so they are what a well-behaved, standards-following mailer emits. Everything is fixed
(dates, Message-IDs, boundaries, attachment bytes), so running the script again rewrites the same bytes.

Usage:  python3 Tests/mail/make_corpus.py
"""
from __future__ import annotations

import hashlib
import json
import re
import struct
import sys
import zlib
from email import policy
from email.header import Header
from email.policy import EmailPolicy
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "ZayavkaMailTests" / "Corpus"


class _Policy(EmailPolicy):
    """policy.default with CRLF, except that Subject is folded by email.header.Header.

    Python 3.11's default folder can drop the space at a fold between two encoded words ("вход в" + "личный"
    comes out as "вход вличный"), which would make the fixture disagree with itself. Header splits encoded words
    at character boundaries and keeps every space inside a word."""

    def _fold(self, name, value, refold_binary=False):
        text = str(value)
        if name.lower() == "subject" and not text.isascii():
            m = re.match(r"^([\x20-\x7e]*\s)", text)  # keep a leading ASCII run ("Re: [#10042] ") as plain text
            h = Header(header_name=name, maxlinelen=self.max_line_length)
            if m:
                h.append(m.group(1), "us-ascii")
                text = text[m.end():]
            h.append(text, "utf-8")
            return f"{name}: {h.encode(linesep=self.linesep)}{self.linesep}"
        return super()._fold(name, value, refold_binary)


POLICY = _Policy(linesep="\r\n")  # otherwise policy.default: cte_type 8bit, max_line_length 78
DATE = "Mon, 03 Mar 2025 12:00:00 +0300"
SUPPORT = Address("Zayavka Support", "support", "example.ru")


# --------------------------------------------------------------------------- deterministic payloads

def fake_bytes(label: str, n: int) -> bytes:
    """n pseudo-random bytes, the same for the same label on every run."""
    out = bytearray()
    counter = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}/{counter}".encode()).digest()
        counter += 1
    return bytes(out[:n])


def fake_pdf(label: str, n: int) -> bytes:
    head = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
    tail = b"\n%%EOF\n"
    return head + fake_bytes(label, n - len(head) - len(tail)) + tail


def fake_jpeg(label: str, n: int) -> bytes:
    head = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    return head + fake_bytes(label, n - len(head) - 2) + b"\xff\xd9"


def fake_zip(label: str, n: int) -> bytes:
    return b"PK\x03\x04" + fake_bytes(label, n - 4)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A real, valid, solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9))
            + chunk(b"IEND", b""))


# --------------------------------------------------------------------------- helpers

def new_message(subject: str, sender: Address, to, message_id: str, date: str = DATE, **headers) -> EmailMessage:
    m = EmailMessage(policy=POLICY)
    m["From"] = sender
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = date
    m["Message-ID"] = f"<{message_id}>"
    for k, v in headers.items():
        m[k.replace("_", "-")] = v
    return m


def att(filename, content_type, data: bytes, inline=False, content_id=None) -> dict:
    return {"filename": filename, "content_type": content_type, "size": len(data),
            "inline": inline, "content_id": content_id}


ORDER = ["description", "quarantine", "subject", "from", "to", "cc", "message_id", "in_reply_to",
         "references", "text_contains", "text_excludes", "has_html", "html_contains", "html_excludes",
         "attachments", "auto_submitted", "bounce"]


def write(number: int, name: str, msg: EmailMessage, expect: dict) -> bytes:
    # Fixed boundaries: every multipart gets one derived from the fixture name and its walk index.
    for i, part in enumerate(msg.walk()):
        if part.get_content_maintype() == "multipart":
            part.set_boundary(f"=_zy_gen{number:02d}_{i}")
    data = msg.as_bytes(policy=POLICY)
    assert b"\n" not in data.replace(b"\r\n", b""), f"bare LF in {name}"
    stem = f"gen-{number:02d}-{name}"
    (CORPUS / f"{stem}.eml").write_bytes(data)
    unknown = set(expect) - set(ORDER)
    assert not unknown, unknown
    ordered = {k: expect[k] for k in ORDER if k in expect}
    (CORPUS / f"{stem}.json").write_text(json.dumps(ordered, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return data


def raw_rfc822_size(data: bytes) -> int:
    """Byte length of the body of the first message/rfc822 part, as it sits between its header and the next delimiter."""
    i = data.index(b"Content-Type: message/rfc822")
    start = data.index(b"\r\n\r\n", i) + 4
    # the boundary of the enclosing multipart is the last "--=_zy_" delimiter that precedes the part
    delim_start = data.rindex(b"\r\n--=_zy_", 0, i) + 2
    delim = data[delim_start:data.index(b"\r\n", delim_start)]
    end = data.index(b"\r\n" + delim, start)
    return end - start


# --------------------------------------------------------------------------- fixtures

def gen01():
    m = new_message("Re: [#10042] Не работает вход в личный кабинет",
                    Address("Сергей Кузнецов", "S.Kuznetsov", "stroy.example.ru"), SUPPORT,
                    "c1f2e3d4.10042@stroy.example.ru",
                    In_Reply_To="<zy.10042.def456@support.example.ru>",
                    References="<zy.10042.abc123@support.example.ru> <zy.10042.def456@support.example.ru>")
    m.set_content(
        "Здравствуйте.\n\n"
        "> Уточните, пожалуйста, версию приложения.\n\n"
        "Версия 3.14.2, сборка от 20 февраля.\n\n"
        "> И пришлите скриншот ошибки, если получится.\n\n"
        "Скриншот пришлю позже, сейчас нет доступа к компьютеру.\n\n"
        "-- \n"
        "Сергей Кузнецов\n"
        "инженер, тел. +7 343 200-10-20\n")
    write(1, "interleaved-quote-signature", m, {
        "description": "Python-built UTF-8 8bit text/plain reply with interleaved '>' quoting (new text between quoted "
                       "lines) and an RFC 3676 '-- ' signature; In-Reply-To/References; mixed-case From address",
        "quarantine": False,
        "subject": "Re: [#10042] Не работает вход в личный кабинет",
        "from": {"name": "Сергей Кузнецов", "address": "s.kuznetsov@stroy.example.ru"},
        "to": ["support@example.ru"],
        "message_id": "c1f2e3d4.10042@stroy.example.ru",
        "in_reply_to": ["zy.10042.def456@support.example.ru"],
        "references": ["zy.10042.abc123@support.example.ru", "zy.10042.def456@support.example.ru"],
        "text_contains": ["Здравствуйте.", "Версия 3.14.2, сборка от 20 февраля", "Скриншот пришлю позже"],
        "text_excludes": ["Уточните, пожалуйста, версию приложения", "пришлите скриншот ошибки", "+7 343 200-10-20"],
        "has_html": False,
        "attachments": [],
        "auto_submitted": False,
        "bounce": None,
    })


def gen02():
    m = new_message("Счёт №5 не проходит оплату", Address("Ольга Николаева", "olga.nikolaeva", "stroy.example.ru"),
                    SUPPORT, "gen02.invoice@stroy.example.ru", Cc="Бухгалтерия <Buh@Stroy.Example.RU>")
    m.set_content("Добрый день!\n\nПри оплате счёта №5 банк возвращает платёж с ошибкой «неверные реквизиты».\n"
                  "Счёт и выписку прикладываю.\n\nОльга Николаева\n", cte="quoted-printable")
    m.add_alternative("<html><body><p>Добрый день!</p><p>При оплате счёта №5 банк возвращает платёж с ошибкой "
                      "«неверные реквизиты».</p><p>Счёт и выписку прикладываю.</p><p>Ольга Николаева</p></body></html>\n",
                      subtype="html")
    pdf = fake_pdf("gen02-pdf", 2345)
    xlsx = fake_zip("gen02-xlsx", 4321)
    m.add_attachment(pdf, "application", "pdf", filename="Счёт №5.pdf")
    m.add_attachment(xlsx, "application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     filename="Выписка из банка за февраль 2025 года по расчётному счёту.xlsx")
    write(2, "mixed-alternative-attachments", m, {
        "description": "multipart/mixed > multipart/alternative (text+html) + two attachments with Russian filenames as "
                       "Python writes them (RFC 2231 filename*=utf-8''..., the long one split into filename*0*/filename*1*); "
                       "Cc with mixed-case address",
        "quarantine": False,
        "subject": "Счёт №5 не проходит оплату",
        "from": {"name": "Ольга Николаева", "address": "olga.nikolaeva@stroy.example.ru"},
        "to": ["support@example.ru"],
        "cc": ["buh@stroy.example.ru"],
        "message_id": "gen02.invoice@stroy.example.ru",
        "text_contains": ["банк возвращает платёж с ошибкой", "Счёт и выписку прикладываю"],
        "has_html": True,
        "html_contains": ["банк возвращает платёж с ошибкой"],
        "attachments": [
            att("Счёт №5.pdf", "application/pdf", pdf),
            att("Выписка из банка за февраль 2025 года по расчётному счёту.xlsx",
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx),
        ],
        "auto_submitted": False,
        "bounce": None,
    })


def gen03():
    m = new_message("Ошибка на странице оплаты", Address("Дарья Лебедева", "d.lebedeva", "shop.example.com"),
                    SUPPORT, "gen03.related@shop.example.com")
    img = png(24, 16, (200, 30, 30))
    m.set_content("Здравствуйте!\n\nНа странице оплаты появляется красное окно с ошибкой, скриншот ниже.\n")
    m.add_alternative('<html><body><p>Здравствуйте!</p><p>На странице оплаты появляется красное окно с ошибкой, '
                      'скриншот ниже.</p><p><img src="cid:scr1.20250303@shop.example.com" alt="скриншот" '
                      'width="24" height="16"></p></body></html>\n', subtype="html")
    html_part = m.get_payload()[1]
    html_part.add_related(img, "image", "png", cid="<scr1.20250303@shop.example.com>", filename="screenshot.png",
                          disposition="inline")
    write(3, "related-inline-image", m, {
        "description": "multipart/alternative > (text/plain, multipart/related > (text/html with <img src=cid:...>, "
                       "image/png Content-Disposition: inline with Content-ID)); the image is an inline attachment",
        "quarantine": False,
        "subject": "Ошибка на странице оплаты",
        "from": {"name": "Дарья Лебедева", "address": "d.lebedeva@shop.example.com"},
        "to": ["support@example.ru"],
        "message_id": "gen03.related@shop.example.com",
        "text_contains": ["появляется красное окно с ошибкой"],
        "has_html": True,
        "html_contains": ["появляется красное окно с ошибкой", "<img"],
        "html_excludes": ["<script", "onerror", "javascript:"],
        "attachments": [att("screenshot.png", "image/png", img, inline=True, content_id="scr1.20250303@shop.example.com")],
        "auto_submitted": False,
        "bounce": None,
    })


def gen04():
    m = new_message("Техническое задание на доработку портала", Address("Игорь Соловьёв", "i.solovyov", "bank.example.ru"),
                    [SUPPORT, Address("", "dev", "example.ru")], "gen04.nested@bank.example.ru")
    logo = png(8, 8, (0, 90, 170))
    docx = fake_zip("gen04-docx", 5120)
    m.set_content("Коллеги, добрый день!\n\nНаправляю техническое задание на доработку портала, срок — до 31 марта.\n")
    m.add_alternative('<html><body><p><img src="cid:logo.bank@bank.example.ru" alt="Банк"></p>'
                      '<p>Коллеги, добрый день!</p><p>Направляю техническое задание на доработку портала, '
                      'срок — до 31 марта.</p></body></html>\n', subtype="html")
    m.get_payload()[1].add_related(logo, "image", "png", cid="<logo.bank@bank.example.ru>", filename="logo.png")
    m.add_attachment(docx, "application", "vnd.openxmlformats-officedocument.wordprocessingml.document",
                     filename="Техническое задание.docx")
    write(4, "nested-four-levels", m, {
        "description": "four MIME levels: multipart/mixed > multipart/alternative > multipart/related > text/html + "
                       "cid logo (Content-Disposition says attachment, but the HTML references its Content-ID, so it is "
                       "inline); plus a .docx attachment at level 2; two To addresses",
        "quarantine": False,
        "subject": "Техническое задание на доработку портала",
        "from": {"name": "Игорь Соловьёв", "address": "i.solovyov@bank.example.ru"},
        "to": ["support@example.ru", "dev@example.ru"],
        "message_id": "gen04.nested@bank.example.ru",
        "text_contains": ["Направляю техническое задание на доработку портала"],
        "has_html": True,
        "html_contains": ["Направляю техническое задание"],
        "attachments": [
            att("logo.png", "image/png", logo, inline=True, content_id="logo.bank@bank.example.ru"),
            att("Техническое задание.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx),
        ],
        "auto_submitted": False,
        "bounce": None,
    })


def gen05():
    inner = new_message("Жалоба на сроки доставки", Address("Борис Никитин", "b.nikitin", "client.example.com"),
                        Address("Отдел продаж", "sales", "example.ru"), "inner.complaint.5521@client.example.com",
                        date="Fri, 28 Feb 2025 17:45:00 +0300")
    inner.set_content("Заказ 5521 привезли на неделю позже обещанного срока. Прошу разобраться.\n\nБорис Никитин\n")
    m = new_message("Fwd: Жалоба на сроки доставки", Address("Марина Ковалёва", "m.kovaleva", "example.ru"), SUPPORT,
                    "gen05.forward@example.ru")
    m.set_content("Пересылаю письмо клиента вложением, заведите, пожалуйста, заявку.\n")
    m.add_attachment(inner, filename="Жалоба клиента.eml")
    data = write(5, "forward-rfc822-attachment", m, {})  # written twice: the size of the embedded message needs the bytes
    size = raw_rfc822_size(data)
    write(5, "forward-rfc822-attachment", m, {
        "description": "multipart/mixed > text/plain + message/rfc822 attachment with an explicit RFC 2231 filename; the "
                       "embedded message's body is NOT part of the new text; size = bytes of the embedded message",
        "quarantine": False,
        "subject": "Fwd: Жалоба на сроки доставки",
        "from": {"name": "Марина Ковалёва", "address": "m.kovaleva@example.ru"},
        "to": ["support@example.ru"],
        "message_id": "gen05.forward@example.ru",
        "text_contains": ["Пересылаю письмо клиента вложением"],
        "text_excludes": ["привезли на неделю позже"],
        "has_html": False,
        "attachments": [{"filename": "Жалоба клиента.eml", "content_type": "message/rfc822", "size": size,
                         "inline": False, "content_id": None}],
        "auto_submitted": False,
        "bounce": None,
    })


def gen06():
    m = new_message("Логи и фото с объекта", Address("Андрей Фролов", "a.frolov", "build.example.ru"), SUPPORT,
                    "gen06.types@build.example.ru")
    m.set_content("Прикладываю фото щитка, логи контроллера и выгрузку показаний.\n")
    jpg = fake_jpeg("gen06-jpg", 3000)
    zipf = fake_zip("gen06-zip", 1500)
    csv = "дата;показание\n2025-03-01;1024\n2025-03-02;1031\n".encode("utf-8")
    binf = fake_bytes("gen06-bin", 777)
    m.add_attachment(jpg, "image", "jpeg", filename="фото 1.jpg")
    m.add_attachment(zipf, "application", "zip", filename="logs.zip")
    m.add_attachment(csv, "text", "csv", filename="readings.csv")
    m.add_attachment(binf, "application", "octet-stream", filename="dump.bin")
    m.add_attachment(b"", "text", "plain", filename="empty.txt")
    write(6, "attachment-types", m, {
        "description": "text body plus five base64 attachments of different types: image/jpeg with a Cyrillic name, "
                       "application/zip, text/csv (a text/* attachment, not a body), application/octet-stream and a "
                       "zero-byte text/plain attachment",
        "quarantine": False,
        "subject": "Логи и фото с объекта",
        "from": {"name": "Андрей Фролов", "address": "a.frolov@build.example.ru"},
        "to": ["support@example.ru"],
        "message_id": "gen06.types@build.example.ru",
        "text_contains": ["Прикладываю фото щитка"],
        "text_excludes": ["2025-03-01;1024"],
        "has_html": False,
        "attachments": [
            att("фото 1.jpg", "image/jpeg", jpg),
            att("logs.zip", "application/zip", zipf),
            att("readings.csv", "text/csv", csv),
            att("dump.bin", "application/octet-stream", binf),
            att("empty.txt", "text/plain", b""),
        ],
        "auto_submitted": False,
        "bounce": None,
    })


def gen07():
    m = new_message("Не могу войти", Address("Мария", "maria", "example.org"), SUPPORT, "gen07.hostile@example.org")
    m.set_content(
        "<!DOCTYPE html>\n<html><head>\n"
        "<style>body{font-family:Arial} .x{background:url(javascript:alert(2))}</style>\n"
        "<script>alert('xss')</script>\n"
        "</head><body>\n"
        "<p>Здравствуйте! Не могу войти в личный кабинет &laquo;Ромашка&raquo;.</p>\n"
        "<p><img src=\"x\" onerror=\"alert(document.cookie)\">Скриншот не прикрепляется.</p>\n"
        "<p><a href=\"javascript:alert(1)\">Нажмите здесь</a> или <a href=\"https://example.org/help\">справка</a>.</p>\n"
        "<iframe src=\"https://evil.example.com/frame\"></iframe>\n"
        "<p onclick=\"steal()\">Телефон для связи: +7 912 000-00-00</p>\n"
        "<svg onload=\"alert(3)\"></svg>\n"
        "<a HREF=\"JaVaScRiPt:alert(4)\">ещё ссылка</a>\n"
        "</body></html>\n", subtype="html")
    write(7, "html-only-hostile", m, {
        "description": "text/html only with hostile content (style, script, img onerror, javascript: links in two cases, "
                       "iframe, onclick, svg onload); text comes from the visible HTML with entities decoded; script/style "
                       "contents must not leak into the text",
        "quarantine": False,
        "subject": "Не могу войти",
        "from": {"name": "Мария", "address": "maria@example.org"},
        "to": ["support@example.ru"],
        "message_id": "gen07.hostile@example.org",
        "text_contains": ["Не могу войти в личный кабинет", "«Ромашка»", "Скриншот не прикрепляется", "Телефон для связи"],
        "text_excludes": ["alert(", "font-family"],
        "has_html": True,
        "html_contains": ["Не могу войти в личный кабинет", "Телефон для связи"],
        "html_excludes": ["<script", "onerror", "javascript:", "<iframe", "<style", "onclick", "onload", "alert("],
        "attachments": [],
        "auto_submitted": False,
        "bounce": None,
    })


def gen08():
    m = new_message("Новые тарифы с 1 апреля", Address("Сервис «Облако»", "news", "mailer.cloud.example.com"),
                    "undisclosed-recipients:;", "gen08.news@mailer.cloud.example.com",
                    Precedence="bulk",
                    List_Unsubscribe="<https://cloud.example.com/unsub?u=42>, <mailto:unsub@mailer.cloud.example.com>",
                    List_Unsubscribe_Post="List-Unsubscribe=One-Click")
    m.set_content("С 1 апреля меняются тарифы. Подробности в личном кабинете.\n")
    m.add_alternative("<html><body><h1>Новые тарифы</h1><p>С 1 апреля меняются тарифы. Подробности в личном кабинете.</p>"
                      "</body></html>\n", subtype="html")
    write(8, "newsletter-precedence-bulk", m, {
        "description": "newsletter: Precedence: bulk + List-Unsubscribe, To is the empty group 'undisclosed-recipients:;' "
                       "(no addresses) -> auto_submitted",
        "quarantine": False,
        "subject": "Новые тарифы с 1 апреля",
        "from": {"name": "Сервис «Облако»", "address": "news@mailer.cloud.example.com"},
        "to": [],
        "message_id": "gen08.news@mailer.cloud.example.com",
        "text_contains": ["С 1 апреля меняются тарифы"],
        "has_html": True,
        "attachments": [],
        "auto_submitted": True,
        "bounce": None,
    })


def gen09():
    m = new_message("[users] Вопрос по настройке LDAP", Address("Pavel K.", "pavel", "lists.example.org"),
                    Address("", "users", "lists.example.org"), "gen09.list@lists.example.org",
                    Cc=SUPPORT, Precedence="list", List_Id="Users of Zayavka <users.lists.example.org>")
    m.set_content("Кто-нибудь настраивал вход через LDAP с группами вложенностью больше двух?\n")
    write(9, "mailing-list-precedence-list", m, {
        "description": "mailing-list post with Precedence: list and List-Id, support only in Cc -> auto_submitted",
        "quarantine": False,
        "subject": "[users] Вопрос по настройке LDAP",
        "from": {"name": "Pavel K.", "address": "pavel@lists.example.org"},
        "to": ["users@lists.example.org"],
        "cc": ["support@example.ru"],
        "message_id": "gen09.list@lists.example.org",
        "text_contains": ["настраивал вход через LDAP"],
        "has_html": False,
        "attachments": [],
        "auto_submitted": True,
        "bounce": None,
    })


def gen10():
    m = new_message("Уведомление о статусе заявления", Address("Госуслуги", "No-Reply", "Gosuslugi.example.ru"),
                    SUPPORT, "gen10.noreply@gosuslugi.example.ru")
    m.set_content("Ваше заявление № 1234567 принято к рассмотрению.\n")
    write(10, "no-reply-sender", m, {
        "description": "notification from No-Reply@ (mixed case local part, no other loop headers) -> auto_submitted",
        "quarantine": False,
        "subject": "Уведомление о статусе заявления",
        "from": {"name": "Госуслуги", "address": "no-reply@gosuslugi.example.ru"},
        "to": ["support@example.ru"],
        "message_id": "gen10.noreply@gosuslugi.example.ru",
        "text_contains": ["принято к рассмотрению"],
        "has_html": False,
        "attachments": [],
        "auto_submitted": True,
        "bounce": None,
    })


def gen11():
    m = new_message("Re: [#10050] Доступ к VPN", Address("Глеб Морозов", "g.morozov", "mail.example.net"), SUPPORT,
                    "gen11.autoreply@mail.example.net", X_Autoreply="yes",
                    In_Reply_To="<zy.10050.hhh888@support.example.ru>")
    m.set_content("Спасибо за письмо! Я отвечу в течение двух рабочих дней.\n")
    write(11, "x-autoreply-yes", m, {
        "description": "personal autoresponder marked only by 'X-Autoreply: yes' (ordinary From, no Auto-Submitted) "
                       "-> auto_submitted",
        "quarantine": False,
        "subject": "Re: [#10050] Доступ к VPN",
        "from": {"name": "Глеб Морозов", "address": "g.morozov@mail.example.net"},
        "to": ["support@example.ru"],
        "message_id": "gen11.autoreply@mail.example.net",
        "in_reply_to": ["zy.10050.hhh888@support.example.ru"],
        "text_contains": ["Я отвечу в течение двух рабочих дней"],
        "has_html": False,
        "attachments": [],
        "auto_submitted": True,
        "bounce": None,
    })


def gen12():
    m = new_message("Не печатает МФУ в переговорной", Address("Екатерина Власова", "e.vlasova", "corp.example.com"),
                    SUPPORT, "gen12.human@corp.example.com", Auto_Submitted="no", X_Auto_Response_Suppress="All")
    m.set_content("МФУ в переговорной 4.12 не печатает, горит оранжевый индикатор.\n")
    write(12, "auto-submitted-no", m, {
        "description": "ordinary human message carrying 'Auto-Submitted: no' and 'X-Auto-Response-Suppress: All' "
                       "(neither is a trigger) -> auto_submitted false",
        "quarantine": False,
        "subject": "Не печатает МФУ в переговорной",
        "from": {"name": "Екатерина Власова", "address": "e.vlasova@corp.example.com"},
        "to": ["support@example.ru"],
        "message_id": "gen12.human@corp.example.com",
        "text_contains": ["не печатает, горит оранжевый индикатор"],
        "has_html": False,
        "attachments": [],
        "auto_submitted": False,
        "bounce": None,
    })


def gen13():
    m = new_message("PROBLEM: Disk space is low on srv-db01", Address("Zabbix", "zabbix", "monitoring.example.ru"),
                    SUPPORT, "gen13.alert@monitoring.example.ru", Auto_Submitted="auto-generated")
    m.set_content("Problem started at 11:58:03 on 2025.03.03\nHost: srv-db01\nFree disk space on /var: 4.2%\n")
    write(13, "auto-generated-alert", m, {
        "description": "monitoring alert with 'Auto-Submitted: auto-generated' from an ordinary-looking address "
                       "-> auto_submitted",
        "quarantine": False,
        "subject": "PROBLEM: Disk space is low on srv-db01",
        "from": {"name": "Zabbix", "address": "zabbix@monitoring.example.ru"},
        "to": ["support@example.ru"],
        "message_id": "gen13.alert@monitoring.example.ru",
        "text_contains": ["Free disk space on /var: 4.2%"],
        "has_html": False,
        "attachments": [],
        "auto_submitted": True,
        "bounce": None,
    })


def main() -> int:
    CORPUS.mkdir(parents=True, exist_ok=True)
    for f in (gen01, gen02, gen03, gen04, gen05, gen06, gen07, gen08, gen09, gen10, gen11, gen12, gen13):
        f()
    print(f"wrote 13 generated fixtures to {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
