#!/usr/bin/env python3
"""Write the hand-made part of the mail corpus: Tests/ZayavkaMailTests/Corpus/hand-NN-<name>.eml + .json.

Each fixture imitates, byte for byte, what a real client or MTA emits (Outlook, Gmail, Thunderbird, Apple Mail,
Yandex, Mail.ru, Postfix, Exchange), or is deliberately broken input. Messages are assembled from ASCII text
(encoded words, base64, quoted-printable) and explicit bytes (8-bit KOI8-R / windows-1251 / CP866 / UTF-8), then
every LF becomes CRLF, except in hand-28 which is bare-LF on purpose. The output is deterministic.

Usage:  python3 Tests/mail/hand_fixtures.py
"""
from __future__ import annotations

import base64
import binascii
import json
import quopri
import sys
import urllib.parse
from pathlib import Path

sys.dont_write_bytecode = True  # importing make_corpus must not leave a __pycache__ in Tests/
sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_corpus import CORPUS, ORDER, fake_bytes, fake_jpeg, fake_pdf, fake_zip, png  # noqa: E402

# --------------------------------------------------------------------------- encoders


def A(s: str) -> bytes:
    """ASCII-only text (raises if a non-ASCII character slipped in)."""
    return s.encode("ascii")


def ew_b(text: str, charset: str, label: str | None = None) -> str:
    return f"=?{label or charset}?B?{base64.b64encode(text.encode(charset)).decode()}?="


def ew_q_bytes(data: bytes, label: str) -> str:
    out = []
    for b in data:
        c = chr(b)
        if b == 0x20:
            out.append("_")
        elif c.isascii() and (c.isalnum() or c in "!*+-/"):
            out.append(c)
        else:
            out.append(f"={b:02X}")
    return f"=?{label}?Q?{''.join(out)}?="


def ew_q(text: str, charset: str, label: str | None = None) -> str:
    return ew_q_bytes(text.encode(charset), label or charset)


def ew_b_folded(text: str, charset: str, label: str | None = None, max_chars: int = 12, sep: str = "\n ") -> str:
    """Split at character boundaries into several encoded words, folded one per line (what Outlook/Gmail do)."""
    words = [ew_b(text[i:i + max_chars], charset, label) for i in range(0, len(text), max_chars)]
    return sep.join(words)


def ew_fold(text: str, charset: str, label: str | None = None, enc: str = "B", sep: str = "\n ") -> str:
    """Encode as few encoded words as possible, each at most 75 characters (RFC 2047 limit), split at character
    boundaries and folded one per line."""
    make = (lambda t: ew_b(t, charset, label)) if enc == "B" else (lambda t: ew_q(t, charset, label))
    words, start = [], 0
    while start < len(text):
        end = start + 1
        while end < len(text) and len(make(text[start:end + 1])) <= 75:
            end += 1
        words.append(make(text[start:end]))
        start = end
    return sep.join(words)


def qp(text: str, charset: str) -> str:
    """Quoted-printable body (soft line breaks at 76 columns, =XX for 8-bit bytes)."""
    return quopri.encodestring(text.encode(charset)).decode("ascii")


def b64(data: bytes) -> str:
    return base64.encodebytes(data).decode("ascii")


def b64text(text: str, charset: str) -> str:
    """Base64 of a text body whose line ends are CRLF before encoding, as clients do."""
    return b64(text.replace("\n", "\r\n").encode(charset))


def pct(data: bytes) -> str:
    return urllib.parse.quote(data, safe="")


def crlf(data: bytes) -> bytes:
    assert b"\r" not in data, "fixture sources use LF; CR is added by crlf()"
    return data.replace(b"\n", b"\r\n")


def att(filename, content_type, data: bytes, inline=False, content_id=None) -> dict:
    return {"filename": filename, "content_type": content_type, "size": len(data),
            "inline": inline, "content_id": content_id}


FIXTURES: list[tuple[str, bytes, dict]] = []


def fixture(name: str, data: bytes, expect: dict) -> None:
    unknown = set(expect) - set(ORDER)
    assert not unknown, unknown
    FIXTURES.append((name, data, {k: expect[k] for k in ORDER if k in expect}))


def person(name, address):
    return {"name": name, "address": address}


SUPPORT_TO = ["support@example.ru"]
NOT_AUTO = {"auto_submitted": False, "bounce": None}

# =========================================================================== client styles

# --- 01 Outlook, Russian, windows-1251, multipart/alternative, "От:/Отправлено:/Кому:/Тема:" block
subj01 = "RE: [#10042] Не работает вход в личный кабинет"
text01 = """Добрый день!

Ошибка сохраняется: после ввода пароля страница долго грузится, потом пишет «Сервис временно недоступен». Пробовали из Chrome и из Edge, результат одинаковый.

С уважением,
Иван Петров
ООО «Ромашка»

От: Служба поддержки Zayavka <support@example.ru>
Отправлено: 3 марта 2025 г. 10:00
Кому: Иван Петров <Ivan.Petrov@romashka.ru>
Тема: [#10042] Не работает вход в личный кабинет

Здравствуйте, Иван!

Мы получили вашу заявку и уже проверяем журнал ошибок. Подскажите, пожалуйста, каким браузером вы пользуетесь?

--
Служба поддержки Zayavka
"""
html01 = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
\t{font-family:"Cambria Math";
\tpanose-1:2 4 5 3 5 4 6 3 2 4;}
p.MsoNormal, li.MsoNormal, div.MsoNormal
\t{margin:0cm;
\tfont-size:11.0pt;
\tfont-family:"Calibri",sans-serif;
\tmso-fareast-language:EN-US;}
--></style><!--[if gte mso 9]><xml>
<o:shapedefaults v:ext="edit" spidmax="1026" />
</xml><![endif]-->
</head>
<body lang="RU" link="#0563C1" vlink="#954F72" style="word-wrap:break-word">
<div class="WordSection1">
<p class="MsoNormal">Добрый день!<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Ошибка сохраняется: после ввода пароля страница долго грузится, потом пишет «Сервис временно недоступен». Пробовали из Chrome и из Edge, результат одинаковый.<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">С уважением,<o:p></o:p></p>
<p class="MsoNormal">Иван Петров<o:p></o:p></p>
<p class="MsoNormal">ООО «Ромашка»<o:p></o:p></p>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<div>
<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">
<p class="MsoNormal"><b>От:</b> Служба поддержки Zayavka &lt;support@example.ru&gt;
<br>
<b>Отправлено:</b> 3 марта 2025 г. 10:00<br>
<b>Кому:</b> Иван Петров &lt;Ivan.Petrov@romashka.ru&gt;<br>
<b>Тема:</b> [#10042] Не работает вход в личный кабинет<o:p></o:p></p>
</div>
</div>
<p class="MsoNormal"><o:p>&nbsp;</o:p></p>
<p class="MsoNormal">Здравствуйте, Иван!<o:p></o:p></p>
<p class="MsoNormal">Мы получили вашу заявку и уже проверяем журнал ошибок. Подскажите, пожалуйста, каким браузером вы пользуетесь?<o:p></o:p></p>
</div>
</body>
</html>
"""
B01 = "_000_AM0PR03MB63215E2B5F0C1A8D9E1F2AM0PR03MB6321eurp_"
fixture("01-outlook-ru-cp1251", crlf(A(f"""Received: from AM0PR03MB6321.eurprd03.prod.outlook.com (2603:10a6:208:d1::18)
 by AM0PR03MB6321.eurprd03.prod.outlook.com with HTTPS; Mon, 3 Mar 2025
 08:20:31 +0000
From: {ew_b("Иван Петров", "windows-1251")} <Ivan.Petrov@romashka.ru>
To: "support@example.ru" <support@example.ru>
CC: {ew_b("Анна Сидорова", "windows-1251")} <a.sidorova@romashka.ru>
Subject: {ew_b_folded(subj01, "windows-1251", max_chars=24)}
Thread-Topic: {ew_b_folded("[#10042] Не работает вход в личный кабинет", "windows-1251", max_chars=24)}
Thread-Index: AQHbjB2xq7kY3m1cT0WQm8V2sYk0ELN3aBkQ
Date: Mon, 3 Mar 2025 08:20:31 +0000
Message-ID: <AM0PR03MB63215E2B5F0C1A8D9E1F2A3B4C5D6E7F8@AM0PR03MB6321.eurprd03.prod.outlook.com>
References: <zy.10042.abc123@support.example.ru>
 <zy.10042.def456@support.example.ru>
In-Reply-To: <zy.10042.def456@support.example.ru>
Accept-Language: ru-RU, en-US
Content-Language: ru-RU
X-MS-Has-Attach:
X-MS-TNEF-Correlator:
Content-Type: multipart/alternative;
\tboundary="{B01}"
MIME-Version: 1.0

--{B01}
Content-Type: text/plain; charset="windows-1251"
Content-Transfer-Encoding: quoted-printable

{qp(text01, "windows-1251")}
--{B01}
Content-Type: text/html; charset="windows-1251"
Content-Transfer-Encoding: quoted-printable

{qp(html01, "windows-1251")}
--{B01}--
""")), {
    "description": "Outlook 365, Russian: windows-1251 everywhere (B-encoded Subject split into several folded encoded "
                   "words, B-encoded From/Cc names, quoted-printable text+html with soft breaks and =XX Cyrillic); "
                   "top-posted reply over an 'От:/Отправлено:/Кому:/Тема:' block; References folded over two lines",
    "quarantine": False,
    "subject": subj01,
    "from": person("Иван Петров", "ivan.petrov@romashka.ru"),
    "to": SUPPORT_TO,
    "cc": ["a.sidorova@romashka.ru"],
    "message_id": "AM0PR03MB63215E2B5F0C1A8D9E1F2A3B4C5D6E7F8@AM0PR03MB6321.eurprd03.prod.outlook.com",
    "in_reply_to": ["zy.10042.def456@support.example.ru"],
    "references": ["zy.10042.abc123@support.example.ru", "zy.10042.def456@support.example.ru"],
    "text_contains": ["Ошибка сохраняется: после ввода пароля", "«Сервис временно недоступен»",
                      "Пробовали из Chrome и из Edge"],
    "text_excludes": ["Мы получили вашу заявку", "каким браузером вы пользуетесь", "Отправлено: 3 марта 2025"],
    "has_html": True,
    "html_contains": ["Ошибка сохраняется: после ввода пароля"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 02 Outlook 2010, Russian, "-----Исходное сообщение-----", cp1251 alias labels, base64 text, ew in attachment name
subj02 = "RE: [#10051] Счёт № 318 на оплату"
text02 = """Добрый день.

Оплату провели сегодня утром, платёжное поручение № 77 во вложении.

Мария Петрова
главный бухгалтер

-----Исходное сообщение-----
От: Служба поддержки Zayavka [mailto:support@example.ru] 
Отправлено: Monday, March 03, 2025 10:00 AM
Кому: Петрова Мария
Тема: [#10051] Счёт № 318 на оплату

Направляем счёт № 318 на оплату годовой лицензии. Срок оплаты — 10 марта.
"""
pdf02 = fake_pdf("hand02-pdf", 3210)
name02 = "Платёжное поручение 77.pdf"
B02 = "----=_NextPart_000_0013_01DB8C1F.5A3B2C40"
fixture("02-outlook-ru-ishodnoe-soobshchenie", crlf(A(f"""From: {ew_q("Мария Петрова", "cp1251", "windows-1251")} <m.petrova@stroy-invest.ru>
To: <support@example.ru>
References: <zy.10051.a1b2c3@support.example.ru>
In-Reply-To: <zy.10051.a1b2c3@support.example.ru>
Subject: {ew_fold(subj02, "cp1251", "cp1251", "Q")}
Date: Mon, 3 Mar 2025 11:02:14 +0300
Message-ID: <001201db8c1f$5a3b2c40$0eb184c0$@stroy-invest.ru>
MIME-Version: 1.0
Content-Type: multipart/mixed;
\tboundary="{B02}"
X-Mailer: Microsoft Outlook 14.0
Thread-Index: AQHbjB9aOzsMQFo7LEAOsYTAAAAAAA==
Content-Language: ru

This is a multipart message in MIME format.

--{B02}
Content-Type: text/plain;
\tcharset="cp1251"
Content-Transfer-Encoding: base64

{b64text(text02, "cp1251")}
--{B02}
Content-Type: application/pdf;
\tname="{ew_b(name02, "cp1251", "windows-1251")}"
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
\tfilename="{ew_b(name02, "cp1251", "windows-1251")}"

{b64(pdf02)}
--{B02}--

""")), {
    "description": "Outlook 2010, Russian: '-----Исходное сообщение-----' separator; Q-encoded Subject with the 'cp1251' "
                   "alias, Q-encoded From name with 'windows-1251'; text/plain charset=\"cp1251\" in base64; PDF whose "
                   "name=/filename= are RFC 2047 windows-1251 encoded words inside quotes",
    "quarantine": False,
    "subject": subj02,
    "from": person("Мария Петрова", "m.petrova@stroy-invest.ru"),
    "to": SUPPORT_TO,
    "message_id": "001201db8c1f$5a3b2c40$0eb184c0$@stroy-invest.ru",
    "in_reply_to": ["zy.10051.a1b2c3@support.example.ru"],
    "references": ["zy.10051.a1b2c3@support.example.ru"],
    "text_contains": ["Оплату провели сегодня утром", "платёжное поручение № 77 во вложении"],
    "text_excludes": ["Направляем счёт № 318", "годовой лицензии"],
    "has_html": False,
    "attachments": [att(name02, "application/pdf", pdf02)],
    **NOT_AUTO,
})

# --- 03 Outlook, English UI, "-----Original Message-----", UTF-8 RFC 2047 filename (with Outlook's size= param)
text03 = """Hello,

The export still fails with error 0x80070005 when I press "Save as PDF". Screenshot attached.

Regards,
John Smith

-----Original Message-----
From: Zayavka Support <support@example.ru> 
Sent: Monday, March 3, 2025 10:00 AM
To: John Smith <john.smith@contoso.example>
Subject: [#10060] Export to PDF fails

Dear John,

Could you please tell us the exact error code shown in the dialog?
"""
html03 = """<html><head><meta http-equiv="Content-Type" content="text/html; charset=us-ascii"></head>
<body lang="EN-US"><div class="WordSection1">
<p class="MsoNormal">Hello,<o:p></o:p></p>
<p class="MsoNormal">The export still fails with error 0x80070005 when I press &quot;Save as PDF&quot;. Screenshot attached.<o:p></o:p></p>
<p class="MsoNormal">Regards,<br>John Smith<o:p></o:p></p>
<p class="MsoNormal">-----Original Message-----<br>
From: Zayavka Support &lt;support@example.ru&gt; <br>
Sent: Monday, March 3, 2025 10:00 AM<br>
To: John Smith &lt;john.smith@contoso.example&gt;<br>
Subject: [#10060] Export to PDF fails<o:p></o:p></p>
<p class="MsoNormal">Dear John,<o:p></o:p></p>
<p class="MsoNormal">Could you please tell us the exact error code shown in the dialog?<o:p></o:p></p>
</div></body></html>
"""
img03 = png(40, 30, (250, 250, 250))
name03 = "Скриншот ошибки.png"
B03a = "_004_DB9PR02MB7369A1B2C3D4E5F6A7B8C9D0DB9PR02MB7369eurp_"
B03b = "_000_DB9PR02MB7369A1B2C3D4E5F6A7B8C9D0DB9PR02MB7369eurp_"
fixture("03-outlook-en-original-message", crlf(A(f"""From: John Smith <John.Smith@contoso.example>
To: Zayavka Support <support@example.ru>
Subject: RE: [#10060] Export to PDF fails
Thread-Topic: [#10060] Export to PDF fails
Thread-Index: AduMIAbcdEFGhijkLMNopQRstuVWxw==
Date: Mon, 3 Mar 2025 09:40:02 +0000
Message-ID: <DB9PR02MB7369A1B2C3D4E5F6A7B8C9D0@DB9PR02MB7369.eurprd02.prod.outlook.com>
References: <zy.10060.q1w2e3@support.example.ru>
In-Reply-To: <zy.10060.q1w2e3@support.example.ru>
Accept-Language: en-US
Content-Language: en-US
X-MS-Has-Attach: yes
Content-Type: multipart/mixed;
\tboundary="{B03a}"
MIME-Version: 1.0

--{B03a}
Content-Type: multipart/alternative;
\tboundary="{B03b}"

--{B03b}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(text03, "ascii")}
--{B03b}
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(html03, "ascii")}
--{B03b}--

--{B03a}
Content-Type: image/png; name="{ew_b(name03, "utf-8")}"
Content-Description: {ew_b(name03, "utf-8")}
Content-Disposition: attachment;
\tfilename="{ew_b(name03, "utf-8")}"; size={len(img03)};
\tcreation-date="Mon, 03 Mar 2025 09:39:51 GMT";
\tmodification-date="Mon, 03 Mar 2025 09:40:01 GMT"
Content-Transfer-Encoding: base64

{b64(img03)}
--{B03a}--
""")), {
    "description": "Outlook 365, English UI: '-----Original Message-----' followed by From:/Sent:/To:/Subject:; us-ascii "
                   "quoted-printable text+html; PNG attachment with filename=\"=?utf-8?B?...?=\" (RFC 2047 inside a "
                   "parameter) plus Outlook's size=/creation-date= parameters",
    "quarantine": False,
    "subject": "RE: [#10060] Export to PDF fails",
    "from": person("John Smith", "john.smith@contoso.example"),
    "to": SUPPORT_TO,
    "message_id": "DB9PR02MB7369A1B2C3D4E5F6A7B8C9D0@DB9PR02MB7369.eurprd02.prod.outlook.com",
    "in_reply_to": ["zy.10060.q1w2e3@support.example.ru"],
    "references": ["zy.10060.q1w2e3@support.example.ru"],
    "text_contains": ["The export still fails with error 0x80070005", "Screenshot attached."],
    "text_excludes": ["Could you please tell us the exact error code", "-----Original Message-----"],
    "has_html": True,
    "html_contains": ["The export still fails with error 0x80070005"],
    "attachments": [att(name03, "image/png", img03)],
    **NOT_AUTO,
})

# --- 04 Outlook on the web: underscore line + English "From:/Sent:/To:/Subject:" block, UTF-8 base64
text04 = """Спасибо, помогло. Заявку можно закрывать.

Get Outlook for Android
________________________________
From: Zayavka Support <support@example.ru>
Sent: Monday, March 3, 2025 10:00:00 AM
To: Ольга Смирнова <olga.smirnova@example.com>
Subject: [#10077] VPN отключается каждый час

Ольга, добрый день! Попробуйте новую версию клиента 5.2, в ней исправлен разрыв соединения.
"""
html04 = """<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=utf-8"></head>
<body><div dir="auto">Спасибо, помогло. Заявку можно закрывать.</div>
<div dir="auto"><br></div>
<div dir="auto">Get <a href="https://aka.ms/AAb9ysg">Outlook for Android</a></div>
<hr style="display:inline-block;width:98%" tabindex="-1">
<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" color="#000000"><b>From:</b> Zayavka Support &lt;support@example.ru&gt;<br>
<b>Sent:</b> Monday, March 3, 2025 10:00:00 AM<br>
<b>To:</b> Ольга Смирнова &lt;olga.smirnova@example.com&gt;<br>
<b>Subject:</b> [#10077] VPN отключается каждый час</font>
<div>&nbsp;</div></div>
<div>Ольга, добрый день! Попробуйте новую версию клиента 5.2, в ней исправлен разрыв соединения.</div>
</body></html>
"""
B04 = "_000_VI1PR07MB61924F7A2C1B3D5E6F7A8B9CVI1PR07MB6192eurp_"
subj04 = "Re: [#10077] VPN отключается каждый час"
fixture("04-outlook-web-from-sent-block", crlf(A(f"""From: {ew_b("Ольга Смирнова", "utf-8")} <olga.smirnova@example.com>
To: Zayavka Support <support@example.ru>
Subject: {ew_fold(subj04, "utf-8")}
Thread-Topic: [#10077] VPN
Date: Mon, 3 Mar 2025 10:31:45 +0000
Message-ID:
 <VI1PR07MB61924F7A2C1B3D5E6F7A8B9C@VI1PR07MB6192.eurprd07.prod.outlook.com>
References: <zy.10077.k9l8m7@support.example.ru>
In-Reply-To: <zy.10077.k9l8m7@support.example.ru>
Content-Type: multipart/alternative;
\tboundary="{B04}"
MIME-Version: 1.0

--{B04}
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

{b64text(text04, "utf-8")}
--{B04}
Content-Type: text/html; charset="utf-8"
Content-Transfer-Encoding: base64

{b64text(html04, "utf-8")}
--{B04}--
""")), {
    "description": "Outlook mobile / OWA: reply above a '____' line and an English 'From:/Sent:/To:/Subject:' block (no "
                   "'Original Message' line); UTF-8 base64 text+html; Message-ID folded onto its own line",
    "quarantine": False,
    "subject": subj04,
    "from": person("Ольга Смирнова", "olga.smirnova@example.com"),
    "to": SUPPORT_TO,
    "message_id": "VI1PR07MB61924F7A2C1B3D5E6F7A8B9C@VI1PR07MB6192.eurprd07.prod.outlook.com",
    "in_reply_to": ["zy.10077.k9l8m7@support.example.ru"],
    "references": ["zy.10077.k9l8m7@support.example.ru"],
    "text_contains": ["Спасибо, помогло. Заявку можно закрывать."],
    "text_excludes": ["Попробуйте новую версию клиента 5.2", "Sent: Monday, March 3, 2025"],
    "has_html": True,
    "html_contains": ["Спасибо, помогло."],
    "attachments": [],
    **NOT_AUTO,
})

# --- 05 Gmail, English UI: "On ... wrote:", '-- ' signature, ew-encoded attachment names, Content-ID on attachments
subj05 = "Re: [#10042] Не работает вход в личный кабинет"
text05 = """Good afternoon,

I cleared the cache as you suggested, but the login page still returns error 502.
Screenshot and the browser console log are attached.

-- 
Ivan Petrov
Romashka LLC, +7 495 123-45-67

On Mon, 3 Mar 2025 at 10:00, Zayavka Support <support@example.ru> wrote:

> Hello Ivan,
>
> Please clear the browser cache and try again.
>
> --
> Zayavka Support
>
"""
html05 = """<div dir="ltr">Good afternoon,<div><br></div><div>I cleared the cache as you suggested, but the login page still returns error 502.</div><div>Screenshot and the browser console log are attached.</div><div><br clear="all"></div><div><div dir="ltr" class="gmail_signature" data-smartmail="gmail_signature"><span class="gmail_signature_prefix">-- </span><br>Ivan Petrov<br>Romashka LLC, +7 495 123-45-67</div></div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2025 at 10:00, Zayavka Support &lt;<a href="mailto:support@example.ru">support@example.ru</a>&gt; wrote:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Hello Ivan,<br><br>Please clear the browser cache and try again.<br><br>--<br>Zayavka Support<br></blockquote></div>
"""
img05 = png(64, 48, (30, 30, 30))
log05 = b"[10:41:02] GET https://lk.example.ru/login 502 (Bad Gateway)\r\n[10:41:03] Uncaught TypeError: session is undefined\r\n"
name05 = "Ошибка входа.png"
G05m, G05a = "000000000000c8a1f2062f5b7d30", "000000000000c8a1ef062f5b7d2e"
fixture("05-gmail-en-wrote-attachments", crlf(A(f"""MIME-Version: 1.0
References: <zy.10042.abc123@support.example.ru> <zy.10042.def456@support.example.ru>
In-Reply-To: <zy.10042.def456@support.example.ru>
From: Ivan Petrov <ivan.petrov.1985@gmail.com>
Date: Mon, 3 Mar 2025 12:41:07 +0300
X-Gm-Features: AQ5f1JpQkx3mGhA1bC2dE3fG4hI5jK6lM7nO8pQ9rS0tU1vW2xY3zA4bC5dE6fG
Message-ID: <CAHx7p3kQ9Zr1yV0bT2mWnL8sF4dJ6uE5cA9gR3hK2pN7oXqYw@mail.gmail.com>
Subject: Re: [#10042] {ew_b("Не работает вход в л", "utf-8", "UTF-8")}
\t{ew_b("ичный кабинет", "utf-8", "UTF-8")}
To: Zayavka Support <support@example.ru>
Content-Type: multipart/mixed; boundary="{G05m}"

--{G05m}
Content-Type: multipart/alternative; boundary="{G05a}"

--{G05a}
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(text05, "utf-8")}
--{G05a}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(html05, "utf-8")}
--{G05a}--
--{G05m}
Content-Type: image/png; name="{ew_b(name05, "utf-8", "UTF-8")}"
Content-Disposition: attachment; filename="{ew_b(name05, "utf-8", "UTF-8")}"
Content-Transfer-Encoding: base64
Content-ID: <f_m7t3k2a40>
X-Attachment-Id: f_m7t3k2a40

{b64(img05)}
--{G05m}
Content-Type: text/plain; charset="US-ASCII"; name="browser-console.log"
Content-Disposition: attachment; filename="browser-console.log"
Content-Transfer-Encoding: base64
Content-ID: <f_m7t3k2b81>
X-Attachment-Id: f_m7t3k2b81

{b64(log05)}
--{G05m}--
""")), {
    "description": "Gmail, English UI: 'On Mon, 3 Mar 2025 at 10:00, ... wrote:' + '>' quote, '-- ' signature before "
                   "it; Subject = plain 'Re: [#10042] ' + two UTF-8 B words folded with a TAB; attachments named with "
                   "RFC 2047 in filename=\"...\"; Gmail puts Content-ID on ordinary attachments (not referenced from "
                   "HTML -> inline false, content_id still reported); a text/plain attachment must not become the body",
    "quarantine": False,
    "subject": subj05,
    "from": person("Ivan Petrov", "ivan.petrov.1985@gmail.com"),
    "to": SUPPORT_TO,
    "message_id": "CAHx7p3kQ9Zr1yV0bT2mWnL8sF4dJ6uE5cA9gR3hK2pN7oXqYw@mail.gmail.com",
    "in_reply_to": ["zy.10042.def456@support.example.ru"],
    "references": ["zy.10042.abc123@support.example.ru", "zy.10042.def456@support.example.ru"],
    "text_contains": ["I cleared the cache as you suggested", "still returns error 502"],
    "text_excludes": ["Please clear the browser cache", "+7 495 123-45-67", "Uncaught TypeError"],
    "has_html": True,
    "html_contains": ["I cleared the cache as you suggested"],
    "attachments": [att(name05, "image/png", img05, content_id="f_m7t3k2a40"),
                    att("browser-console.log", "text/plain", log05, content_id="f_m7t3k2b81")],
    **NOT_AUTO,
})

# --- 06 Gmail, Russian UI, short attribution "пн, 3 мар. 2025 г. в 10:00, ... <...>:", base64 bodies
subj06 = "Re: [#10043] Не приходят уведомления на почту"
text06 = """Добрый день!

Уведомления так и не приходят, папку «Спам» проверила.
Адрес в профиле правильный.

пн, 3 мар. 2025 г. в 10:00, Zayavka <support@example.ru>:

> Анна, здравствуйте!
>
> Проверьте, пожалуйста, папку «Спам» и адрес в профиле.
>
"""
html06 = """<div dir="ltr"><div>Добрый день!</div><div><br></div><div>Уведомления так и не приходят, папку «Спам» проверила.</div><div>Адрес в профиле правильный.</div></div><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">пн, 3 мар. 2025 г. в 10:00, Zayavka &lt;<a href="mailto:support@example.ru">support@example.ru</a>&gt;:<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);padding-left:1ex">Анна, здравствуйте!<br><br>Проверьте, пожалуйста, папку «Спам» и адрес в профиле.<br></blockquote></div>
"""
G06 = "0000000000007a2b3c062f5b8e41"
fixture("06-gmail-ru-short-attribution", crlf(A(f"""MIME-Version: 1.0
References: <zy.10043.bcd234@support.example.ru>
In-Reply-To: <zy.10043.bcd234@support.example.ru>
From: {ew_b("Анна Кузнецова", "utf-8", "UTF-8")} <anna.kuznetsova@gmail.com>
Date: Mon, 3 Mar 2025 13:05:10 +0300
Message-ID: <CAJp2mXk4Wq8Zc0vN1bL7tR5yH3gF9dS2aQ6eU0iO8pK4jM1nB@mail.gmail.com>
Subject: Re: [#10043] {ew_b("Не приходят уведомления", "utf-8", "UTF-8")}
\t{ew_b(" на почту", "utf-8", "UTF-8")}
To: Zayavka <support@example.ru>
Content-Type: multipart/alternative; boundary="{G06}"

--{G06}
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: base64

{b64text(text06, "utf-8")}
--{G06}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: base64

{b64text(html06, "utf-8")}
--{G06}--
""")), {
    "description": "Gmail, Russian UI: short attribution 'пн, 3 мар. 2025 г. в 10:00, Zayavka <support@example.ru>:' "
                   "then '>' quote; UTF-8 base64 text+html wrapped at 76; Subject = ASCII prefix + two B words where "
                   "the space lives inside the second word",
    "quarantine": False,
    "subject": subj06,
    "from": person("Анна Кузнецова", "anna.kuznetsova@gmail.com"),
    "to": SUPPORT_TO,
    "message_id": "CAJp2mXk4Wq8Zc0vN1bL7tR5yH3gF9dS2aQ6eU0iO8pK4jM1nB@mail.gmail.com",
    "in_reply_to": ["zy.10043.bcd234@support.example.ru"],
    "references": ["zy.10043.bcd234@support.example.ru"],
    "text_contains": ["Уведомления так и не приходят", "Адрес в профиле правильный."],
    "text_excludes": ["Проверьте, пожалуйста, папку", "Анна, здравствуйте!"],
    "has_html": True,
    "html_contains": ["Уведомления так и не приходят"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 07 Gmail, Russian UI, old attribution "3 марта 2025 г., 10:00 пользователь ... написал:", QP text only
subj07 = "Re: [#10044] Принтер в бухгалтерии"
text07 = """Спасибо, принтер заработал после перезагрузки диспетчера печати.

3 марта 2025 г., 10:00 пользователь Zayavka <support@example.ru> написал:

> Дмитрий, попробуйте перезапустить службу «Диспетчер печати» на компьютере
> бухгалтера и отправить документ ещё раз.
"""
fixture("07-gmail-ru-polzovatel-napisal", crlf(A(f"""MIME-Version: 1.0
Received: by 10.28.137.132 with HTTP; Mon, 3 Mar 2025 02:11:12 -0800 (PST)
In-Reply-To: <zy.10044.aaa111@support.example.ru>
References: <zy.10044.aaa111@support.example.ru>
Date: Mon, 3 Mar 2025 13:11:12 +0300
Message-ID: <CAKq9vTm3Yb5Xc7Nd1Lf2Gh4Jk6Pr8St0Uw2Vy4Az6Bx8Cz0Dq@mail.gmail.com>
Subject: {ew_fold(subj07, "utf-8", "UTF-8", "Q")}
From: {ew_b("Дмитрий Орлов", "utf-8", "UTF-8")} <dmitry.orlov@gmail.com>
To: support@example.ru
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

{qp(text07, "utf-8")}""")), {
    "description": "older Gmail, Russian UI: '3 марта 2025 г., 10:00 пользователь Zayavka <...> написал:' attribution; "
                   "single text/plain UTF-8 quoted-printable; Subject as three folded Q-encoded words (underscores = spaces, "
                   "=3A/=5B/=23 for ':[#')",
    "quarantine": False,
    "subject": subj07,
    "from": person("Дмитрий Орлов", "dmitry.orlov@gmail.com"),
    "to": SUPPORT_TO,
    "message_id": "CAKq9vTm3Yb5Xc7Nd1Lf2Gh4Jk6Pr8St0Uw2Vy4Az6Bx8Cz0Dq@mail.gmail.com",
    "in_reply_to": ["zy.10044.aaa111@support.example.ru"],
    "references": ["zy.10044.aaa111@support.example.ru"],
    "text_contains": ["принтер заработал после перезагрузки"],
    "text_excludes": ["попробуйте перезапустить службу", "пользователь Zayavka"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 08 Thunderbird, KOI8-R 8bit body, "пишет:", '-- ' signature, RFC 2231 filenames incl. continuations
subj08 = "Re: [#10045] Принтер печатает пустые листы"
text08 = """Добрый день.

Картридж заменили, но листы по-прежнему выходят пустыми. Фото 
настроек драйвера и акт во вложении.

03.03.2025 10:00, Служба поддержки Zayavka пишет:
> Здравствуйте, Сергей!
>
> Попробуйте заменить картридж и напечатать тестовую страницу.
>

-- 
Сергей Волков
системный администратор, доб. 2217
"""
jpg08 = fake_jpeg("hand08-jpg", 4096)
name08a = "Настройки драйвера.jpg"
pdf08 = fake_pdf("hand08-pdf", 2500)
name08b = "Акт выполненных работ по обслуживанию принтеров за февраль 2025.pdf"
enc08b = pct(name08b.encode("utf-8"))
# split the percent-encoded value every 20 characters of the name: at character boundaries
pieces08 = []
for i in range(0, len(name08b), 20):
    pieces08.append(pct(name08b[i:i + 20].encode("utf-8")))
assert "".join(pieces08) == enc08b
cont08 = ";\n".join(f" filename*{n}*={'UTF-8' + chr(39) * 2 if n == 0 else ''}{p}" for n, p in enumerate(pieces08))
T08 = "------------0aBcDeFgHiJkLmNoPqRsTuVw"
msg08 = A(f"""Message-ID: <e3b0c442-98fc-1c14-9afb-f4c8996fb924@sibtelecom.example.ru>
Date: Mon, 3 Mar 2025 14:05:44 +0700
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Subject: {ew_b(subj08, "koi8-r", "KOI8-R")}
Content-Language: ru
To: support@example.ru
References: <zy.10045.bbb222@support.example.ru>
From: {ew_q("Сергей Волков", "koi8-r", "KOI8-R")} <s.volkov@sibtelecom.example.ru>
In-Reply-To: <zy.10045.bbb222@support.example.ru>
Content-Type: multipart/mixed; boundary="{T08[2:]}"

This is a multi-part message in MIME format.
{T08}
Content-Type: text/plain; charset=KOI8-R; format=flowed
Content-Transfer-Encoding: 8bit

""") + text08.encode("koi8-r") + A(f"""{T08}
Content-Type: image/jpeg; name="{ew_b(name08a, "utf-8", "UTF-8")}"
Content-Disposition: attachment;
 filename*=UTF-8''{pct(name08a.encode("utf-8"))}
Content-Transfer-Encoding: base64

{b64(jpg08)}{T08}
Content-Type: application/pdf;
 name="{ew_b_folded(name08b, "utf-8", "UTF-8", max_chars=20, sep=" ")}"
Content-Disposition: attachment;
{cont08}
Content-Transfer-Encoding: base64

{b64(pdf08)}
{T08}--
""")
fixture("08-thunderbird-koi8r-8bit", crlf(msg08), {
    "description": "Thunderbird: KOI8-R everywhere (B-encoded Subject, Q-encoded From name, raw 8-bit KOI8-R "
                   "format=flowed body); '03.03.2025 10:00, ... пишет:' attribution, '-- ' signature after the quote; "
                   "attachments with name=\"=?UTF-8?B?..?=\" on Content-Type and RFC 2231 filename*=UTF-8'' on "
                   "Content-Disposition, the long one as filename*0*/filename*1*/... continuations",
    "quarantine": False,
    "subject": subj08,
    "from": person("Сергей Волков", "s.volkov@sibtelecom.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "e3b0c442-98fc-1c14-9afb-f4c8996fb924@sibtelecom.example.ru",
    "in_reply_to": ["zy.10045.bbb222@support.example.ru"],
    "references": ["zy.10045.bbb222@support.example.ru"],
    "text_contains": ["Картридж заменили, но листы по-прежнему выходят пустыми"],
    "text_excludes": ["Попробуйте заменить картридж", "доб. 2217"],
    "has_html": False,
    "attachments": [att(name08a, "image/jpeg", jpg08), att(name08b, "application/pdf", pdf08)],
    **NOT_AUTO,
})

# --- 09 Apple Mail (macOS), English: quoted attribution "> On 3 Mar 2025, at 10:00, ... wrote:", us-ascii 7bit
text09 = """Thanks, the calendar is syncing again after re-adding the account.

Best,
Peter

> On 3 Mar 2025, at 10:00, Zayavka Support <support@example.ru> wrote:
> 
> Hello Peter,
> 
> Please remove the account from the iPad and add it again.
> 
> Zayavka Support
> 
"""
fixture("09-apple-mail-en", crlf(A("""Content-Type: text/plain;
\tcharset=us-ascii
Content-Transfer-Encoding: 7bit
Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.400.131.1.6\\))
Subject: Re: [#10046] Calendar sync with iPad
From: Peter Brown <peter.brown@me.example.com>
In-Reply-To: <zy.10046.ccc333@support.example.ru>
Date: Mon, 3 Mar 2025 12:30:12 +0100
Message-Id: <8A1E2C4F-6B3D-4E5A-9C7B-1D2E3F4A5B6C@me.example.com>
References: <zy.10046.ccc333@support.example.ru>
To: Zayavka Support <support@example.ru>
X-Mailer: Apple Mail (2.3826.400.131.1.6)

""") + A(text09)), {
    "description": "Apple Mail (macOS), English: the attribution line itself is quoted ('> On 3 Mar 2025, at 10:00, "
                   "... wrote:'); text/plain us-ascii 7bit on two header lines; header names in odd case (Message-Id, "
                   "Mime-Version with an escaped comment)",
    "quarantine": False,
    "subject": "Re: [#10046] Calendar sync with iPad",
    "from": person("Peter Brown", "peter.brown@me.example.com"),
    "to": SUPPORT_TO,
    "message_id": "8A1E2C4F-6B3D-4E5A-9C7B-1D2E3F4A5B6C@me.example.com",
    "in_reply_to": ["zy.10046.ccc333@support.example.ru"],
    "references": ["zy.10046.ccc333@support.example.ru"],
    "text_contains": ["the calendar is syncing again after re-adding the account"],
    "text_excludes": ["Please remove the account from the iPad", "On 3 Mar 2025, at 10:00"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 10 iPhone, Russian: "Отправлено с iPhone" + unquoted "3 мар. 2025 г., в 10:00, ... написал(а):"
subj10 = "Re: [#10047] Нет доступа к общей папке"
text10 = """Доступ появился, спасибо!

Отправлено с iPhone

3 мар. 2025 г., в 10:00, Zayavka <support@example.ru> написал(а):

> Елена, добрый день! Мы добавили вашу учётную запись в группу «Бухгалтерия».
"""
fixture("10-iphone-ru", crlf(A(f"""Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable
From: {ew_b("Елена Морозова", "utf-8")} <elena.morozova@icloud.example.com>
Mime-Version: 1.0 (1.0)
Date: Mon, 3 Mar 2025 13:02:45 +0300
Subject: {ew_fold(subj10, "utf-8")}
Message-Id: <3C1F8E2A-5B7D-4A9E-8F6C-2D1B0A9E8F7D@icloud.example.com>
References: <zy.10047.ddd444@support.example.ru>
In-Reply-To: <zy.10047.ddd444@support.example.ru>
To: support@example.ru
X-Mailer: iPhone Mail (22D72)

{qp(text10, "utf-8")}""")), {
    "description": "iPhone Mail, Russian: 'Отправлено с iPhone' trailer, then the Apple Russian attribution "
                   "'3 мар. 2025 г., в 10:00, ... написал(а):' (not quoted) and a '>' quote; UTF-8 quoted-printable",
    "quarantine": False,
    "subject": subj10,
    "from": person("Елена Морозова", "elena.morozova@icloud.example.com"),
    "to": SUPPORT_TO,
    "message_id": "3C1F8E2A-5B7D-4A9E-8F6C-2D1B0A9E8F7D@icloud.example.com",
    "in_reply_to": ["zy.10047.ddd444@support.example.ru"],
    "references": ["zy.10047.ddd444@support.example.ru"],
    "text_contains": ["Доступ появился, спасибо!"],
    "text_excludes": ["Отправлено с iPhone", "Мы добавили вашу учётную запись"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 11 Yandex web: text/html only, 8bit UTF-8, quote in <blockquote>
subj11 = "Re: [#10048] Не открывается отчёт за квартал"
html11 = """<div>Отчёт открылся, но в нём не хватает данных за март.</div><div>Проверьте, пожалуйста, выгрузку.</div><div> </div><div>-- </div><div>С уважением,<br />Алексей Орлов</div><div> </div><div> </div><div>03.03.2025, 10:00, "Zayavka" &lt;support@example.ru&gt;:</div><blockquote><p>Алексей, здравствуйте!</p><p>Исправление выложено, откройте отчёт ещё раз.</p></blockquote>
"""
fixture("11-yandex-html-blockquote", crlf(A(f"""Received: from mail-nwsmtp-smtp-production-main-12.vla.yp-c.yandex.net
\tby mail-notsolitesrv-production-main-7.vla.yp-c.yandex.net with HTTP;
\tMon, 03 Mar 2025 13:15:22 +0300
X-Yandex-Fwd: 1
From: {ew_b("Алексей Орлов", "utf-8")} <a.orlov@yandex.example.ru>
To: support@example.ru
In-Reply-To: <zy.10048.eee555@support.example.ru>
References: <zy.10048.eee555@support.example.ru>
Subject: {ew_b(subj11, "utf-8")}
MIME-Version: 1.0
X-Mailer: Yamail [ http://yandex.ru ] 5.0
Date: Mon, 03 Mar 2025 13:15:22 +0300
Message-Id: <1234561741000000@mail.yandex.example.ru>
Content-Transfer-Encoding: 8bit
Content-Type: text/html; charset=utf-8

""") + html11.encode("utf-8")), {
    "description": "Yandex web mail: text/html only in 8-bit UTF-8; the earlier message is in a <blockquote> after a "
                   "'03.03.2025, 10:00, \"Zayavka\" <...>:' line; the text comes from the HTML and the blockquote is "
                   "the quoted part; Subject is ONE over-long encoded word (108 chars, over the RFC 2047 limit of 75) "
                   "that must still decode",
    "quarantine": False,
    "subject": subj11,
    "from": person("Алексей Орлов", "a.orlov@yandex.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "1234561741000000@mail.yandex.example.ru",
    "in_reply_to": ["zy.10048.eee555@support.example.ru"],
    "references": ["zy.10048.eee555@support.example.ru"],
    "text_contains": ["Отчёт открылся, но в нём не хватает данных за март", "Проверьте, пожалуйста, выгрузку"],
    "text_excludes": ["Исправление выложено, откройте отчёт ещё раз"],
    "has_html": True,
    "html_contains": ["Отчёт открылся, но в нём не хватает данных за март"],
    "html_excludes": ["<script", "onerror", "javascript:"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 12 Mail.ru: multipart/alternative base64, "Re[2]:" subject, quote ">" without space, boundary starting with "--"
subj12 = "Re[2]: [#10049] Ошибка при загрузке файла"
text12 = """Файл загрузился со второй попытки, вопрос снят.
 
 
--
Наталья Соколова
 
  
>Понедельник, 3 марта 2025, 10:00 +03:00 от Поддержка Zayavka < support@example.ru >:
> 
>Наталья, добрый день! Ограничение на размер файла увеличено до 50 МБ.
> 
"""
html12 = """<HTML><BODY><div>Файл загрузился со второй попытки, вопрос снят.</div><div>&nbsp;</div><div data-signature-widget="container"><div data-signature-widget="content"><div>--<br>Наталья Соколова</div></div></div><div>&nbsp;</div><blockquote style="border-left:1px solid #0857A6; margin:10px; padding:0 0 0 10px;">Понедельник, 3 марта 2025, 10:00 +03:00 от Поддержка Zayavka &lt;<a href="mailto:support@example.ru">support@example.ru</a>&gt;:<br>&nbsp;<div id=""><div class="js-helper js-readmsg-msg"><div><div id="style_17410008050000000001_BODY">Наталья, добрый день! Ограничение на размер файла увеличено до 50 МБ.</div></div></div></div></blockquote></BODY></HTML>
"""
M12 = "--ALT--3dBf6C2F1741000805"
fixture("12-mailru-alternative", crlf(A(f"""From: {ew_b("Наталья Соколова", "utf-8", "UTF-8")} <n.sokolova@mail.example.ru>
To: {ew_b("Поддержка Zayavka", "utf-8", "UTF-8")} <support@example.ru>
Subject: {ew_fold(subj12, "utf-8", "UTF-8", sep=chr(10) + chr(9))}
MIME-Version: 1.0
X-Mailer: Mail.Ru Mailer 1.0
X-SenderField-Remind: 0
Date: Mon, 03 Mar 2025 13:40:05 +0300
Reply-To: {ew_b("Наталья Соколова", "utf-8", "UTF-8")} <n.sokolova@mail.example.ru>
X-Priority: 3 (Normal)
Message-ID: <1741000805.123456789@f512.i.mail.example.ru>
Content-Type: multipart/alternative;
\tboundary="{M12}"
In-Reply-To: <zy.10049.fff666@support.example.ru>
References: <zy.10049.abc000@support.example.ru> <zy.10049.fff666@support.example.ru>
X-Mras: Ok


--{M12}
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{b64text(text12, "utf-8")}
--{M12}
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{b64text(html12, "utf-8")}
--{M12}--
""")), {
    "description": "Mail.ru: multipart/alternative with base64 UTF-8 text+html, boundary itself starts with '--' "
                   "(delimiter line '----ALT--...'); 'Re[2]:' subject prefix kept as-is; quote lines '>' without a "
                   "space including the quoted attribution; quoted HTML in a <blockquote>",
    "quarantine": False,
    "subject": subj12,
    "from": person("Наталья Соколова", "n.sokolova@mail.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "1741000805.123456789@f512.i.mail.example.ru",
    "in_reply_to": ["zy.10049.fff666@support.example.ru"],
    "references": ["zy.10049.abc000@support.example.ru", "zy.10049.fff666@support.example.ru"],
    "text_contains": ["Файл загрузился со второй попытки, вопрос снят."],
    "text_excludes": ["Ограничение на размер файла увеличено до 50 МБ"],
    "has_html": True,
    "html_contains": ["Файл загрузился со второй попытки"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 13 Gmail inline forward, English: "---------- Forwarded message ---------" (NOT quote-folded)
text13 = """Hi team, please see the complaint below from our client and open a ticket.

---------- Forwarded message ---------
From: Boris Nikolaev <b.nikolaev@client.example.com>
Date: Fri, 28 Feb 2025 at 17:45
Subject: Broken delivery of order 5521
To: Olga Ivanova <o.ivanova@partner.example.com>


The order 5521 arrived with a damaged box and two missing items.
Please call me back.

Boris
"""
html13 = """<div dir="ltr">Hi team, please see the complaint below from our client and open a ticket.<br><br><div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>From: <strong class="gmail_sendername" dir="auto">Boris Nikolaev</strong> <span dir="auto">&lt;<a href="mailto:b.nikolaev@client.example.com">b.nikolaev@client.example.com</a>&gt;</span><br>Date: Fri, 28 Feb 2025 at 17:45<br>Subject: Broken delivery of order 5521<br>To: Olga Ivanova &lt;<a href="mailto:o.ivanova@partner.example.com">o.ivanova@partner.example.com</a>&gt;<br></div><br><br><div dir="ltr">The order 5521 arrived with a damaged box and two missing items.<div>Please call me back.</div><div><br></div><div>Boris</div></div></div></div>
"""
G13 = "000000000000e1d2c3062f5b9f52"
fixture("13-forwarded-inline-en", crlf(A(f"""MIME-Version: 1.0
From: Olga Ivanova <o.ivanova@partner.example.com>
Date: Mon, 3 Mar 2025 09:15:40 +0300
Message-ID: <CAFw8Lz1Xq2Rb3Sc4Td5Ue6Vf7Wg8Xh9Yi0Zj1Ak2Bl3Cm4Dn5@mail.gmail.com>
Subject: Fwd: Broken delivery of order 5521
To: support@example.ru
Content-Type: multipart/alternative; boundary="{G13}"

--{G13}
Content-Type: text/plain; charset="UTF-8"

{text13}
--{G13}
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

{qp(html13, "utf-8")}
--{G13}--
""")), {
    "description": "Gmail inline forward: '---------- Forwarded message ---------' with From/Date/Subject/To; the "
                   "forwarded content is NOT quote-folded, it is part of the new text; text part has no "
                   "Content-Transfer-Encoding header (defaults to 7bit)",
    "quarantine": False,
    "subject": "Fwd: Broken delivery of order 5521",
    "from": person("Olga Ivanova", "o.ivanova@partner.example.com"),
    "to": SUPPORT_TO,
    "message_id": "CAFw8Lz1Xq2Rb3Sc4Td5Ue6Vf7Wg8Xh9Yi0Zj1Ak2Bl3Cm4Dn5@mail.gmail.com",
    "text_contains": ["please see the complaint below", "arrived with a damaged box and two missing items",
                      "Please call me back."],
    "has_html": True,
    "html_contains": ["arrived with a damaged box"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 14 inline forward, Russian: "---------- Пересылаемое сообщение ----------", 8bit UTF-8
subj14 = "Fwd: Не проходит выгрузка в 1С"
text14 = """Коллеги, пересылаю обращение клиента, просьба взять в работу.

---------- Пересылаемое сообщение ----------
От: Бухгалтерия ООО «Вектор» <buh@vector.example.ru>
Date: пт, 28 февр. 2025 г. в 17:45
Subject: Не проходит выгрузка в 1С
To: <manager@example.ru>


Здравствуйте! С утра не проходит выгрузка документов в 1С, ошибка «Нет связи с сервером».
Работа отдела стоит.
"""
fixture("14-forwarded-inline-ru", crlf(A(f"""From: {ew_b("Марина Ковалёва", "utf-8")} <manager@example.ru>
To: support@example.ru
Subject: {ew_fold(subj14, "utf-8")}
Date: Mon, 3 Mar 2025 09:20:00 +0300
Message-ID: <fwd-ru-20250303-0920@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + text14.encode("utf-8")), {
    "description": "inline forward in Russian: '---------- Пересылаемое сообщение ----------' followed by От:/Date:/"
                   "Subject:/To: (not an Outlook От:/Отправлено: block); the forwarded text is part of the new text; "
                   "8-bit UTF-8 body",
    "quarantine": False,
    "subject": subj14,
    "from": person("Марина Ковалёва", "manager@example.ru"),
    "to": SUPPORT_TO,
    "message_id": "fwd-ru-20250303-0920@example.ru",
    "text_contains": ["пересылаю обращение клиента", "не проходит выгрузка документов в 1С", "Работа отдела стоит."],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# =========================================================================== charsets

# --- 15 ISO-8859-5 (mutt): Q subject, B name, QP body, '-- ' signature
subj15 = "Не работает сканер на 3-м этаже"
text15 = """Здравствуйте!

Сканер на третьем этаже не отправляет документы на почту, на экране ошибка "SMTP 535". Вчера всё работало, сегодня утром перестало.

-- 
Павел Григорьев, тел. 2-14
"""
fixture("15-iso-8859-5-mutt", crlf(A(f"""Date: Mon, 3 Mar 2025 09:05:11 +0300
From: {ew_b("Павел Григорьев", "iso-8859-5", "ISO-8859-5")} <pavel@unix.example.org>
To: support@example.ru
Subject: {ew_fold(subj15, "iso-8859-5", "iso-8859-5", "Q")}
Message-ID: <20250303060511.GA12345@unix.example.org>
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-5
Content-Disposition: inline
Content-Transfer-Encoding: quoted-printable
User-Agent: Mutt/1.5.21 (2010-09-15)

{qp(text15, "iso-8859-5")}""")), {
    "description": "mutt with ISO-8859-5: Q-encoded Subject (lowercase charset label), B-encoded From name, "
                   "quoted-printable body with soft line breaks; Content-Disposition: inline on the body; '-- ' "
                   "signature",
    "quarantine": False,
    "subject": subj15,
    "from": person("Павел Григорьев", "pavel@unix.example.org"),
    "to": SUPPORT_TO,
    "message_id": "20250303060511.GA12345@unix.example.org",
    "text_contains": ["Сканер на третьем этаже не отправляет документы на почту", "сегодня утром перестало"],
    "text_excludes": ["тел. 2-14"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 16 CP866: cp866 B subject, IBM866 Q name, raw 8-bit IBM866 body
subj16 = "Касса №2 не печатает чеки"
text16 = """Добрый день.

Касса номер 2 перестала печатать чеки после обновления, на дисплее "Ошибка ФН".
Просим срочно помочь, очередь растёт.

Фёдор Андреев
"""
fixture("16-cp866-dos", crlf(A(f"""From: {ew_q("Фёдор Андреев", "cp866", "IBM866")} <kassa2@magazin.example.ru>
To: support@example.ru
Subject: {ew_b(subj16, "cp866", "cp866")}
Date: Mon, 03 Mar 2025 10:44:00 +0300
Message-ID: <kassa2.20250303104400@magazin.example.ru>
X-Mailer: DOS Mail Gate 2.1
MIME-Version: 1.0
Content-Type: text/plain; charset=IBM866
Content-Transfer-Encoding: 8bit

""") + text16.encode("cp866")), {
    "description": "CP866 everywhere: Subject B-encoded with label 'cp866', From name Q-encoded with label 'IBM866', "
                   "raw 8-bit body with charset=IBM866 (includes ё and № bytes)",
    "quarantine": False,
    "subject": subj16,
    "from": person("Фёдор Андреев", "kassa2@magazin.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "kassa2.20250303104400@magazin.example.ru",
    "text_contains": ["перестала печатать чеки после обновления", "\"Ошибка ФН\"", "Фёдор Андреев"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 17 encoded-word torture: split/adjacent words, mixed with plain text, lowercase/alias charsets, folded Subject
subj17_words = [("Не работает", "B", "utf-8", "utf-8"),
                (" вход", "B", "utf-8", "UTF-8"),
                (" в личный", "Q", "utf-8", "utf-8"),
                (" кабинет", "Q", "cp1251", "windows-1251"),
                (" сотрудников", "B", "cp1251", "cp1251")]


def _w(t, enc, cs, label):
    return ew_b(t, cs, label) if enc == "B" else ew_q(t, cs, label).replace("?Q?", "?q?") if label == "utf-8" else ew_q(t, cs, label)


subj17_raw = (f"Re: RE: Fwd: [#10042] {_w(*subj17_words[0])}\n {_w(*subj17_words[1])} {_w(*subj17_words[2])}\n"
              f"  {_w(*subj17_words[3])}\n\t{_w(*subj17_words[4])} (urgent)")
subj17 = "Re: RE: Fwd: [#10042] Не работает вход в личный кабинет сотрудников (urgent)"
text17 = "Срочно: вход не работает ни у кого в отделе продаж.\n"
fixture("17-encoded-words-folded-subject", crlf(A(f"""From: Igor {ew_b("Семёнов", "utf-8", "UTF-8")} <Igor.Semyonov@Example.COM>
To: {ew_b("Поддержка", "utf-8")} <support@example.ru>, duty@example.ru
Cc: "Petrov, Ivan" <ivan.petrov@x.example.ru>,
 {ew_b("Анна", "koi8-r", "koi8-r")} <anna@x.example.ru>
Subject: {subj17_raw}
Date: Mon, 3 Mar 2025 09:30:00 +0300
Message-ID: <ew-torture-17@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: quoted-printable

{qp(text17, "utf-8")}""")), {
    "description": "RFC 2047 torture: Subject folded over four lines (space, two-space and TAB continuations) mixing "
                   "plain 'Re: RE: Fwd: [#10042]' text, B and Q words, lowercase 'utf-8'/'q', 'windows-1251' and "
                   "'cp1251' labels; whitespace between adjacent encoded words vanishes, spaces inside words stay; "
                   "From name = plain word + encoded word; Cc with a quoted comma and a koi8-r name",
    "quarantine": False,
    "subject": subj17,
    "from": person("Igor Семёнов", "igor.semyonov@example.com"),
    "to": ["support@example.ru", "duty@example.ru"],
    "cc": ["ivan.petrov@x.example.ru", "anna@x.example.ru"],
    "message_id": "ew-torture-17@example.com",
    "text_contains": ["вход не работает ни у кого в отделе продаж"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 18 mid-character splits: encoded words and RFC 2231 sections cut inside a UTF-8 character
s18 = "Заявка на пропуск для курьера".encode("utf-8")
subj18_raw = (f"=?UTF-8?B?{base64.b64encode(s18[:5]).decode()}?= =?UTF-8?B?{base64.b64encode(s18[5:23]).decode()}?=\n "
              f"{ew_q_bytes(s18[23:41], 'UTF-8')} {ew_q_bytes(s18[41:], 'UTF-8')}")
n18 = "Курьерская служба".encode("utf-8")
name18_raw = f"=?UTF-8?B?{base64.b64encode(n18[:7]).decode()}?= =?UTF-8?B?{base64.b64encode(n18[7:]).decode()}?="
f18 = "Пропуск на 4 марта.pdf".encode("utf-8")
pdf18 = fake_pdf("hand18-pdf", 1800)
B18 = "=_mid_char_18"
_body_1 = b64text("Прошу оформить пропуск для курьера на 4 марта, данные во вложении.\n", "utf-8")
fixture("18-mid-character-splits", crlf(A(f"""From: {name18_raw} <dispatch@courier.example.ru>
To: support@example.ru
Subject: {subj18_raw}
Date: Mon, 3 Mar 2025 08:00:00 +0300
Message-ID: <mid-char-18@courier.example.ru>
X-Mailer: PHPMailer 5.2.4 (https://github.com/PHPMailer/PHPMailer/)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{B18}"

--{B18}
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{_body_1}
--{B18}
Content-Type: application/pdf
Content-Transfer-Encoding: base64
Content-Disposition: attachment;
 filename*0*=utf-8''{pct(f18[:3])};
 filename*1*={pct(f18[3:16])};
 filename*2*={pct(f18[16:])}

{b64(pdf18)}
--{B18}--
""")), {
    "description": "splits inside a multi-byte UTF-8 character: adjacent B words and adjacent Q words in Subject and "
                   "From name each end mid-character (decode by joining the bytes of adjacent same-charset words "
                   "first); RFC 2231 filename*0*/1*/2* sections also cut mid-character (join bytes, then decode)",
    "quarantine": False,
    "subject": "Заявка на пропуск для курьера",
    "from": person("Курьерская служба", "dispatch@courier.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "mid-char-18@courier.example.ru",
    "text_contains": ["Прошу оформить пропуск для курьера на 4 марта"],
    "has_html": False,
    "attachments": [att("Пропуск на 4 марта.pdf", "application/pdf", pdf18)],
    **NOT_AUTO,
})

# --- 19 attachment named only by Content-Type name= ; quoted-pair in display name; raw windows-1251 8bit body
pdf19 = fake_pdf("hand19-pdf", 2048)
xlsx19 = fake_zip("hand19-xlsx", 1024)
B19 = "----------1C8E4F2A3B5D6C7E"
fixture("19-name-param-only", crlf(A(f"""From: "OOO \\"Vector\\" buhgalteriya" <buh@vector.example.ru>
To: support@example.ru
Subject: {ew_b("Акт сверки и счёт", "cp1251", "Windows-1251")}
Date: Mon, 3 Mar 2025 15:00:00 +0300
Message-ID: <1c.20250303150000.318@vector.example.ru>
X-Mailer: 1C:Enterprise 8.3
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="{B19}"

--{B19}
Content-Type: text/plain; charset=windows-1251
Content-Transfer-Encoding: 8bit

""") + "Добрый день! Во вложении акт сверки и счёт на оплату.\n".encode("cp1251") + A(f"""
--{B19}
Content-Type: application/pdf; name="{ew_b("Акт сверки.pdf", "cp1251", "windows-1251")}"
Content-Transfer-Encoding: base64

{b64(pdf19)}
--{B19}
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet; name="schet_318.xlsx"
Content-Disposition: attachment
Content-Transfer-Encoding: base64

{b64(xlsx19)}
--{B19}--
""")), {
    "description": "1C-style mailer: one attachment named only by Content-Type name=\"=?windows-1251?B?...?=\" with no "
                   "Content-Disposition at all, another with 'Content-Disposition: attachment' without filename and "
                   "name= on Content-Type; From display name with quoted-pairs (\\\"); raw 8-bit windows-1251 body",
    "quarantine": False,
    "subject": "Акт сверки и счёт",
    "from": person('OOO "Vector" buhgalteriya', "buh@vector.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "1c.20250303150000.318@vector.example.ru",
    "text_contains": ["Во вложении акт сверки и счёт на оплату"],
    "has_html": False,
    "attachments": [att("Акт сверки.pdf", "application/pdf", pdf19),
                    att("schet_318.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx19)],
    **NOT_AUTO,
})

# =========================================================================== loop protection and bounces

# --- 20 Exchange out-of-office, Russian
subj20 = "Автоматический ответ: [#10052] Заявка на новый ноутбук"
_body_2 = b64text("Здравствуйте!\n\nЯ в отпуске до 14 марта, без доступа к почте.\nПо срочным вопросам обращайтесь к Сергею Волкову.\n", "utf-8")
fixture("20-out-of-office-ru", crlf(A(f"""From: {ew_b("Татьяна Белова", "utf-8")} <t.belova@corp.example.com>
To: Zayavka Support <support@example.ru>
Subject: {ew_fold(subj20, "utf-8")}
Thread-Topic: [#10052]
Date: Mon, 3 Mar 2025 07:00:05 +0000
Message-ID: <c9a1b2d3e4f5a6b7c8d9e0f1a2b3c4d5@corp.example.com>
In-Reply-To: <zy.10052.ggg777@support.example.ru>
References: <zy.10052.ggg777@support.example.ru>
Auto-Submitted: auto-replied
X-Auto-Response-Suppress: All
X-MS-Exchange-Inbox-Rules-Loop: t.belova@corp.example.com
Content-Language: ru-RU
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64
MIME-Version: 1.0

{_body_2}""")), {
    "description": "Exchange out-of-office in Russian ('Я в отпуске'): Auto-Submitted: auto-replied (plus "
                   "X-Auto-Response-Suppress, which alone would not count); Subject folded into three B words",
    "quarantine": False,
    "subject": subj20,
    "from": person("Татьяна Белова", "t.belova@corp.example.com"),
    "to": SUPPORT_TO,
    "message_id": "c9a1b2d3e4f5a6b7c8d9e0f1a2b3c4d5@corp.example.com",
    "in_reply_to": ["zy.10052.ggg777@support.example.ru"],
    "references": ["zy.10052.ggg777@support.example.ru"],
    "text_contains": ["Я в отпуске до 14 марта"],
    "has_html": False,
    "attachments": [],
    "auto_submitted": True,
    "bounce": None,
})

# --- 21 Postfix DSN
P21 = "4Z7Xk12abcz1234.1741000862/mx.example.ru"
fixture("21-bounce-postfix-dsn", crlf(A(f"""Return-Path: <>
Received: by mx.example.ru (Postfix)
\tid 4Z7Xk12abcz1234; Mon,  3 Mar 2025 10:01:02 +0300 (MSK)
Date: Mon,  3 Mar 2025 10:01:02 +0300 (MSK)
From: MAILER-DAEMON@mx.example.ru (Mail Delivery System)
Subject: Undelivered Mail Returned to Sender
To: support@example.ru
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{P21}"
Content-Transfer-Encoding: 8bit
Message-Id: <20250303070102.4Z7Xk12abcz1234@mx.example.ru>

This is a MIME-encapsulated message.

--{P21}
Content-Description: Notification
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.ru.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system

<nobody@client.example.com>: host mx.client.example.com[203.0.113.25] said:
    550 5.1.1 <nobody@client.example.com>: Recipient address rejected: User
    unknown in virtual mailbox table (in reply to RCPT TO command)

--{P21}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.ru
X-Postfix-Queue-ID: 4Z7Xk12abcz1234
X-Postfix-Sender: rfc822; support@example.ru
Arrival-Date: Mon,  3 Mar 2025 10:01:00 +0300 (MSK)

Final-Recipient: rfc822; nobody@client.example.com
Original-Recipient: rfc822;nobody@client.example.com
Action: failed
Status: 5.1.1
Remote-MTA: dns; mx.client.example.com
Diagnostic-Code: smtp; 550 5.1.1 <nobody@client.example.com>: Recipient address
    rejected: User unknown in virtual mailbox table

--{P21}
Content-Description: Undelivered Message
Content-Type: message/rfc822
Content-Transfer-Encoding: 8bit

Return-Path: <support@example.ru>
Received: from app1.example.ru (app1.example.ru [192.0.2.10])
\tby mx.example.ru (Postfix) with ESMTPS id 4Z7Xk12abcz1234
\tfor <nobody@client.example.com>; Mon,  3 Mar 2025 10:01:00 +0300 (MSK)
From: Zayavka Support <support@example.ru>
To: nobody@client.example.com
Subject: {ew_fold("[#10042] Ответ по вашей заявке", "utf-8")}
Date: Mon, 03 Mar 2025 10:00:58 +0300
Message-ID: <zy.10042.abc123@support.example.ru>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + "Здравствуйте! Ваша заявка №10042 принята в работу.\n".encode("utf-8") + A(f"""
--{P21}--
""")), {
    "description": "Postfix DSN: multipart/report; report-type=delivery-status with text/plain notification, "
                   "message/delivery-status (Status: 5.1.1) and the returned message/rfc822 whose Message-ID is "
                   "<zy.10042.abc123@support.example.ru>; From MAILER-DAEMON with the name in a (comment)",
    "quarantine": False,
    "subject": "Undelivered Mail Returned to Sender",
    "from": {"address": "mailer-daemon@mx.example.ru"},
    "to": SUPPORT_TO,
    "message_id": "20250303070102.4Z7Xk12abcz1234@mx.example.ru",
    "text_contains": ["This is the mail system at host mx.example.ru"],
    "has_html": False,
    "auto_submitted": True,
    "bounce": {"original_message_id": "zy.10042.abc123@support.example.ru"},
})

# --- 22 Exchange NDR with text/rfc822-headers
X22, X22a = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d", "b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e"
subj22 = "Undeliverable: Re: [#10043] Не приходят уведомления"
ndr_text = """Delivery has failed to these recipients or groups:

a.old@corp.example.com
The email address you entered couldn't be found. Please check the recipient's email address and try to resend the message. If the problem continues, please contact your helpdesk.

Diagnostic information for administrators:

Generating server: MW2PR.corp.example.com

a.old@corp.example.com
Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
"""
ndr_html = """<html>
<head>
<meta http-equiv="Content-Type" content="text/html; charset=us-ascii">
<style type="text/css">P.MsoNormal {margin:0cm}</style>
</head>
<body>
<p><b><font color="#000066" size="3" face="Arial">Delivery has failed to these recipients or groups:</font></b></p>
<font color="#000000" size="2" face="Tahoma"><p><a href="mailto:a.old@corp.example.com">a.old@corp.example.com</a><br>
</font><font color="#000000" size="3" face="Arial">The email address you entered couldn't be found. Please check the recipient's email address and try to resend the message. If the problem continues, please contact your helpdesk.<br>
</font></p>
</body>
</html>
"""
fixture("22-bounce-exchange-ndr", crlf(A(f"""From: postmaster@corp.example.com
To: support@example.ru
Date: Mon, 3 Mar 2025 07:05:11 +0000
Subject: {ew_fold(subj22, "utf-8")}
Content-Type: multipart/report; report-type=delivery-status;
\tboundary="{X22}"
Content-Language: en-US
Message-ID: <4d0e8a61-2b7c-4f3a-9e15-6c8d2a0b7f34@MW2PR.corp.example.com>
In-Reply-To: <zy.10043.bcd234@support.example.ru>
References: <zy.10043.bcd234@support.example.ru>
Thread-Topic: [#10043]
X-MS-Exchange-Message-Is-Ndr:
MIME-Version: 1.0

--{X22}
Content-Type: multipart/alternative; differentiator="{X22a}";
\tboundary="{X22a}"

--{X22a}
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(ndr_text, "ascii")}
--{X22a}
Content-Type: text/html; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

{qp(ndr_html, "ascii")}
--{X22a}--

--{X22}
Content-Type: message/delivery-status

Reporting-MTA: dns;MW2PR.corp.example.com
Received-From-MTA: dns;mx.example.ru
Arrival-Date: Mon, 3 Mar 2025 07:05:09 +0000

Final-Recipient: rfc822;a.old@corp.example.com
Action: failed
Status: 5.1.10
Diagnostic-Code: smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup

--{X22}
Content-Type: text/rfc822-headers

Received: from mx.example.ru (192.0.2.25) by MW2PR.corp.example.com
 (10.1.2.3) with Microsoft SMTP Server; Mon, 3 Mar 2025 07:05:09 +0000
From: Zayavka Support <support@example.ru>
To: a.old@corp.example.com
Subject: {ew_fold("Re: [#10043] Не приходят уведомления", "utf-8")}
Date: Mon, 3 Mar 2025 10:05:00 +0300
Message-ID: <zy.10043.bcd234@support.example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: base64

--{X22}--
""")), {
    "description": "Exchange NDR: multipart/report > multipart/alternative (text+html), message/delivery-status "
                   "(5.1.10) and text/rfc822-headers carrying the original Message-ID; From postmaster@, no "
                   "Auto-Submitted header (multipart/report and the postmaster local part are the triggers)",
    "quarantine": False,
    "subject": subj22,
    "from": {"address": "postmaster@corp.example.com"},
    "to": SUPPORT_TO,
    "message_id": "4d0e8a61-2b7c-4f3a-9e15-6c8d2a0b7f34@MW2PR.corp.example.com",
    "in_reply_to": ["zy.10043.bcd234@support.example.ru"],
    "references": ["zy.10043.bcd234@support.example.ru"],
    "text_contains": ["Delivery has failed to these recipients or groups"],
    "has_html": True,
    "auto_submitted": True,
    "bounce": {"original_message_id": "zy.10043.bcd234@support.example.ru"},
})

# --- 23 Yandex-style Russian bounce
Y23 = "B7E3C11A2F/mx3.mail.yandex.example.net"
y23_text = """Это письмо создано автоматически сервером Яндекс.Почты.

Ваше письмо не удалось доставить одному или нескольким получателям:

<ghost@yandex.example.ru>: адрес не существует. 550 5.7.1 No such user!

Отвечать на это письмо не нужно.
"""
_body_3 = b64text("Ваша заявка принята.\n", "utf-8")
fixture("23-bounce-yandex-ru", crlf(A(f"""Received: from mx3.mail.yandex.example.net
\tby mx3.mail.yandex.example.net with LMTP id B7E3C11A2F;
\tMon, 03 Mar 2025 10:10:10 +0300
From: mailer-daemon@yandex.example.ru
To: support@example.ru
Subject: {ew_fold("Недоставленное сообщение", "utf-8")}
Date: Mon, 03 Mar 2025 10:10:10 +0300
Message-Id: <20250303101010.B7E3C11A2F@mx3.mail.yandex.example.net>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status;
 boundary="{Y23}"

This is a MIME-encapsulated message.

--{Y23}
Content-Description: Notification
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{b64text(y23_text, "utf-8")}
--{Y23}
Content-Description: Delivery report
Content-Type: message/delivery-status

Reporting-MTA: dns; mx3.mail.yandex.example.net
X-Yandex-Queue-ID: B7E3C11A2F
Arrival-Date: Mon, 03 Mar 2025 10:10:08 +0300

Final-Recipient: rfc822; ghost@yandex.example.ru
Action: failed
Status: 5.7.1
Diagnostic-Code: smtp; 550 5.7.1 No such user!

--{Y23}
Content-Description: Undelivered Message
Content-Type: message/rfc822

From: Zayavka Support <support@example.ru>
To: ghost@yandex.example.ru
Subject: {ew_b("[#10053] Заявка принята", "utf-8")}
Date: Mon, 03 Mar 2025 10:10:05 +0300
Message-ID: <zy.10053.hhh999@support.example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{_body_3}
--{Y23}--
""")), {
    "description": "Yandex-style Russian bounce: multipart/report (boundary contains '/'), base64 UTF-8 Russian "
                   "notification, message/delivery-status 5.7.1, returned message/rfc822 with "
                   "<zy.10053.hhh999@support.example.ru>; From mailer-daemon@ in lowercase",
    "quarantine": False,
    "subject": "Недоставленное сообщение",
    "from": {"address": "mailer-daemon@yandex.example.ru"},
    "to": SUPPORT_TO,
    "message_id": "20250303101010.B7E3C11A2F@mx3.mail.yandex.example.net",
    "text_contains": ["Ваше письмо не удалось доставить"],
    "has_html": False,
    "auto_submitted": True,
    "bounce": {"original_message_id": "zy.10053.hhh999@support.example.ru"},
})

# =========================================================================== bad input that must still parse

# --- 24 charset says utf-8, bytes are windows-1251
fixture("24-bad-utf8-label-cp1251-bytes", crlf(A(f"""From: {ew_b("Виктор Лазарев", "utf-8")} <v.lazarev@zavod.example.ru>
To: support@example.ru
Subject: {ew_fold("Не запускается программа учёта", "utf-8")}
Date: Mon, 3 Mar 2025 11:11:11 +0300
Message-ID: <bat.1234567890@zavod.example.ru>
X-Mailer: The Bat! (v3.99.3) Professional
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

""") + "Здравствуйте!\n\nПосле обновления не запускается программа учёта, выдаёт ошибку доступа к базе.\n".encode("cp1251")), {
    "description": "mislabelled body: Content-Type says charset=utf-8 but the 8-bit body is windows-1251 (invalid "
                   "UTF-8); expect the parser to fall back to windows-1251 and produce correct Russian text",
    "quarantine": False,
    "subject": "Не запускается программа учёта",
    "from": person("Виктор Лазарев", "v.lazarev@zavod.example.ru"),
    "to": SUPPORT_TO,
    "message_id": "bat.1234567890@zavod.example.ru",
    "text_contains": ["После обновления не запускается программа учёта", "ошибку доступа к базе"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 25 unknown charset label with an ASCII body
fixture("25-unknown-charset", crlf(A("""From: Shop Customer <customer@shop.example.net>
To: support@example.ru
Subject: Order 8842: payment page is blank
Date: Mon, 3 Mar 2025 11:20:00 +0300
Message-ID: <x-unknown-25@shop.example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset="x-unknown"
Content-Transfer-Encoding: 7bit

Hello, for order 8842 the payment page shows a blank white screen.
Tried twice today.
""")), {
    "description": "unknown charset label 'x-unknown' on a pure-ASCII 7bit body: must decode (ASCII/UTF-8 fallback), "
                   "not fail",
    "quarantine": False,
    "subject": "Order 8842: payment page is blank",
    "from": person("Shop Customer", "customer@shop.example.net"),
    "to": SUPPORT_TO,
    "message_id": "x-unknown-25@shop.example.net",
    "text_contains": ["the payment page shows a blank white screen"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 26 multipart with the closing boundary missing (file ends inside the last part)
pdf26 = fake_pdf("hand26-pdf", 1500)
_body_4 = qp("Высылаю скан договора, подпись на последней странице.\n", "utf-8")
fixture("26-missing-closing-boundary", crlf(A(f"""From: {ew_b("Роман Егоров", "utf-8")} <r.egorov@example.net>
To: support@example.ru
Subject: {ew_b("Скан договора", "utf-8")}
Date: Mon, 3 Mar 2025 11:30:00 +0300
Message-ID: <truncated-26@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="trunc26"

--trunc26
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

{_body_4}
--trunc26
Content-Type: application/pdf; name="scan.pdf"
Content-Disposition: attachment; filename="scan.pdf"
Content-Transfer-Encoding: base64

{b64(pdf26)}""")), {
    "description": "multipart/mixed whose closing '--trunc26--' delimiter is missing: the file ends after the base64 "
                   "of the last part; both parts still count (text + complete PDF)",
    "quarantine": False,
    "subject": "Скан договора",
    "from": person("Роман Егоров", "r.egorov@example.net"),
    "to": SUPPORT_TO,
    "message_id": "truncated-26@example.net",
    "text_contains": ["Высылаю скан договора"],
    "has_html": False,
    "attachments": [att("scan.pdf", "application/pdf", pdf26)],
    **NOT_AUTO,
})

# --- 27 multipart without a boundary parameter: treat the body as text
fixture("27-multipart-no-boundary", crlf(A(f"""From: {ew_b("Лидия Кравец", "utf-8")} <l.kravets@example.net>
To: support@example.ru
Subject: {ew_b("Не работает телефон", "utf-8")}
Date: Mon, 3 Mar 2025 11:40:00 +0300
Message-ID: <no-boundary-27@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed
Content-Transfer-Encoding: 8bit

""") + "Добрый день! Не работает IP-телефон в кабинете 305, нет гудка.\n".encode("utf-8")), {
    "description": "Content-Type: multipart/mixed with no boundary parameter: cannot be split, so the body is treated "
                   "as text (8-bit UTF-8, no charset given)",
    "quarantine": False,
    "subject": "Не работает телефон",
    "from": person("Лидия Кравец", "l.kravets@example.net"),
    "to": SUPPORT_TO,
    "message_id": "no-boundary-27@example.net",
    "text_contains": ["Не работает IP-телефон в кабинете 305"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 28 bare LF line endings everywhere (written WITHOUT crlf() on purpose)
log28 = "2025-03-03 11:50:01 ERROR backup: disk /dev/sdb1 not mounted\n".encode("utf-8")
msg28 = A(f"""From: {ew_b("Олег Сидоров", "utf-8")} <oleg@linux.example.org>
To: support@example.ru
Subject: {ew_fold("Ошибка резервного копирования", "utf-8")}
Date: Mon, 3 Mar 2025 11:50:00 +0300
Message-ID: <bare-lf-28@linux.example.org>
User-Agent: Alpine 2.26 (DEB 649 2022-06-02)
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="lf28"

--lf28
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + "Резервное копирование не выполнено третью ночь подряд, лог во вложении.\n".encode("utf-8") + A(f"""
--lf28
Content-Type: text/plain; charset=utf-8; name=backup.log
Content-Disposition: attachment; filename=backup.log
Content-Transfer-Encoding: base64

{b64(log28)}
--lf28--
""")
assert b"\r" not in msg28
fixture("28-bare-lf-line-endings", msg28, {
    "description": "ON PURPOSE the only fixture with bare LF line endings (no CR anywhere): headers, multipart "
                   "delimiters and bodies must all still parse; unquoted filename= token",
    "quarantine": False,
    "subject": "Ошибка резервного копирования",
    "from": person("Олег Сидоров", "oleg@linux.example.org"),
    "to": SUPPORT_TO,
    "message_id": "bare-lf-28@linux.example.org",
    "text_contains": ["Резервное копирование не выполнено третью ночь подряд"],
    "has_html": False,
    "attachments": [att("backup.log", "text/plain", log28)],
    **NOT_AUTO,
})

# --- 29 raw UTF-8 in headers (RFC 6532 style) including a raw UTF-8 filename
img29 = png(10, 10, (0, 128, 0))
subj29 = "Заявка: не работает почта на телефоне"
fixture("29-raw-utf8-headers", crlf(A("") + f"""From: Олег Зайцев <oleg.zaitsev@example.com>
To: "Поддержка" <support@example.ru>
Subject: {subj29}
Date: Mon, 3 Mar 2025 12:05:00 +0300
Message-ID: <raw-utf8-29@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="raw29"

--raw29
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

На телефоне перестала синхронизироваться почта, пишет «Неверный пароль».

--raw29
Content-Type: image/png
Content-Disposition: attachment; filename="Скриншот телефона.png"
Content-Transfer-Encoding: base64

{b64(img29)}
--raw29--
""".encode("utf-8")), {
    "description": "RFC 6532 style: raw 8-bit UTF-8 (no encoded words) in Subject, From and To display names and in a "
                   "quoted filename= parameter",
    "quarantine": False,
    "subject": subj29,
    "from": person("Олег Зайцев", "oleg.zaitsev@example.com"),
    "to": SUPPORT_TO,
    "message_id": "raw-utf8-29@example.com",
    "text_contains": ["перестала синхронизироваться почта", "«Неверный пароль»"],
    "has_html": False,
    "attachments": [att("Скриншот телефона.png", "image/png", img29)],
    **NOT_AUTO,
})

# --- 30 a header line without a colon in the middle of the header block
_body_5 = b64text("При печати PDF из браузера выходит пустая страница.\n", "utf-8")
fixture("30-header-line-without-colon", crlf(A(f"""From: {ew_b("Ирина Носова", "utf-8")} <i.nosova@example.net>
Subject: {ew_b("Не могу распечатать PDF", "utf-8")}
Date: Mon, 3 Mar 2025 12:10:00 +0300
X-Broken-Header-Without-Colon
To: support@example.ru
Message-ID: <no-colon-30@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

{_body_5}""")), {
    "description": "header block contains a line without a colon between Date and To: the parser must skip that line "
                   "and keep reading headers (To, Message-ID, Content-Type/base64 come after it)",
    "quarantine": False,
    "subject": "Не могу распечатать PDF",
    "from": person("Ирина Носова", "i.nosova@example.net"),
    "to": SUPPORT_TO,
    "message_id": "no-colon-30@example.net",
    "text_contains": ["При печати PDF из браузера выходит пустая страница"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 31 one 200 KB line
unit31 = "лог ошибки 0123456789 ; "
body31 = "НАЧАЛО ДЛИННОЙ СТРОКИ: "
filler = (unit31 * (205 * 1024 // len(unit31.encode("utf-8")) + 1))
body31 += filler + "КОНЕЦ ДЛИННОЙ СТРОКИ."
assert len(body31.encode("utf-8")) >= 200 * 1024
fixture("31-long-line-200kb", crlf(A(f"""From: {ew_b("Глеб Ларин", "utf-8")} <g.larin@example.net>
To: support@example.ru
Subject: {ew_b("Лог одной строкой", "utf-8")}
Date: Mon, 3 Mar 2025 12:20:00 +0300
Message-ID: <long-line-31@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + body31.encode("utf-8") + b"\n"), {
    "description": f"8-bit UTF-8 body that is a single line of {len(body31.encode('utf-8'))} bytes (> 200 KB, far over "
                   "the 998 limit); must parse, both ends of the line must survive",
    "quarantine": False,
    "subject": "Лог одной строкой",
    "from": person("Глеб Ларин", "g.larin@example.net"),
    "to": SUPPORT_TO,
    "message_id": "long-line-31@example.net",
    "text_contains": ["НАЧАЛО ДЛИННОЙ СТРОКИ", "КОНЕЦ ДЛИННОЙ СТРОКИ."],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 32 no From, but Return-Path: not quarantined, sender comes from Return-Path
fixture("32-return-path-only", crlf(A("""Return-Path: <robot@legacy.example.org>
Received: from legacy.example.org (legacy.example.org [198.51.100.7])
\tby mx.example.ru (Postfix) with ESMTP id 4Z7Xm0abcd;
\tMon,  3 Mar 2025 06:00:01 +0300 (MSK)
To: support@example.ru
Subject: Nightly report 2025-03-03
Date: Mon, 3 Mar 2025 06:00:00 +0300
Message-ID: <report-20250303@legacy.example.org>

Nightly import finished with 3 rejected rows.
""")), {
    "description": "no From and no Sender, but a Return-Path address (old script mailer, no MIME headers at all): "
                   "NOT quarantined; the sender address is taken from Return-Path",
    "quarantine": False,
    "subject": "Nightly report 2025-03-03",
    "from": {"address": "robot@legacy.example.org"},
    "to": SUPPORT_TO,
    "message_id": "report-20250303@legacy.example.org",
    "text_contains": ["Nightly import finished with 3 rejected rows."],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# =========================================================================== older and non-Russian clients

# --- 37 KOI8-R with raw 8-bit Subject and From name (old Unix mailers, The Bat! misconfigured)
subj37 = "Не открывается отчёт"
fixture("37-koi8r-raw-8bit-headers", crlf(A("From: ") + "Пётр Иванов".encode("koi8-r") + A(""" <p.ivanov@example.net>
To: support@example.ru
Subject: """) + subj37.encode("koi8-r") + A("""
Date: Mon, 3 Mar 2025 13:00:00 +0300
Message-ID: <koi8-raw-37@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset=koi8-r
Content-Transfer-Encoding: 8bit

""") + "Отчёт за февраль не открывается, пишет \"ошибка формата\".\n".encode("koi8-r")), {
    "description": "KOI8-R message whose Subject and From name are raw 8-bit bytes (no encoded words): the headers "
                   "are read in the charset the body declares, not as windows-1251",
    "quarantine": False,
    "subject": subj37,
    "from": person("Пётр Иванов", "p.ivanov@example.net"),
    "to": SUPPORT_TO,
    "message_id": "koi8-raw-37@example.net",
    "text_contains": ["Отчёт за февраль не открывается"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 38 raw 8-bit bytes inside a Q encoded word (some webmail and 1C mailers)
subj38 = "Не работает касса"
fixture("38-raw-8bit-inside-encoded-word", crlf(A("""From: =?windows-1251?Q?""") + "Ольга_Смирнова".encode("cp1251") + A("""?= <o.smirnova@example.net>
To: support@example.ru
Subject: =?windows-1251?Q?""") + subj38.replace(" ", "_").encode("cp1251") + A("""?=
Date: Mon, 3 Mar 2025 13:10:00 +0300
Message-ID: <raw-in-word-38@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b38"

--b38
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + "Касса не пробивает чеки с утра.\n".encode("utf-8") + A("""--b38--
""")), {
    "description": "encoded words =?windows-1251?Q?...?= whose payload holds raw windows-1251 bytes instead of =XX "
                   "escapes, in a message whose text is UTF-8: decoded once, in the word's charset",
    "quarantine": False,
    "subject": subj38,
    "from": person("Ольга Смирнова", "o.smirnova@example.net"),
    "to": SUPPORT_TO,
    "message_id": "raw-in-word-38@example.net",
    "text_contains": ["Касса не пробивает чеки с утра."],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 39 HTML-only mail from a German client, with named entities beyond the common few
fixture("39-html-named-entities", crlf(A("""From: Juergen Weiss <j.weiss@example.de>
To: support@example.ru
Subject: Rechnung
Date: Mon, 3 Mar 2025 13:20:00 +0100
Message-ID: <entities-39@example.de>
MIME-Version: 1.0
Content-Type: text/html; charset=us-ascii
Content-Transfer-Encoding: 7bit

<html><body><p>Sehr geehrte Damen und Herren,</p>
<p>die Rechnung f&uuml;r M&auml;rz ist &frac12; bezahlt. Gr&ouml;&szlig;e aus K&ouml;ln &ndash; caf&eacute; &amp; co &copy 2025.</p>
<p><a href="https://example.de/r?a=1&copy=2">Link</a></p>
</body></html>
""")), {
    "description": "HTML-only message whose text uses HTML5 named entities (&uuml; &auml; &frac12; &ouml; &szlig; "
                   "&eacute;) and a legacy &copy without semicolon; a link keeps its literal &copy= parameter",
    "quarantine": False,
    "subject": "Rechnung",
    "from": {"address": "j.weiss@example.de"},
    "to": SUPPORT_TO,
    "message_id": "entities-39@example.de",
    "text_contains": ["die Rechnung für März ist ½ bezahlt. Größe aus Köln – café & co © 2025."],
    "has_html": True,
    "html_contains": ["Größe aus Köln", "½", "café &amp; co © 2025", "r?a=1&amp;copy=2"],
    "html_excludes": ["&amp;ouml;", "&amp;frac12;", "&amp;szlig;"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 40 x-uuencode attachment part (old Pegasus / scripts) and a uuencoded block inside a plain body
pdf40 = fake_pdf("hand40", 900)
log40 = ("2025-03-03 13:30:01 ERROR kassa: timeout\n" * 12).encode("ascii")


def uu(data: bytes, name: str) -> str:
    lines = [f"begin 644 {name}"]
    for i in range(0, len(data), 45):
        lines.append(binascii.b2a_uu(data[i:i + 45]).decode("ascii").rstrip("\n"))
    lines += ["`", "end"]
    return "\n".join(lines) + "\n"


fixture("40-uuencode", crlf(A(f"""From: Old Mailer <old@example.org>
To: support@example.ru
Subject: Logs and invoice
Date: Mon, 3 Mar 2025 13:30:00 +0300
Message-ID: <uuencode-40@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b40"

--b40
Content-Type: text/plain; charset=us-ascii

The cash register log is below, the invoice is attached.

{uu(log40, "kassa.log")}
Please check the timeouts.
--b40
Content-Type: application/pdf
Content-Transfer-Encoding: x-uuencode

{uu(pdf40, "invoice.pdf")}--b40--
""")), {
    "description": "a uuencoded file inside the plain text (cut out of the text, kept as kassa.log) and a part with "
                   "Content-Transfer-Encoding: x-uuencode and no name (named from its begin line, decoded exactly)",
    "quarantine": False,
    "subject": "Logs and invoice",
    "from": person("Old Mailer", "old@example.org"),
    "to": SUPPORT_TO,
    "message_id": "uuencode-40@example.org",
    "text_contains": ["The cash register log is below", "Please check the timeouts."],
    "text_excludes": ["begin 644", binascii.b2a_uu(log40[:45]).decode("ascii")[:20]],
    "has_html": False,
    "attachments": [att("kassa.log", "text/plain", log40), att("invoice.pdf", "application/pdf", pdf40)],
    **NOT_AUTO,
})

# --- 41 UTF-7 (old Outlook Express "Unicode (UTF-7)")
subj41 = "Вопрос по договору"
body41 = "Здравствуйте! Пришлите, пожалуйста, акт сверки + счёт.\n"
fixture("41-utf7", crlf(A(f"""From: {ew_q(("Анна Белова"), "utf-7")} <a.belova@example.net>
To: support@example.ru
Subject: {ew_b(subj41, "utf-7")}
Date: Mon, 3 Mar 2025 13:40:00 +0300
Message-ID: <utf7-41@example.net>
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-7"
Content-Transfer-Encoding: 7bit

""") + body41.encode("utf-7")), {
    "description": "text/plain; charset=utf-7 body, a B encoded word in UTF-7 (Subject) and a Q one (From name); "
                   "the body has a literal + (encoded +-)",
    "quarantine": False,
    "subject": subj41,
    "from": person("Анна Белова", "a.belova@example.net"),
    "to": SUPPORT_TO,
    "message_id": "utf7-41@example.net",
    "text_contains": ["Пришлите, пожалуйста, акт сверки + счёт."],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 42 From: one encoded word around the whole "Name <address>"
fixture("42-from-one-encoded-word", crlf(A(f"""From: {ew_b("Сергей Котов <s.kotov@example.net>", "utf-8")}
To: support@example.ru
Subject: Re: [#10077] Accounts
Date: Mon, 3 Mar 2025 13:50:00 +0300
Message-ID: <whole-from-42@example.net>
In-Reply-To: <zy.10077.aaa111@support.example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + "Да, всё заработало, спасибо.\n".encode("utf-8")), {
    "description": "From is a single B encoded word around the whole Name <address> (some mobile clients): the "
                   "address is read from the decoded header instead of sending the reply to quarantine",
    "quarantine": False,
    "subject": "Re: [#10077] Accounts",
    "from": person("Сергей Котов", "s.kotov@example.net"),
    "to": SUPPORT_TO,
    "message_id": "whole-from-42@example.net",
    "in_reply_to": ["zy.10077.aaa111@support.example.ru"],
    "text_contains": ["Да, всё заработало, спасибо."],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 43 PGP/MIME signed (Thunderbird + OpenPGP, Enigmail)
sig43 = A("""-----BEGIN PGP SIGNATURE-----

iHUEARYKAB0WIQTqZ5rC7pJ0oW1xkY2Yw3vKXb2LwQUCZ8XqBwAKCRCYw3vKXb2L
wXb0AP9mQ1pN2h0p3yq2bYv0Y7b9T4r2uQm7bS0gX9kP2wEA/1x6t3r1vY0bH8mA
=Zx9Q
-----END PGP SIGNATURE-----
""")
fixture("43-pgp-signed", crlf(A("""From: Mikhail Orlov <m.orlov@example.org>
To: support@example.ru
Subject: Signed request
Date: Mon, 3 Mar 2025 14:00:00 +0300
Message-ID: <pgp-43@example.org>
MIME-Version: 1.0
Content-Type: multipart/signed; micalg=pgp-sha256; protocol="application/pgp-signature"; boundary="sig43"

This is an OpenPGP/MIME signed message (RFC 4880 and 3156)
--sig43
Content-Type: text/plain; charset=us-ascii
Content-Transfer-Encoding: 7bit

Please reset the password of the kassa01 account.
--sig43
Content-Type: application/pgp-signature
Content-Description: OpenPGP digital signature
Content-Disposition: attachment

""") + sig43 + A("""--sig43--
""")), {
    "description": "multipart/signed (PGP/MIME) whose signature part has no file name: kept as signature.asc, not "
                   "attachment-1.bin",
    "quarantine": False,
    "subject": "Signed request",
    "from": person("Mikhail Orlov", "m.orlov@example.org"),
    "to": SUPPORT_TO,
    "message_id": "pgp-43@example.org",
    "text_contains": ["Please reset the password of the kassa01 account."],
    "has_html": False,
    "attachments": [att("signature.asc", "application/pgp-signature", sig43.replace(b"\n", b"\r\n").rstrip(b"\r\n"))],
    **NOT_AUTO,
})

# =========================================================================== mail intake, third pass

# --- 44 Postfix pipe (flags=F) / procmail / mbox export: an mbox "From " envelope line first, ">From " quoting
fixture("44-mbox-from-line", crlf(A("""From ivan.petrov@example.ru  Thu Dec  3 12:00:00 2026
Return-Path: <ivan.petrov@example.ru>
From: Ivan Petrov <ivan.petrov@example.ru>
To: support@example.ru
Subject: mbox line first
Date: Thu, 3 Dec 2026 15:00:00 +0300
Message-ID: <mbox-44@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

The report is not built since Monday.
>From the accounting side the numbers are empty.
>>From the log: nothing.
""")), {
    "description": "a leading mbox 'From sender date' envelope line (Postfix pipe flags=F, procmail, mbox exports) is read "
                   "past, not quarantined; body lines quoted '>From ' lose one '>' (mboxrd)",
    "quarantine": False,
    "subject": "mbox line first",
    "from": person("Ivan Petrov", "ivan.petrov@example.ru"),
    "to": SUPPORT_TO,
    "message_id": "mbox-44@example.ru",
    "text_contains": ["The report is not built since Monday.", "From the accounting side the numbers are empty."],
    "text_excludes": [">From the accounting", ">>From"],
    "has_html": False,
    "attachments": [],
    **NOT_AUTO,
})

# --- 45 mbox line and a From the parser cannot read: the envelope sender files it
fixture("45-mbox-envelope-sender", crlf(A(f"""From <olga.s@example.ru> Thu Dec  3 12:05:00 2026
From: {ew_b("Ольга Смирнова", "utf-8")}
To: support@example.ru
Subject: {ew_b("Нет адреса в From", "utf-8")}
Date: Thu, 3 Dec 2026 15:05:00 +0300
Message-ID: <mbox-45@example.ru>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

""") + A(b64text("Касса не открывается.\n", "utf-8"))), {
    "description": "a From with a name and no address, no Sender/Reply-To/Return-Path: the mbox envelope line's sender "
                   "files it instead of quarantine",
    "quarantine": False,
    "subject": "Нет адреса в From",
    "from": {"address": "olga.s@example.ru"},
    "message_id": "mbox-45@example.ru",
    "text_contains": ["Касса не открывается."],
    "attachments": [],
    **NOT_AUTO,
})

# --- 46 Japanese: ISO-2022-JP everywhere (Becky!, Thunderbird ja, old Japanese webmail)
jp_text = "すみません。ログインできません。\nパスワードを変えても同じです。\n"
jp_pdf = fake_pdf("hand46", 1500)
fixture("46-iso-2022-jp", crlf(A(f"""From: {ew_b("山田太郎", "iso-2022-jp", "ISO-2022-JP")} <yamada@example.jp>
To: support@example.ru
Subject: {ew_b("ログインできません", "iso-2022-jp", "ISO-2022-JP")}
Date: Thu, 3 Dec 2026 21:00:00 +0900
Message-ID: <jp-46@example.jp>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="jp46"

--jp46
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

""") + jp_text.encode("iso-2022-jp") + A(f"""
--jp46
Content-Type: application/pdf; name="{ew_b("資料.pdf", "iso-2022-jp", "ISO-2022-JP")}"
Content-Disposition: attachment; filename="{ew_b("資料.pdf", "iso-2022-jp", "ISO-2022-JP")}"
Content-Transfer-Encoding: base64

""") + A(b64(jp_pdf)) + A("""--jp46--
""")), {
    "description": "ISO-2022-JP subject and name (encoded words), 7-bit ISO-2022-JP body (escape sequences, valid ASCII), "
                   "an attachment name as an ISO-2022-JP encoded word: decoded through iconv",
    "quarantine": False,
    "subject": "ログインできません",
    "from": person("山田太郎", "yamada@example.jp"),
    "message_id": "jp-46@example.jp",
    "text_contains": ["すみません。ログインできません。", "パスワードを変えても同じです。"],
    "has_html": False,
    "attachments": [att("資料.pdf", "application/pdf", jp_pdf)],
    **NOT_AUTO,
})

# --- 47 Korean: Outlook's ks_c_5601-1987 (really CP949), base64 body, RFC 2231 file name
ko_text = "안녕하세요. 스티커 인쇄가 안 됩니다.\n똠방각하, 확장 완성형 글자도 있습니다.\n"
ko_xlsx = fake_zip("hand47", 1200)
fixture("47-korean-ks-c-5601", crlf(A(f"""From: {ew_b("김민수", "cp949", "ks_c_5601-1987")} <minsu.kim@example.kr>
To: support@example.ru
Subject: {ew_b("인쇄 오류 문의", "cp949", "ks_c_5601-1987")}
Date: Thu, 3 Dec 2026 21:10:00 +0900
Message-ID: <ko-47@example.kr>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="ko47"

--ko47
Content-Type: text/plain; charset="ks_c_5601-1987"
Content-Transfer-Encoding: base64

""") + A(b64text(ko_text, "cp949")) + A(f"""
--ko47
Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet
Content-Disposition: attachment; filename*=ks_c_5601-1987''{pct("보고서.xlsx".encode("cp949"))}
Content-Transfer-Encoding: base64

""") + A(b64(ko_xlsx)) + A("""--ko47--
""")), {
    "description": "Outlook Korean: ks_c_5601-1987 encoded words and base64 body with a CP949-only syllable (똠), an RFC 2231 "
                   "file name in ks_c_5601-1987: CP949 through iconv",
    "quarantine": False,
    "subject": "인쇄 오류 문의",
    "from": person("김민수", "minsu.kim@example.kr"),
    "message_id": "ko-47@example.kr",
    "text_contains": ["안녕하세요. 스티커 인쇄가 안 됩니다.", "똠방각하"],
    "has_html": False,
    "attachments": [att("보고서.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ko_xlsx)],
    **NOT_AUTO,
})

# --- 48 EUC-KR: raw 8-bit subject and a text part naming no charset; only the HTML part declares euc-kr
ko48_subject = "결제 오류"
ko48_text = "결제가 되지 않습니다. 도와주세요.\n"
fixture("48-euc-kr-raw-subject-declared-elsewhere", crlf(A("""From: Lee <lee@example.kr>
To: support@example.ru
Subject: """) + ko48_subject.encode("euc-kr") + A("""
Date: Thu, 3 Dec 2026 21:20:00 +0900
Message-ID: <ko-48@example.kr>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="ko48"

--ko48
Content-Type: text/plain
Content-Transfer-Encoding: 8bit

""") + ko48_text.encode("euc-kr") + A("""
--ko48
Content-Type: text/html; charset=euc-kr
Content-Transfer-Encoding: 8bit

<html><body><p>""") + ko48_text.strip().encode("euc-kr") + A("""</p></body></html>
--ko48--
""")), {
    "description": "a raw 8-bit EUC-KR Subject and a text/plain part naming no charset; only the HTML part declares euc-kr: "
                   "the charset declared anywhere in the message wins over the Russian guess",
    "quarantine": False,
    "subject": ko48_subject,
    "from": person("Lee", "lee@example.kr"),
    "message_id": "ko-48@example.kr",
    "text_contains": ["결제가 되지 않습니다. 도와주세요."],
    "has_html": True,
    "html_contains": ["결제가 되지 않습니다."],
    "attachments": [],
    **NOT_AUTO,
})

# --- 49 Chinese: GB2312 label with a GBK-only character (Foxmail, QQ mail), quoted-printable body
zh_text = "您好，系统无法登录。\n错误代码：镕 500。\n"
fixture("49-gb2312-gbk", crlf(A(f"""From: {ew_b("王小明", "gbk", "gb2312")} <wang@example.cn>
To: support@example.ru
Subject: {ew_b("无法登录", "gbk", "GB2312")}
Date: Thu, 3 Dec 2026 20:30:00 +0800
Message-ID: <zh-49@example.cn>
MIME-Version: 1.0
Content-Type: text/plain; charset="gb2312"
Content-Transfer-Encoding: quoted-printable

""") + A(qp(zh_text, "gbk"))), {
    "description": "Foxmail-style GB2312 label over GBK bytes (镕 is GBK only), quoted-printable: GB18030 through iconv",
    "quarantine": False,
    "subject": "无法登录",
    "from": person("王小明", "wang@example.cn"),
    "message_id": "zh-49@example.cn",
    "text_contains": ["您好，系统无法登录。", "错误代码：镕 500。"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 50 Traditional Chinese Big5 and Japanese Shift_JIS (Windows CP932: ① is not in JIS X 0208)
big5_subject = "帳號無法使用"
sjis_text = "①請求書が開けません。\n②印刷もできません。\n"
fixture("50-big5-subject-shift-jis-body", crlf(A(f"""From: Chen <chen@example.tw>
To: support@example.ru
Subject: {ew_b(big5_subject, "big5", "big5")}
Date: Thu, 3 Dec 2026 20:40:00 +0800
Message-ID: <big5-50@example.tw>
MIME-Version: 1.0
Content-Type: text/plain; charset=Shift_JIS
Content-Transfer-Encoding: 8bit

""") + sjis_text.encode("cp932")), {
    "description": "a Big5 encoded-word subject over an 8-bit Shift_JIS body that uses Windows' CP932 extensions (①②)",
    "quarantine": False,
    "subject": big5_subject,
    "from": person("Chen", "chen@example.tw"),
    "message_id": "big5-50@example.tw",
    "text_contains": ["①請求書が開けません。", "②印刷もできません。"],
    "attachments": [],
    **NOT_AUTO,
})

# --- 51 RFC 5322 appendix A.5: comments everywhere, a group, an empty group
fixture("51-address-comments-rfc5322-a5", crlf(A("""From: Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>
To:A Group(Some people)
     :Chris Jones <c@(Chris's host.)public.example>,
         joe@example.org,
  John <jdoe@one.test> (my dear friend); (the end of the group)
Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;
Date: Thu,
      13
        Feb
          1969
      23:32
               -0330 (Newfoundland Time)
Message-ID:              <testabcd.1234@silly.test>
Subject: Comments everywhere

Testing.
""")), {
    "description": "RFC 5322 A.5 verbatim: comments inside the address and the name (with an escaped parenthesis), a "
                   "group with comments, an empty group",
    "quarantine": False,
    "subject": "Comments everywhere",
    "from": person("Pete", "pete@silly.test"),
    "to": ["c@public.example", "joe@example.org", "jdoe@one.test"],
    "cc": [],
    "message_id": "testabcd.1234@silly.test",
    "text_contains": ["Testing."],
    "attachments": [],
    **NOT_AUTO,
})

# --- 52 old programs: a bare address after the name, spaces before the colon (first line too)
fixture("52-address-bare-after-name-space-before-colon", crlf(A("""From  : Big Bug bb@bug.com
To  :support@example.ru
Subject	: Old mailer
Message-ID : <old-52@bug.com>

The scanner program sends mail like this.
""")), {
    "description": "RFC 5322 obsolete syntax: spaces and tabs between field names and colons (on the first line too), a "
                   "display name followed by a bare address without angle brackets",
    "quarantine": False,
    "subject": "Old mailer",
    "from": person("Big Bug", "bb@bug.com"),
    "to": SUPPORT_TO,
    "message_id": "old-52@bug.com",
    "text_contains": ["The scanner program sends mail like this."],
    "attachments": [],
    **NOT_AUTO,
})

# =========================================================================== quarantine

fixture("33-quarantine-empty", b"", {
    "description": "empty file (0 bytes)",
    "quarantine": True,
})

garbage = bytearray(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x01\x00H\x00H\x00\x00\xff\xdb\x00C\x00")
for b in fake_bytes("hand34-garbage", 6000):
    if b not in (0x0A, 0x0D, 0x3A):  # no line breaks and no ':' -> nothing that could look like a header
        garbage.append(b)
garbage += b"\xff\xd9"
fixture("34-quarantine-binary", bytes(garbage), {
    "description": "binary garbage shaped like a JPEG (SOI/JFIF header, random bytes, no CR/LF, no ':'): there is no "
                   "header section at all",
    "quarantine": True,
})

fixture("35-quarantine-no-from", crlf(A(f"""To: support@example.ru
Subject: {ew_b("Срочно", "utf-8")}
Date: Mon, 3 Mar 2025 12:30:00 +0300
Message-ID: <no-from-35@unknown.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

""") + "Позвоните мне.\n".encode("utf-8")), {
    "description": "well-formed message with no From, no Sender and no Return-Path: no sender address at all",
    "quarantine": True,
})

depth = 40
nest = [A(f"""From: Deep Nesting <deep@example.net>
To: support@example.ru
Subject: 40 levels
Date: Mon, 3 Mar 2025 12:40:00 +0300
Message-ID: <nested-40@example.net>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="lvl01"

""")]
for level in range(1, depth + 1):
    inner = (f'Content-Type: multipart/mixed; boundary="lvl{level + 1:02d}"\n\n' if level < depth
             else "Content-Type: text/plain; charset=us-ascii\n\nbottom of the nesting\n")
    nest.append(A(f"--lvl{level:02d}\n{inner}"))
for level in range(depth, 0, -1):
    nest.append(A(f"--lvl{level:02d}--\n"))
fixture("36-quarantine-nested-40", crlf(b"".join(nest)), {
    "description": "40 nested multipart/mixed levels (limit is 30) around one text/plain part",
    "quarantine": True,
})


def main() -> int:
    CORPUS.mkdir(parents=True, exist_ok=True)
    for name, data, expect in FIXTURES:
        stem = f"hand-{name}"
        (CORPUS / f"{stem}.eml").write_bytes(data)
        (CORPUS / f"{stem}.json").write_text(json.dumps(expect, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {len(FIXTURES)} hand fixtures to {CORPUS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
