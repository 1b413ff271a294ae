import Foundation
import Testing
@testable import ZayavkaMail
@testable import ZayavkaMIME

private func frame(_ chunks: [String], maxLine: Int = 1 << 20, maxLiteral: Int = 1 << 20) throws -> [IMAPResponse] {
    var framer = IMAPFramer(maxLineBytes: maxLine, maxLiteralBytes: maxLiteral)
    var out: [IMAPResponse] = []
    for chunk in chunks {
        framer.append(Array(chunk.utf8))
        while let raw = try framer.next() { out.append(try IMAPParser.parse(raw)) }
    }
    return out
}

@Suite("IMAP responses")
struct IMAPParserTests {
    @Test("greetings, tagged answers and response codes")
    func statuses() throws {
        let responses = try frame(["* OK [CAPABILITY IMAP4rev1 IDLE STARTTLS AUTH=PLAIN] Dovecot ready.\r\n",
                                   "Z1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n", "Z2 BAD Error in IMAP command\r\n",
                                   "* BYE Server shutting down\r\n", "+ idling\r\n"])
        #expect(responses == [
            .status(.ok, code: [.atom("CAPABILITY"), .atom("IMAP4rev1"), .atom("IDLE"), .atom("STARTTLS"), .atom("AUTH=PLAIN")], text: "Dovecot ready."),
            .tagged(tag: "Z1", status: .no, code: [.atom("AUTHENTICATIONFAILED")], text: "Authentication failed."),
            .tagged(tag: "Z2", status: .bad, code: [], text: "Error in IMAP command"),
            .status(.bye, code: [], text: "Server shutting down"),
            .continuation("idling"),
        ])
    }

    @Test("SELECT data: EXISTS, FLAGS with backslashes, UIDVALIDITY and UIDNEXT codes")
    func select() throws {
        let responses = try frame(["* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n* 17 EXISTS\r\n",
                                   "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n* OK [UIDNEXT 4392] Predicted next UID\r\n",
                                   "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\nZ3 OK [READ-WRITE] Select completed.\r\n"])
        #expect(responses[0] == .data(keyword: "FLAGS", values: [.list([.atom("\\Answered"), .atom("\\Flagged"), .atom("\\Deleted"), .atom("\\Seen"), .atom("\\Draft")])]))
        #expect(responses[1] == .message(number: 17, keyword: "EXISTS", values: []))
        #expect(responses[2] == .status(.ok, code: [.atom("UIDVALIDITY"), .number(3_857_529_045)], text: "UIDs valid"))
        #expect(responses[3] == .status(.ok, code: [.atom("UIDNEXT"), .number(4392)], text: "Predicted next UID"))
        #expect(responses[4] == .status(.ok, code: [.atom("PERMANENTFLAGS"), .list([.atom("\\Deleted"), .atom("\\Seen"), .atom("\\*")])], text: "Limited"))
        #expect(responses[5] == .tagged(tag: "Z3", status: .ok, code: [.atom("READ-WRITE")], text: "Select completed."))
    }

    @Test("a FETCH with a literal split across reads at every byte; the bytes come out whole, CRLF and all")
    func literalAcrossChunks() throws {
        let body = "From: a@b.ru\r\nSubject: Привет\r\n\r\nТекст {5}\r\n)\r\n"
        let wire = "* 12 FETCH (UID 4827 RFC822.SIZE \(body.utf8.count) BODY[] {\(body.utf8.count)}\r\n\(body) FLAGS (\\Seen))\r\nZ4 OK Fetch completed.\r\n"
        let bytes = Array(wire.utf8)
        for split in stride(from: 1, to: bytes.count, by: 7) {
            var framer = IMAPFramer()
            var responses: [IMAPResponse] = []
            framer.append(bytes[..<split])
            while let raw = try framer.next() { responses.append(try IMAPParser.parse(raw)) }
            framer.append(bytes[split...])
            while let raw = try framer.next() { responses.append(try IMAPParser.parse(raw)) }
            #expect(responses.count == 2)
            guard case .message(12, "FETCH", let values) = responses[0] else {
                Issue.record("not a FETCH: \(responses[0])")
                return
            }
            let items = IMAPParser.fetchItems(values)
            #expect(items["UID"] == .number(4827))
            #expect(items["BODY[]"]?.bytes == Array(body.utf8))
            #expect(items["FLAGS"] == .list([.atom("\\Seen")]))
        }
    }

    @Test("quoted strings with escapes, NIL, a section with a parenthesized list, LITERAL+ markers, SEARCH")
    func values() throws {
        let responses = try frame(["* LIST (\\HasNoChildren) \"/\" \"Входящие \\\"важные\\\"\"\r\n",
                                   "* 3 FETCH (UID 9 BODY[HEADER.FIELDS (MESSAGE-ID)] {24+}\r\nMessage-ID: <a@b.ru>\r\n\r\n ENVELOPE NIL)\r\n",
                                   "* SEARCH 4 8 15 16 23 42\r\n", "* SEARCH\r\n"])
        #expect(responses[0] == .data(keyword: "LIST", values: [.list([.atom("\\HasNoChildren")]), .string(Array("/".utf8)),
                                                                .string(Array("Входящие \"важные\"".utf8))]))
        guard case .message(3, "FETCH", let values) = responses[1] else { Issue.record("\(responses[1])"); return }
        let items = IMAPParser.fetchItems(values)
        #expect(items["BODY[HEADER.FIELDS (MESSAGE-ID)]"]?.bytes == Array("Message-ID: <a@b.ru>\r\n\r\n".utf8))
        #expect(items["ENVELOPE"] == .nil_)
        #expect(responses[2] == .data(keyword: "SEARCH", values: [4, 8, 15, 16, 23, 42].map { .number($0) }))
        #expect(responses[3] == .data(keyword: "SEARCH", values: []))
    }

    @Test("hostile input: too long a line, too large a literal, a literal marker without its literal, unclosed lists, deep nesting")
    func limits() throws {
        #expect(throws: IMAPProtocolError.self) { try frame([String(repeating: "x", count: 2000) + "\r\n"], maxLine: 1000) }
        #expect(throws: IMAPProtocolError.self) { try frame([String(repeating: "x", count: 2000)], maxLine: 1000) }
        #expect(throws: IMAPProtocolError.self) { try frame(["* 1 FETCH (BODY[] {999999999}\r\n"], maxLiteral: 1 << 20) }
        #expect(throws: IMAPProtocolError.self) { try frame(["* 1 FETCH (BODY[] {99999999999999}\r\n"]) }
        #expect(throws: IMAPProtocolError.self) { try IMAPParser.parse(IMAPRawResponse(line: Array("* 1 FETCH (BODY[] {5})".utf8))) }
        #expect(throws: IMAPProtocolError.self) { try frame(["* 1 FETCH (UID 5\r\n"]) }
        #expect(throws: IMAPProtocolError.self) { try frame(["* 1 FETCH (BODY[HEADER \r\n"]) }
        #expect(throws: IMAPProtocolError.self) { try frame(["* X " + String(repeating: "(", count: 100) + "\r\n"]) }
        #expect(throws: IMAPProtocolError.self) { try frame(["Z1 MAYBE fine\r\n"]) }
        #expect(throws: IMAPProtocolError.self) { try frame(["\r\n"]) }
        // A number too large for 64 bits is an atom, not a trap.
        #expect(try frame(["* SEARCH 99999999999999999999999\r\n"]) == [.data(keyword: "SEARCH", values: [.atom("99999999999999999999999")])])
        // Bare LF ends a line too; a message number beyond 64 bits is a keyword, not a trap.
        #expect(try frame(["* 5 EXISTS\n"]) == [.message(number: 5, keyword: "EXISTS", values: [])])
        #expect(try frame(["* 99999999999999999999 EXISTS\r\n"]) == [.data(keyword: "99999999999999999999", values: [.atom("EXISTS")])])
    }

    @Test("commands: quoting, UID sets in ranges, folder names in modified UTF-7")
    func commands() {
        #expect(IMAPParser.quoted("INBOX") == "\"INBOX\"")
        #expect(IMAPParser.quoted("a\"b\\c") == "\"a\\\"b\\\\c\"")
        #expect(IMAPParser.quoted("line\r\nbreak") == nil)
        #expect(IMAPSession.set([5, 1, 2, 3, 9, 10, 3]) == "1:3,5,9:10")
        #expect(IMAPSession.set([42]) == "42")
        // RFC 3501 §5.1.3's example and a Russian folder name.
        #expect(IMAPSession.encodeFolder("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-")
        #expect(IMAPSession.encodeFolder("Входящие") == "&BBIERQQ+BDQETwRJBDgENQ-")
        #expect(IMAPSession.encodeFolder("A&B") == "A&-B")
        #expect(IMAPSession.encodeFolder("INBOX") == "INBOX")
    }
}
