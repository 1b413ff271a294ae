import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Widget and chat rules: host origins, message limits")
struct WidgetRulesTests {
    @Test("an origin is scheme, host and port, lowercased; paths, queries, user names and other schemes are not origins")
    func origins() {
        #expect(WidgetRules.origin("https://App.Go-CRM.ru") == "https://app.go-crm.ru")
        #expect(WidgetRules.origin(" http://localhost:8080/ ") == "http://localhost:8080")
        #expect(WidgetRules.origin("http://127.0.0.1:65535") == "http://127.0.0.1:65535")
        for bad in ["app.go-crm.ru", "https://app.go-crm.ru/crm", "https://app.go-crm.ru?x=1", "https://user:pw@app.go-crm.ru",
                    "javascript:alert(1)", "ftp://files.ru", "https://", "https://a b.ru", "https://app.ru#frag", "https://app.ru:0"] {
            #expect(WidgetRules.origin(bad) == nil, "\(bad)")
        }
    }

    @Test("a chat message must say something and stay within 4,000 characters; the socket's pace allows a burst of 10, then 2 a second")
    func messages() {
        #expect(ChatLimits.check("  \n ") == .empty)
        #expect(ChatLimits.check("Привет") == nil)
        #expect(ChatLimits.check(String(repeating: "я", count: ChatLimits.maxCharacters)) == nil)
        #expect(ChatLimits.check(String(repeating: "я", count: ChatLimits.maxCharacters + 1)) == .tooLong)
        var bucket = TokenBucket(limit: ChatLimits.rate, now: 0)
        let allowed = (0..<30).filter { _ in bucket.take(ChatLimits.rate, now: 0) == nil }.count
        #expect(allowed == 10)
        #expect(bucket.take(ChatLimits.rate, now: 0.5) == nil)
        #expect(bucket.take(ChatLimits.rate, now: 0.5) != nil)
    }
}
