#!/usr/bin/env python3
"""Cross-check the mail corpus expectations (Tests/ZayavkaMailTests/Corpus/*.json) against Python's own parser.

For every fixture it checks the file format (CRLF everywhere, except the one bare-LF fixture), then parses the
.eml with email.policy.default and compares subject, from, to, cc, message ids, body selection, attachments,
auto_submitted and bounce with the .json. Text folding is checked with a small reference folder
(quote/signature markers below): every text_contains must survive folding, every text_excludes must exist in
the message somewhere but not in the folded text.

Where Python's parser deliberately behaves differently from what the Swift parser must do, the checker applies a
documented workaround and marks the row "py-workaround" (see WORKAROUNDS). Exit status 1 on any mismatch.

Usage:  python3 Tests/mail/check_corpus.py [-v]
"""
from __future__ import annotations

import codecs
import html
import json
import re
import sys
from email import policy
from email.header import decode_header
from email.parser import BytesParser
from html.parser import HTMLParser
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[1] / "ZayavkaMailTests" / "Corpus"
VERBOSE = "-v" in sys.argv

# --------------------------------------------------------------------------- header decoding helpers


def unsurrogate(s: str) -> str:
    """Raw 8-bit header bytes come back from Python as surrogate escapes; the corpus treats them as UTF-8."""
    if any(0xDC80 <= ord(c) <= 0xDCFF for c in s):
        return s.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return s


def legacy_decode(value: str) -> str:
    """RFC 2047 decoding that joins the bytes of adjacent same-charset encoded words first (handles words that
    were split in the middle of a multi-byte character)."""
    out = []
    for chunk, cs in decode_header(value):
        if isinstance(chunk, str):
            out.append(chunk)
        else:
            out.append(chunk.decode(cs or "ascii", "replace"))
    return "".join(out)


def ids(value) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", str(value or ""))


def addresses(header) -> list[str]:
    if header is None:
        return []
    return [a.addr_spec.lower() for a in header.addresses]


# --------------------------------------------------------------------------- body decoding


def decode_text(part) -> str:
    """Decode a text part: declared charset if it decodes cleanly, else UTF-8, else windows-1251."""
    payload = part.get_payload(decode=True) or b""
    declared = part.get_content_charset()
    candidates = []
    if declared:
        try:
            codecs.lookup(declared)
            candidates.append(declared)
        except LookupError:
            pass
    candidates += ["utf-8", "windows-1251"]
    for cs in candidates:
        try:
            return payload.decode(cs)
        except UnicodeDecodeError:
            continue
    return payload.decode("utf-8", "replace")


class HTMLText(HTMLParser):
    """Minimal HTML -> text: drops head/script/style/title, drops <blockquote> (the quoted part), keeps line
    structure for block elements, decodes entities."""
    BLOCK = {"p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table"}
    SKIP = {"script", "style", "head", "title", "blockquote"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data.replace("\xa0", " "))


def html_to_text(source: str) -> str:
    p = HTMLText()
    p.feed(source)
    p.close()
    return "".join(p.out)


# --------------------------------------------------------------------------- reference quote/signature folding

ATTRIBUTION = [
    re.compile(r"^On .+ wrote:$"),                                                    # Gmail / Apple EN
    re.compile(r"^\S{2}, \d{1,2} \S+ \d{4} г\. в \d{1,2}:\d{2}, .+:$"),                # Gmail RU short
    re.compile(r"^\d{1,2} \S+ \d{4} г\., \d{1,2}:\d{2} пользователь .+ написал:$"),    # Gmail RU old
    re.compile(r"^\d{2}\.\d{2}\.\d{4} \d{1,2}:\d{2}, .+ пишет:$"),                    # Thunderbird RU
    re.compile(r"^\d{1,2} \S+ \d{4} г\., в \d{1,2}:\d{2}, .+ написал\(а\):$"),        # Apple RU
    re.compile(r"^-{3,}\s*(Original Message|Исходное сообщение)\s*-{3,}$"),           # Outlook separators
]
TRAILERS = ("Sent from my iPhone", "Отправлено с iPhone")


def fold(text: str) -> str:
    lines = text.replace("\r\n", "\n").split("\n")
    kept = []
    for i, line in enumerate(lines):
        bare = line.strip()
        nxt = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line == "-- " or bare.startswith(TRAILERS) or any(r.match(bare) for r in ATTRIBUTION):
            break
        if re.match(r"^(От|From):\s", bare) and re.match(r"^(Отправлено|Sent):\s", nxt):
            break
        if bare.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(kept)


def norm(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


# --------------------------------------------------------------------------- message walk


def leaves(part, parent=None):
    """Yield (leaf, parent) without descending into message/rfc822."""
    ctype = part.get_content_type()
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.iter_parts():
            yield from leaves(sub, part)
    else:
        yield part, parent


def depth(part) -> int:
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        return 1 + max((depth(p) for p in part.iter_parts()), default=0)
    return 0


def is_attachment_disposition(part) -> bool:
    return (part.get_content_disposition() == "attachment") or bool(part.get_filename())


WORKAROUNDS = {
    "hand-30-header-line-without-colon":
        "Python ends the header block at the colon-less line; the corpus expects it to be skipped, so the checker "
        "drops that line before parsing",
}


def parse(stem: str, raw: bytes):
    if stem == "hand-30-header-line-without-colon":
        raw = raw.replace(b"X-Broken-Header-Without-Colon\r\n", b"")
    return BytesParser(policy=policy.default).parsebytes(raw), raw


def expected_auto(msg) -> bool:
    auto = (msg.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no" and not auto.startswith("no;") and not auto.startswith("no "):
        return True
    if (msg.get("Precedence") or "").strip().lower() in ("bulk", "junk", "list"):
        return True
    if msg.get("X-Autoreply") is not None or msg.get("X-Autorespond") is not None:
        return True
    frm = msg.get("From")
    if frm is not None and frm.addresses:
        local = frm.addresses[0].username.lower()
        if local in ("mailer-daemon", "postmaster", "no-reply", "noreply", "do-not-reply", "donotreply"):
            return True
    return msg.get_content_type() == "multipart/report"


def bounce_of(msg):
    if msg.get_content_type() != "multipart/report" or msg.get_param("report-type", "").lower() != "delivery-status":
        return None
    for part in msg.iter_parts():
        ct = part.get_content_type()
        if ct == "message/rfc822":
            inner = part.get_payload(0)
            return {"original_message_id": (ids(inner.get("Message-ID")) or [None])[0]}
        if ct == "text/rfc822-headers":
            body = part.get_payload(decode=True).decode("utf-8", "replace")
            m = re.search(r"^Message-ID:\s*<([^>]+)>", body, re.I | re.M)
            return {"original_message_id": m.group(1) if m else None}
    return {"original_message_id": None}


# --------------------------------------------------------------------------- checks


def check(stem: str, exp: dict) -> tuple[str, list[str], list[str]]:
    raw = (CORPUS / f"{stem}.eml").read_bytes()
    errors, notes = [], []

    # line endings
    if stem == "hand-28-bare-lf-line-endings":
        if b"\r" in raw:
            errors.append("bare-LF fixture contains CR")
    elif re.search(rb"(?<!\r)\n", raw) or re.search(rb"\r(?!\n)", raw):
        errors.append("not pure CRLF")

    if exp["quarantine"]:
        # confirm the reason the fixture should be rejected
        if not raw:
            notes.append("empty")
        elif b"\n" not in raw[:2000] and b":" not in raw[:2000]:
            notes.append("no header section")
        else:
            msg, _ = parse(stem, raw)
            d = depth(msg)
            sender = msg.get("From") or msg.get("Sender") or msg.get("Return-Path")
            if d > 30:
                notes.append(f"MIME depth {d}")
            elif not sender:
                notes.append("no From/Sender/Return-Path")
            else:
                errors.append("quarantine expected but no reason found")
        return ("ok" if not errors else "FAIL"), errors, notes

    msg, raw = parse(stem, raw)
    if stem in WORKAROUNDS:
        notes.append("py-workaround")

    # subject
    if "subject" in exp:
        got = unsurrogate(str(msg.get("Subject", "")))
        if got != exp["subject"]:
            errors.append(f"subject: python={got!r} expected={exp['subject']!r}")

    # from
    if "from" in exp:
        frm = msg.get("From")
        if frm is not None:
            a = frm.addresses[0]
            name, addr = unsurrogate(a.display_name or ""), a.addr_spec.lower()
            if "name" in exp["from"] and name != exp["from"]["name"]:
                # Python's phrase decoder does not join mid-character encoded words; try the legacy decoder
                raw_from = re.search(rb"^From:(.*?)<", raw, re.M | re.S).group(1).decode("ascii", "replace").strip()
                legacy = legacy_decode(raw_from).strip().strip('"')
                if legacy == exp["from"]["name"]:
                    notes.append("from-name via joined encoded words")
                else:
                    errors.append(f"from.name: python={name!r} legacy={legacy!r} expected={exp['from']['name']!r}")
        else:
            src = msg.get("Sender") or msg.get("Return-Path")
            addr = (ids(src) or [str(src or "").strip()])[0].lower()
            name = None
            notes.append("sender from Return-Path/Sender")
        if addr != exp["from"]["address"]:
            errors.append(f"from.address: python={addr!r} expected={exp['from']['address']!r}")

    for key, header in (("to", "To"), ("cc", "Cc")):
        if key in exp:
            got = addresses(msg.get(header))
            if got != exp[key]:
                errors.append(f"{key}: python={got} expected={exp[key]}")
    if "message_id" in exp:
        got = (ids(msg.get("Message-ID")) or [None])[0]
        if got != exp["message_id"]:
            errors.append(f"message_id: python={got!r} expected={exp['message_id']!r}")
    for key, header in (("in_reply_to", "In-Reply-To"), ("references", "References")):
        if key in exp:
            got = ids(msg.get(header))
            if got != exp[key]:
                errors.append(f"{key}: python={got} expected={exp[key]}")

    # body and attachments
    text_part = html_part = None
    atts, all_text = [], []
    top_is_text = msg.get_content_maintype() == "multipart" and not msg.is_multipart()
    if top_is_text:  # multipart without boundary: Python keeps the body as one string
        notes.append("multipart without boundary -> text")
    for part, parent in leaves(msg):
        ct = part.get_content_type()
        if top_is_text:
            ct = "text/plain"
        if ct in ("text/plain", "text/html") and not is_attachment_disposition(part):
            if ct == "text/plain" and text_part is None:
                text_part = part
                continue
            if ct == "text/html" and html_part is None:
                html_part = part
                continue
        if ct == "message/rfc822":  # so that text_excludes may point into a forwarded message
            for sub in part.get_payload(0).walk():
                if sub.get_content_maintype() == "text":
                    all_text.append(decode_text(sub))
        if ct.startswith("text/") or top_is_text:
            try:
                all_text.append(decode_text(part) if not top_is_text else msg.get_payload())
            except Exception:
                pass
        atts.append((part, parent))

    html_src = decode_text(html_part) if html_part is not None else None
    if text_part is not None:
        full = decode_text(text_part)
    elif top_is_text:
        full = msg.get_payload(decode=True).decode("utf-8", "replace")
    elif html_src is not None:
        full = html_to_text(html_src)
    else:
        full = ""
    folded = norm(fold(full))
    everything = norm(" ".join([full, html_src or ""] + all_text))

    for s in exp.get("text_contains", []):
        if norm(s) not in folded:
            errors.append(f"text_contains not in folded text: {s!r}")
    for s in exp.get("text_excludes", []):
        if norm(s) in folded:
            errors.append(f"text_excludes still in folded text: {s!r}")
        if norm(s) not in everything and s not in (html_src or ""):
            errors.append(f"text_excludes never occurs in the message (vacuous): {s!r}")
    if "has_html" in exp and exp["has_html"] != (html_src is not None):
        errors.append(f"has_html: python={html_src is not None} expected={exp['has_html']}")
    for s in exp.get("html_contains", []):
        if html_src is None or s not in html_src:
            errors.append(f"html_contains not in raw html: {s!r}")
    if html_src is not None:
        present = [s for s in exp.get("html_excludes", []) if s.lower() in html_src.lower()]
        if present:
            notes.append(f"sanitizer must strip {len(present)}")

    if "attachments" in exp:
        got = []
        rfc822_seen = 0
        for part, parent in atts:
            ct = part.get_content_type()
            fn = part.get_filename()
            fn = unsurrogate(fn) if fn else None
            cid = (ids(part.get("Content-ID")) or [None])[0]
            if ct == "message/rfc822":
                # size = the embedded message's bytes as they sit in the file
                rfc822_seen += 1
                pos = -1
                for _ in range(rfc822_seen):
                    pos = raw.index(b"Content-Type: message/rfc822", pos + 1)
                start = raw.index(b"\r\n\r\n", pos) + 4
                end = raw.index(b"\r\n--" + parent.get_boundary().encode(), start)
                size = end - start
            else:
                size = len(part.get_payload(decode=True) or b"")
            referenced = bool(cid) and html_src is not None and f"cid:{cid}" in html_src
            inline = referenced or (part.get_content_disposition() == "inline" and part.get_content_maintype() == "image")
            got.append({"filename": fn, "content_type": ct, "size": size, "inline": inline, "content_id": cid})
        if got != exp["attachments"]:
            errors.append(f"attachments:\n      python={json.dumps(got, ensure_ascii=False)}\n"
                          f"      expected={json.dumps(exp['attachments'], ensure_ascii=False)}")

    if "auto_submitted" in exp and expected_auto(msg) != exp["auto_submitted"]:
        errors.append(f"auto_submitted: rule says {expected_auto(msg)}, expected {exp['auto_submitted']}")
    if "bounce" in exp and bounce_of(msg) != exp["bounce"]:
        errors.append(f"bounce: python={bounce_of(msg)} expected={exp['bounce']}")

    if VERBOSE:
        notes.append(f"folded={folded[:60]!r}")
    return ("ok" if not errors else "FAIL"), errors, notes


def main() -> int:
    stems = sorted(p.stem for p in CORPUS.glob("*.json"))
    missing = sorted({p.stem for p in CORPUS.glob("*.eml")} ^ set(stems))
    failures = 0
    print(f"{'fixture':48} {'result':6} {'q':1} {'subject':46} notes")
    print("-" * 130)
    for stem in stems:
        exp = json.loads((CORPUS / f"{stem}.json").read_text(encoding="utf-8"))
        status, errors, notes = check(stem, exp)
        subj = exp.get("subject", "")
        subj = subj if len(subj) <= 44 else subj[:43] + "…"
        print(f"{stem:48} {status:6} {'Q' if exp['quarantine'] else '-'} {subj:46} {'; '.join(notes)}")
        for e in errors:
            print(f"    ! {e}")
        failures += status != "ok"
    if missing:
        print(f"unpaired files: {missing}")
        failures += 1
    print("-" * 130)
    print(f"{len(stems)} fixtures, {failures} with problems")
    for k, v in WORKAROUNDS.items():
        print(f"workaround {k}: {v}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
