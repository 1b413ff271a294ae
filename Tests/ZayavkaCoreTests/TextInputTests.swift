import Foundation
import PropertyBased
import Testing
@testable import ZayavkaCore

@Suite("Input rules: text, addresses, redirects, sender verification")
struct TextInputTests {
    @Test("isBlank says what trimming white space and line breaks says, for every space Unicode has and its neighbours")
    func blank() {
        var samples = ["", " ", "\t\n\r", "x", " x ", "\u{200B}", "\u{FEFF}", "\u{180E}", "а", "\u{0}", "\u{1F}"]
        for value in [0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000, 0x2005, 0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000] {
            let space = String(Unicode.Scalar(UInt32(value))!)
            samples += [space, space + space, space + "б" + space]
        }
        for text in samples {
            #expect(text.isBlank == text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(text.unicodeScalars.map { String($0.value, radix: 16) })")
        }
    }

    @Test("combining-mark runs are cut to four; other text is kept exactly")
    func combiningMarks() {
        #expect(TextInput.clean("a" + String(repeating: "\u{0301}", count: 100_000)).unicodeScalars.count == 1 + TextInput.maxCombiningMarks)
        for text in ["Привет", "ёжик", "Tiếng Việt", "שָׁלוֹם", "👨‍👩‍👧‍👦", "e\u{0301}", "plain ASCII"] { #expect(TextInput.clean(text) == text) }
    }

    @Test("cleaning never lengthens a text, is idempotent, and leaves no run over the limit")
    func cleanProperties() async {
        let scalar = Gen.int(in: 0...0x2FFF).map { Unicode.Scalar(UInt32($0)) ?? "x" }
        await propertyCheck(count: 300, input: scalar.array(of: 0...200)) { scalars in
            let text = String(String.UnicodeScalarView(scalars))
            let cleaned = TextInput.clean(text)
            #expect(cleaned.unicodeScalars.count <= text.unicodeScalars.count)
            #expect(TextInput.clean(cleaned) == cleaned)
            var run = 0
            for s in cleaned.unicodeScalars { run = TextInput.isCombining(s) ? run + 1 : 0; #expect(run <= TextInput.maxCombiningMarks) }
            #expect(!TextInput.hasForbiddenControl(TextInput.sanitize(text)))
            #expect(!TextInput.hasForbiddenControl(TextInput.sanitize(text, multiline: false), multiline: false))
        }
    }

    @Test("limits count characters, scalars and bytes")
    func limits() {
        #expect(!"абв".isOver(3))
        #expect("абвг".isOver(3))
        #expect(String(repeating: "😀", count: 10).isOver(9))
        #expect("a\u{0301}\u{0301}\u{0301}\u{0301}\u{0301}".isOver(1), "one character of six scalars is over a limit of 1")
        #expect(TextInput.check("a\u{0}b", field: "x", maxCharacters: 10) == FieldError("x", .controlCharacters))
        #expect(TextInput.check("a\nb", field: "x", maxCharacters: 10) == nil)
        #expect(TextInput.check("a\nb", field: "x", maxCharacters: 10, multiline: false) == FieldError("x", .controlCharacters))
    }

    @Test("email addresses as RFC 5321/5322 allow them, and nothing that could split a header", arguments: [
        ("ivan@client.ru", true), ("ivan.petrov+tag@mail.ru", true), ("иван@почта.рф", true), ("o'neil@example.com", true),
        ("a@b", false), ("a@@b.ru", false), (".a@b.ru", false), ("a..b@c.ru", false), ("a@b.ru\r\nBcc: x@y.ru", false), ("a b@c.ru", false),
        ("\"q\"@b.ru", false), ("<a@b.ru>", false), ("a@-b.ru", false), ("a\u{0}@b.ru", false), ("a@b.ru.", false),
    ])
    func email(address: String, valid: Bool) {
        #expect(EmailAddress.isValid(address) == valid)
    }

    @Test("redirect targets: a path of this site only", arguments: [
        ("/agent", true), ("/", true), ("/portal/requests/5?x=1", true), ("//evil.example", false), ("/\t/evil.example", false),
        ("/\\evil.example", false), ("https://evil.example", false), ("evil", false), ("/\r\nLocation: x", false), ("", false),
    ])
    func redirect(path: String, allowed: Bool) {
        #expect((LocalRedirect.path(path) != nil) == allowed)
    }

    @Test("sender verification: a reply to our mail, or a trusted server's pass for the sender's domain")
    func senderVerification() {
        let trusted = ["mx.zayavka.test"]
        func decide(_ headers: [String], sender: String = "olga@zayavka.test", answers: Bool = false) -> SenderVerification.Outcome {
            SenderVerification.decide(sender: sender, answersOurMailToSender: answers, authenticationResults: headers, trustedServers: trusted)
        }
        #expect(decide([], answers: true) == .replyToOurMessage)
        #expect(decide([]) == .unverified)
        #expect(decide(["mx.zayavka.test; dkim=pass header.d=zayavka.test header.s=s1"]) == .authenticated)
        #expect(decide(["mx.zayavka.test 1; dkim=pass (good signature) header.i=@zayavka.test"]) == .authenticated)
        #expect(decide(["mx.zayavka.test; spf=pass smtp.mailfrom=olga@zayavka.test"]) == .authenticated)
        #expect(decide(["mx.zayavka.test; dmarc=pass header.from=zayavka.test"]) == .authenticated)
        #expect(decide(["mx.zayavka.test; dkim=pass header.d=evil.example"]) == .unverified, "signed by another domain")
        #expect(decide(["mx.zayavka.test; dkim=fail header.d=zayavka.test"]) == .unverified)
        #expect(decide(["mx.evil.example; dkim=pass header.d=zayavka.test"]) == .unverified, "a server we do not trust")
        #expect(decide(["mx.zayavka.test; dkim=pass header.d=test"]) == .unverified, "a bare top-level domain signs nothing")
        #expect(decide(["mx.zayavka.test; dkim=pass header.d=zayavka.test"], sender: "olga@mail.zayavka.test") == .authenticated)
        #expect(SenderVerification.decide(sender: "olga@zayavka.test", answersOurMailToSender: false,
                                          authenticationResults: ["mx.zayavka.test; dkim=pass header.d=zayavka.test"], trustedServers: []) == .unverified)
    }

    @Test("dates outside 1900–9999 are refused")
    func dateWindow() {
        #expect(DateWindow.contains(Date()))
        #expect(!DateWindow.contains(Date(timeIntervalSince1970: 1e13)))
        #expect(!DateWindow.contains(Date(timeIntervalSince1970: -1e13)))
        #expect(!DateWindow.contains(Date(timeIntervalSince1970: .nan)))
    }
}
