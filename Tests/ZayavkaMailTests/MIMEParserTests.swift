import Foundation
import Testing
@testable import ZayavkaMIME

private func message(_ text: String) -> [UInt8] { Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8) }

@Suite("MIME parsing")
struct MIMEParserTests {
    @Test("encoded words in every Cyrillic charset, split and joined")
    func encodedWords() {
        #expect(EncodedWords.decode("=?UTF-8?B?0J/RgNC40LLQtdGC?=") == "Привет")
        #expect(EncodedWords.decode("=?koi8-r?B?8NLJ18XU?=") == "Привет")
        #expect(EncodedWords.decode("=?windows-1251?Q?=CF=F0=E8=E2=E5=F2_=EC=E8=F0?=") == "Привет мир")
        // A character split across two words; the space between encoded words vanishes.
        #expect(EncodedWords.decode("=?UTF-8?B?0J/R?= =?UTF-8?B?gNC40LLQtdGC?=") == "Привет")
        #expect(EncodedWords.decode("Re: =?UTF-8?Q?=D0=B4=D0=B0?= [#10042]") == "Re: да [#10042]")
        #expect(EncodedWords.decode("=?ISO-8859-5?B?wNDR3uLQ?=") == "Работа")
        #expect(EncodedWords.decode("=?IBM866?B?j+CooqXi?=") == "Привет")
    }

    @Test("RFC 2231 parameters with continuations and charsets")
    func parameters() {
        let (value, parameters) = HeaderParameters.parse("attachment; filename*0*=UTF-8''%D0%A1%D1%87%D1%91%D1%82; filename*1*=%20%E2%84%965.pdf")
        #expect(value == "attachment")
        #expect(parameters["filename"] == "Счёт №5.pdf")
        #expect(HeaderParameters.parse("inline; filename=\"=?UTF-8?B?0KHRh9GR0YIucGRm?=\"").parameters["filename"] == "Счёт.pdf")
        #expect(HeaderParameters.parse("attachment; filename*=koi8-r''%F3%DE%C5%D4.txt").parameters["filename"] == "Счет.txt")
    }

    @Test("addresses with encoded names, quotes, comments and groups")
    func addresses() {
        let list = MailAddress.list("\"Петров, Иван\" <Ivan@Example.RU>, =?UTF-8?B?0JDQvdC90LA=?= <anna@x.ru>, bob@y.ru (Bob B), undisclosed-recipients:;")
        #expect(list == [MailAddress(name: "Петров, Иван", address: "ivan@example.ru"), MailAddress(name: "Анна", address: "anna@x.ru"),
                         MailAddress(name: "Bob B", address: "bob@y.ru")])
    }

    @Test("a windows-1251 quoted-printable message with an attachment")
    func multipart() throws {
        let raw = message("""
            From: =?windows-1251?B?yOLg7Q==?= <ivan@example.ru>
            To: support@zayavka.local
            Subject: =?windows-1251?Q?=CD=E5_=F0=E0=E1=EE=F2=E0=E5=F2?=
            Message-ID: <m1@example.ru>
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="b1"

            --b1
            Content-Type: text/plain; charset=windows-1251
            Content-Transfer-Encoding: quoted-printable

            =CD=E5 =F0=E0=E1=EE=F2=E0=E5=F2 =EA=E0=F1=F1=E0.
            --b1
            Content-Type: application/pdf; name="a.pdf"
            Content-Disposition: attachment; filename="a.pdf"
            Content-Transfer-Encoding: base64

            JVBERi0xLjQK
            --b1--
            """)
        let parsed = try MIMEParser.parse(raw)
        #expect(parsed.subject == "Не работает")
        #expect(parsed.from == MailAddress(name: "Иван", address: "ivan@example.ru"))
        #expect(parsed.messageID == "m1@example.ru")
        #expect(parsed.newText == "Не работает касса.")
        #expect(parsed.attachments.count == 1)
        #expect(parsed.attachments.first?.filename == "a.pdf")
        #expect(parsed.attachments.first?.data == Array("%PDF-1.4\n".utf8))
        #expect(!parsed.isAutomatic)
    }

    @Test("bytes that are not a message are refused with a reason")
    func quarantine() {
        #expect(throws: MailParseError.empty) { try MIMEParser.parse([]) }
        #expect(throws: MailParseError.noHeaders) { try MIMEParser.parse([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46]) }
        #expect(throws: MailParseError.noSender) { try MIMEParser.parse(message("Subject: hi\n\nbody")) }
    }

    @Test("mislabelled UTF-8 that is really windows-1251 still reads as Russian")
    func mislabelled() throws {
        var raw = message("From: a@b.ru\nSubject: x\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n")
        raw += [0xCF, 0xF0, 0xE8, 0xE2, 0xE5, 0xF2]
        let parsed = try MIMEParser.parse(raw)
        #expect(parsed.text == "Привет")
        #expect(parsed.charsetFallback)
    }

    @Test("quoted replies and signatures are folded away, Russian and English")
    func folding() {
        let cases: [(String, String, String)] = [
            ("Спасибо, заработало.\n\n03.03.2025 10:00, Иван Петров пишет:\n> Перезагрузите", "Спасибо, заработало.", "Перезагрузите"),
            ("Thanks!\n\nOn Mon, 3 Mar 2025 at 10:00, Ivan <ivan@x.ru> wrote:\n> old", "Thanks!", "old"),
            ("Ок\n\n-----Original Message-----\nFrom: x", "Ок", "Original"),
            ("Да\n\nОт: Иван <ivan@x.ru>\nОтправлено: 3 марта 2025 г. 10:00\nКому: support\nТема: Re: x\n\nстарое", "Да", "старое"),
            ("Новый текст\n-- \nИван, ООО Ромашка", "Новый текст", "Ромашка"),
            ("Всё хорошо\n\nОтправлено с iPhone", "Всё хорошо", "iPhone"),
            ("Ответ\n\nпн, 3 мар. 2025 г. в 10:00, Иван <ivan@x.ru>:\n> старое", "Ответ", "старое"),
        ]
        for (text, expectedNew, folded) in cases {
            let split = ReplyFolding.split(text)
            #expect(split.new == expectedNew, "\(text)")
            #expect(split.quoted.contains(folded), "\(text)")
        }
        // A forward keeps what is forwarded.
        let forward = ReplyFolding.split("Посмотрите\n\n---------- Forwarded message ---------\nFrom: a@b\nDate: x\n\nошибка 500")
        #expect(forward.new.contains("ошибка 500"))
    }

    @Test("hostile HTML is made inert; text comes out of HTML")
    func sanitizer() {
        let html = """
            <html><head><title>t</title><style>p{background:url(http://evil)}</style></head><body>
            <p onclick="steal()">Привет &amp; <b>добрый</b> день</p><script>alert(1)</script>
            <img src="x" onerror="alert(2)"><img src="cid:logo@x" alt="logo"><a href="javascript:alert(3)">link</a>
            <a href="https://example.ru/?a=1&amp;b=2">ok</a><iframe src="https://evil"></iframe>
            <blockquote>старое</blockquote></body></html>
            """
        let safe = HTMLSanitizer.sanitize(html, allowCID: { $0 == "logo@x" })
        for bad in ["<script", "onerror", "onclick", "javascript:", "<iframe", "<style", "alert(", "evil"] {
            #expect(!safe.lowercased().contains(bad), "\(bad) in \(safe)")
        }
        #expect(safe.contains("<b>добрый</b>"))
        #expect(safe.contains("src=\"cid:logo@x\""))
        #expect(safe.contains("href=\"https://example.ru/?a=1&amp;b=2\""))
        let text = HTMLSanitizer.text(from: html)
        #expect(text.contains("Привет & добрый день"))
        #expect(text.contains("> старое"))
        #expect(!text.contains("alert"))
    }

    @Test("what the builder writes, the parser reads back")
    func roundTrip() throws {
        var mail = OutgoingMail(from: MailAddress(name: "Поддержка", address: "support@zayavka.local"),
                                to: [MailAddress(name: "Иван Петров", address: "ivan@example.ru")],
                                subject: "[Support] Re: Не работает касса, ошибка «ККТ» [#10042]",
                                text: "Здравствуйте!\n.\nСтрока с = и очень длинным текстом " + String(repeating: "ж", count: 120),
                                messageID: "zy.10042.abc@zayavka.local")
        mail.inReplyTo = "m1@example.ru"
        mail.references = ["m0@example.ru", "m1@example.ru"]
        mail.autoSubmitted = "auto-replied"
        let parsed = try MIMEParser.parse(mail.render())
        #expect(parsed.subject == mail.subject)
        #expect(parsed.from == mail.from)
        #expect(parsed.to == mail.to)
        #expect(parsed.text == mail.text)
        #expect(parsed.inReplyTo == ["m1@example.ru"])
        #expect(parsed.references == ["m0@example.ru", "m1@example.ru"])
        #expect(parsed.isAutomatic)
        #expect(mail.render().split(separator: 0x0A).allSatisfy { $0.count <= 998 })
    }

    @Test("delivery reports name the message they return")
    func bounce() throws {
        let raw = message("""
            From: MAILER-DAEMON@mx.example.ru (Mail Delivery System)
            To: support@zayavka.local
            Subject: Undelivered Mail Returned to Sender
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=delivery-status; boundary="r"

            --r
            Content-Type: text/plain

            I'm sorry to have to inform you that your message could not be delivered.
            --r
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.ru

            Final-Recipient: rfc822; nobody@example.ru
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 User unknown
            --r
            Content-Type: message/rfc822

            From: support@zayavka.local
            Message-ID: <zy.10042.abc@zayavka.local>
            Subject: hi

            body
            --r--
            """)
        let parsed = try MIMEParser.parse(raw)
        #expect(parsed.bounce?.originalMessageID == "zy.10042.abc@zayavka.local")
        #expect(parsed.bounce?.status == "5.1.1")
        #expect(parsed.bounce?.failedRecipients == ["nobody@example.ru"])
        #expect(parsed.isAutomatic)
    }

    @Test("nesting past the limit is refused, not recursed into")
    func deepNesting() {
        var raw = "From: a@b.ru\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
        for level in 1...40 { raw += "--b\(level - 1)\r\nContent-Type: multipart/mixed; boundary=\"b\(level)\"\r\n\r\n" }
        #expect(throws: MailParseError.tooDeep(limit: MIMEParser.maxDepth)) { try MIMEParser.parse(Array(raw.utf8)) }
    }

    @Test("no usable sender in the headers: the envelope sender (MAIL FROM) is the sender; with none, the message is refused")
    func envelopeSender() throws {
        let raw = Array("To: support@example.ru\r\nSubject: hi\r\nFrom: undisclosed\r\n\r\nbody\r\n".utf8)
        #expect(throws: MailParseError.noSender) { try MIMEParser.parse(raw) }
        #expect(throws: MailParseError.noSender) { try MIMEParser.parse(raw, envelopeSender: "api") }
        let parsed = try MIMEParser.parse(raw, envelopeSender: "Ivan@Example.RU")
        #expect(parsed.from?.address == "ivan@example.ru")
        // A From the headers name wins over the envelope.
        let withFrom = Array("From: Anna <anna@example.ru>\r\n\r\nbody\r\n".utf8)
        #expect(try MIMEParser.parse(withFrom, envelopeSender: "bounce@list.example.ru").from?.address == "anna@example.ru")
        // Junk behind our own Received line is no message: the envelope does not make it one.
        let junk = Array("Received: from x by mx; Wed, 2 Dec 2026 10:00:00 +0300\r\n".utf8) + [0x00, 0xFF, 0xFE, 0x41, 0x3A, 0x0D, 0x0A]
        #expect(throws: MailParseError.noSender) { try MIMEParser.parse(junk, envelopeSender: "garbage@example.ru") }
    }

    @Test("UTF-7: shifted runs, the literal plus, a run ended by a non-base64 character, broken padding")
    func utf7() {
        #expect(Charset.decode(Array("Hi Mom -+Jjo--!".utf8), label: "utf-7") == ("Hi Mom -☺-!", true))
        #expect(Charset.decode(Array("1 +- 1 = 2".utf8), label: "UTF-7").text == "1 + 1 = 2")
        #expect(Charset.decode(Array("+BB8EQAQ4BDIENQRC.".utf8), label: "unicode-1-1-utf-7").text == "Привет.")
        #expect(Charset.decode(Array("+BB8E-".utf8), label: "utf-7").exact == false)
        #expect(EncodedWords.decode("=?utf-7?Q?+BB8EQAQ4BDIENQRC-?=") == "Привет")
    }

    @Test("uuencode: a block decodes exactly; a broken block stays text; names never choose a folder")
    func uuencode() {
        let text = "before\nbegin 644 ../../etc/a.txt\n#86)C\n`\nend\nafter"
        let (rest, files) = UUEncode.extract(from: text)
        #expect(rest == "before\nafter")
        #expect(files == [UUEncode.Block(name: "a.txt", data: Array("abc".utf8))])
        let broken = "begin 644 x.bin\nthis is not uuencode at all, just a line\nend"
        #expect(UUEncode.extract(from: broken).files.isEmpty)
        #expect(UUEncode.extract(from: broken).text == broken)
        #expect(UUEncode.extract(from: "begin 644 x.bin\n#86)C\n").files.isEmpty) // no end line
    }

    @Test("HTML5 named references, legacy names without a semicolon, windows-1252 numeric ones")
    func entities() {
        #expect(HTMLSanitizer.decodeEntities("Gr&ouml;&szlig;e &frac12; caf&eacute; &NotNestedGreaterGreater; &CounterClockwiseContourIntegral;")
                == "Größe ½ café ⪢̸ ∳")
        #expect(HTMLSanitizer.decodeEntities("&copy 2025, &copy=2, &copyx, &unknown;") == "© 2025, &copy=2, &copyx, &unknown;")
        #expect(HTMLSanitizer.decodeEntities("&#150; &#x80; &#0; &#xD800; &#99999999999;") == "– € \u{FFFD} \u{FFFD} &#99999999999;")
        #expect(HTMLSanitizer.sanitize("<p>&ouml; &amp;ouml;</p>").contains("ö &amp;ouml;"))
    }

    @Test("raw 8-bit headers: UTF-8 when valid, else the declared charset; raw bytes inside Q words decode once")
    func raw8bitHeaders() throws {
        var koi = Array("From: ".utf8) + [0xF0, 0xC5, 0xD4, 0xD2] + Array(" <p@example.ru>\r\nSubject: ".utf8) + [0xF4, 0xC5, 0xD3, 0xD4]
        koi += Array("\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\nbody\r\n".utf8)
        let parsed = try MIMEParser.parse(koi)
        #expect(parsed.from?.name == "Петр")
        #expect(parsed.subject == "Тест")
        // Without a declared charset the guess stays windows-1251; valid UTF-8 stays UTF-8.
        #expect(Charset.decodeHeader([0xD2, 0xE5, 0xF1, 0xF2], declared: nil) == "Тест")
        #expect(Charset.decodeHeader(Array("Тест".utf8), declared: "koi8-r") == "Тест")
        // =?windows-1251?Q?<raw cp1251>?= and =?koi8-r?Q?<raw koi8>?=
        let word = MailHeaders.parse(Array("Subject: =?windows-1251?Q?".utf8)[...] + [0xCA, 0xE0, 0xF1, 0xF1, 0xE0] + Array("?=\r\n".utf8))
        #expect(word.text("Subject") == "Касса")
        #expect(Charset.encode("Ё", label: "koi8-r") == [0xB3])
        #expect(Charset.encode("€", label: "koi8-r") == nil)
    }

    @Test("iconv: every charset Foundation lacks, mail's aliases, invalid bytes as U+FFFD, no label can carry iconv options")
    func iconvCharsets() throws {
        #expect(Charset.canonical("ks_c_5601-1987") == "CP949")
        #expect(Charset.canonical("Shift_JIS") == "CP932")
        #expect(Charset.canonical("\"gb2312\"") == "GB18030")
        #expect(Charset.canonical("ISO-8859-7") == "ISO-8859-7") // asked of iconv itself
        #expect(Charset.canonical("windows-1251") == "windows-1251") // our own table first
        #expect(Charset.canonical("x-no-such-charset") == nil)
        #expect(Charset.canonical("UTF-8//IGNORE") == nil)
        #expect(Charset.canonical("koi8-r//TRANSLIT") == nil)
        #expect(Charset.canonical(String(repeating: "a", count: 100)) == nil)
        // ISO-2022-JP is 7-bit: valid ASCII, which used to pass through as escape codes.
        let japanese: [UInt8] = [0x1B, 0x24, 0x42, 0x24, 0x39, 0x24, 0x5F, 0x24, 0x5E, 0x24, 0x3B, 0x24, 0x73, 0x21, 0x23, 0x1B, 0x28, 0x42]
        #expect(Charset.decode(japanese, label: "iso-2022-jp") == ("すみません。", true))
        // «스티해» in CP949 is what Outlook sends as ks_c_5601-1987; read as windows-1251 it was «ЅєЖјЗШ».
        let korean: [UInt8] = [0xBD, 0xBA, 0xC6, 0xBC, 0xC7, 0xD8]
        #expect(Charset.decode(korean, label: "ks_c_5601-1987") == ("스티해", true))
        #expect(Charset.decode(korean, label: "windows-1251").text == "ЅєЖјЗШ")
        // A broken sequence becomes U+FFFD and the rest still decodes; a truncated one at the end too.
        let broken = Charset.decode([0xBD, 0xBA, 0xFF, 0x41, 0xC6], label: "euc-kr")
        #expect(broken.text == "스\u{FFFD}A\u{FFFD}" && broken.exact == false)
        #expect(Charset.decode([UInt8](), label: "big5") == ("", true))
        // Large input grows the output buffer as needed.
        let long = Array(repeating: korean, count: 20_000).flatMap { $0 }
        #expect(Charset.decode(long, label: "cp949").text == String(repeating: "스티해", count: 20_000))
        // Encoded words and RFC 2231 parameters go through the same table.
        #expect(EncodedWords.decode("=?EUC-KR?B?vbrGvMfY?= =?Big5?B?sWK4uQ==?=") == "스티해帳號")
        #expect(HeaderParameters.parse("attachment; filename*=shift_jis''%8E%91%97%BF.pdf").parameters["filename"] == "資料.pdf")
        // A raw 8-bit header in a multibyte charset the message declares, and 7-bit ISO-2022-JP in a header.
        let raw = Array("From: a@example.jp\r\nSubject: ".utf8) + Array("料金".data(using: .shiftJIS)!)
            + Array("\r\nX-Jp: ".utf8) + japanese + Array("\r\nContent-Type: text/plain; charset=Shift_JIS\r\n\r\nbody\r\n".utf8)
        let parsed = try MIMEParser.parse(raw)
        #expect(parsed.subject == "料金")
        #expect(parsed.headers["X-Jp"] == "すみません。")
    }

    @Test("mbox: the envelope line is read past (its sender is the envelope sender), >From quoting is undone; a header with spaces before the colon is not an envelope")
    func mbox() throws {
        let message = Array("From ivan@example.ru  Thu Dec  3 12:00:00 2026\nSubject: mbox\nMessage-ID: <m1@example.ru>\n\nline\n>From here\n>>From there\n>Fromage\n".utf8)
        #expect(MBox.envelope(message[...])?.sender == "ivan@example.ru")
        #expect(MIMEParser.looksLikeHeaders(message[...]))
        #expect(MIMEParser.headers(of: message)["Message-ID"] == "<m1@example.ru>")
        let parsed = try MIMEParser.parse(message)
        #expect(parsed.from?.address == "ivan@example.ru")
        #expect(parsed.text == "line\nFrom here\n>From there\n>Fromage")
        // A given envelope sender wins over the line's; MAILER-DAEMON and <> name nobody.
        #expect(try MIMEParser.parse(message, envelopeSender: "olga@example.ru").from?.address == "olga@example.ru")
        #expect(MBox.envelope(Array("From MAILER-DAEMON Thu Dec  3 12:00:00 2026\nSubject: x\n\n".utf8)[...])?.sender == nil)
        #expect(MBox.envelope(Array("From <> Thu Dec  3 12:00:00 2026\nSubject: x\n\n".utf8)[...])?.sender == nil)
        #expect(throws: MailParseError.noSender) { try MIMEParser.parse(Array("From MAILER-DAEMON Thu Dec  3 2026\nSubject: x\n\nbody\n".utf8)) }
        // Without the envelope line, >From stays as it is (it may be a real quote).
        #expect(try MIMEParser.parse(Array("From: a@example.ru\n\n>From here\n".utf8)).text == ">From here")
        // `From  : …` is a header field with obsolete spaces, and `From:` is one too.
        #expect(MBox.envelope(Array("From  : Ivan <ivan@example.ru>\n\nbody".utf8)[...]) == nil)
        #expect(MBox.envelope(Array("From: Ivan <ivan@example.ru>\n\nbody".utf8)[...]) == nil)
        #expect(try MIMEParser.parse(Array("From\t: Ivan <ivan@example.ru>\n\nbody".utf8)).from == MailAddress(name: "Ivan", address: "ivan@example.ru"))
        // An envelope line with nothing after it is not a message.
        #expect(throws: MailParseError.noHeaders) { try MIMEParser.parse(Array("From ivan@example.ru Thu Dec  3 2026\nthis is no header\n".utf8)) }
    }

    @Test("addresses as RFC 5322's obsolete syntax and old programs write them")
    func obsoleteAddresses() {
        #expect(MailAddress.list("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>") == [MailAddress(name: "Pete", address: "pete@silly.test")])
        #expect(MailAddress.list("Big Bug bb@bug.com") == [MailAddress(name: "Big Bug", address: "bb@bug.com")])
        #expect(MailAddress.list("\"Big Bug\" bb@bug.com, Ann ann@x.ru") == [MailAddress(name: "Big Bug", address: "bb@bug.com"),
                                                                          MailAddress(name: "Ann", address: "ann@x.ru")])
        #expect(MailAddress.list("bb@bug.com (Big Bug)") == [MailAddress(name: "Big Bug", address: "bb@bug.com")])
        #expect(MailAddress.list("<john . doe @ example . org>") == [MailAddress(address: "john.doe@example.org")])
        #expect(MailAddress.list("\"a (not a comment)\" <q@x.ru>") == [MailAddress(name: "a (not a comment)", address: "q@x.ru")])
        #expect(MailAddress.list("(comment with a@b) c@d.ru") == [MailAddress(name: "comment with a@b", address: "c@d.ru")])
        #expect(MailAddress.list("two a@b.ru c@d.ru words").isEmpty) // two bare addresses in one mailbox: unreadable
        #expect(MailAddress.list("Cc:(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;").isEmpty)
    }

    @Test("the Date header in Moscow time matches Foundation's calendar for every kind of day, and reads back to the same second",
          arguments: [0.0, -1, 86_399, 951_782_400 /* 2000-02-29 */, 1_709_164_800 /* 2024-02-29 */, 1_735_678_799.9 /* 2024-12-31 20:59:59.9 UTC */,
                      1_735_678_800 /* 2025-01-01 00:00 MSK */, 4_102_444_800 /* 2100-01-01 */, -2_208_988_800 /* 1900-01-01 */, 1_796_000_000.5])
    func mailDate(seconds: Double) {
        let date = Date(timeIntervalSince1970: seconds)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(secondsFromGMT: 3 * 3600)!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let expected = "\(days[c.weekday! - 1]), \(c.day!) \(months[c.month! - 1]) \(c.year!) \(two(c.hour!)):\(two(c.minute!)):\(two(c.second!)) +0300"
        #expect(MailDate.format(date) == expected)
        #expect(MailDate.parse(MailDate.format(date)) == Date(timeIntervalSince1970: seconds.rounded(.down)))
    }
}
