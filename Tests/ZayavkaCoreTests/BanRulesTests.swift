import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Bans: what a ban covers and for how long")
struct BanRulesTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func ban(_ id: Int, _ scope: BanScope, user: Int? = nil, _ value: String, ends: TimeInterval? = nil) -> BanEntry {
        BanEntry(id: id, scope: scope, userID: user, value: value, reason: "r\(id)", endsAt: ends.map { now.addingTimeInterval($0) })
    }

    @Test("an account, an address, a domain and its subdomains are covered; look-alikes are not")
    func coverage() {
        let list = BanList([ban(1, .customer, user: 7, "ivan@client.ru"), ban(2, .email, "spam@mail.ru"), ban(3, .domain, "bad.example")])
        #expect(list.match(userID: 7, email: "new-address@other.ru", at: now)?.id == 1, "the account, whatever its address now")
        #expect(list.match(userID: 8, email: "ivan@client.ru", at: now) == nil, "a customer ban follows the account, not the address")
        #expect(list.match(userID: nil, email: " Spam@Mail.RU ", at: now)?.id == 2)
        #expect(list.match(userID: nil, email: "other@mail.ru", at: now) == nil)
        #expect(list.match(userID: nil, email: "a@bad.example", at: now)?.id == 3)
        #expect(list.match(userID: nil, email: "a@deep.sub.bad.example", at: now)?.id == 3)
        #expect(list.match(userID: nil, email: "a@notbad.example", at: now) == nil)
        #expect(list.match(userID: nil, email: "a@bad.example.org", at: now) == nil)
        #expect(list.match(userID: nil, email: "", at: now) == nil && list.match(userID: nil, email: "no-at-sign", at: now) == nil)
        #expect(BanList.empty.match(userID: 7, email: "ivan@client.ru", at: now) == nil)
    }

    @Test("a ban ends by itself; of several, the one that lasts longest is told")
    func expiry() {
        let list = BanList([ban(1, .email, "a@b.ru", ends: 60), ban(2, .domain, "b.ru", ends: 3_600), ban(3, .domain, "x.ru")])
        #expect(list.match(userID: nil, email: "a@b.ru", at: now)?.id == 2)
        #expect(list.match(userID: nil, email: "a@b.ru", at: now.addingTimeInterval(61))?.id == 2)
        #expect(list.match(userID: nil, email: "a@b.ru", at: now.addingTimeInterval(3_600)) == nil, "ended exactly at its end")
        #expect(list.match(userID: nil, email: "z@x.ru", at: now.addingTimeInterval(1e9))?.id == 3, "no end: until lifted")
        let both = BanList([ban(4, .email, "a@c.ru", ends: 60), ban(5, .domain, "c.ru")])
        #expect(both.match(userID: nil, email: "a@c.ru", at: now)?.id == 5, "the ban without an end wins")
    }

    @Test("domains are normalized and must be real host names of two labels or more; the desk's own addresses cannot be banned")
    func input() {
        #expect(BanRules.normalizedDomain(" @Mail.Example.COM. ") == "mail.example.com")
        for bad in ["com", "", "a..b", "-a.ru", "a-.ru", "a b.ru", "a@b.ru", String(repeating: "a", count: 64) + ".ru", "xn--.", "."] {
            #expect(BanRules.normalizedDomain(bad) == nil, "\(bad)")
        }
        #expect(BanRules.normalizedDomain("почта.рф") == "почта.рф", "internationalized names as written")
        let own = ["support@zayavka.test", "Buh@Firm.ru"]
        #expect(BanRules.coversOwnAddress(scope: .domain, value: "zayavka.test", ownAddresses: own))
        #expect(BanRules.coversOwnAddress(scope: .domain, value: "firm.ru", ownAddresses: own))
        #expect(BanRules.coversOwnAddress(scope: .email, value: "buh@firm.ru", ownAddresses: own))
        #expect(!BanRules.coversOwnAddress(scope: .domain, value: "sub.firm.ru", ownAddresses: own), "a subdomain does not cover the parent")
        #expect(!BanRules.coversOwnAddress(scope: .customer, value: "support@zayavka.test", ownAddresses: own))
    }
}

@Suite("Load limits: token buckets and sustained abuse")
struct LoadLimitTests {
    @Test("limits parse from configuration")
    func parse() {
        #expect(RateLimit.parse("50/500") == .limit(RateLimit(rate: 50, burst: 500)))
        #expect(RateLimit.parse(" 20 ") == .limit(RateLimit(rate: 20, burst: 200)))
        #expect(RateLimit.parse("0.5/1") == .limit(RateLimit(rate: 0.5, burst: 1)))
        #expect(RateLimit.parse("OFF") == .off)
        for bad in ["", "x", "-1", "5/0", "5/", "/5", "1/2/3", "nan", "inf/5", "1e9"] { #expect(RateLimit.parse(bad) == .invalid, "\(bad)") }
    }

    @Test("a bucket lets the burst through, then the rate, and says how long to wait")
    func bucket() {
        let limit = RateLimit(rate: 2, burst: 3)
        var bucket = TokenBucket(limit: limit, now: 100)
        #expect((0..<3).map { _ in bucket.take(limit, now: 100) }.allSatisfy { $0 == nil })
        let wait = bucket.take(limit, now: 100)
        #expect(wait.map { abs($0 - 0.5) < 1e-9 } == true, "\(String(describing: wait))")
        #expect(bucket.take(limit, now: 100.5) == nil, "one token back after half a second")
        #expect(bucket.take(limit, now: 100.5) != nil)
        #expect(!bucket.isFull(limit, now: 101) && bucket.isFull(limit, now: 102))
        #expect(bucket.take(limit, now: 1_000) == nil && bucket.tokens == 2, "refills to the burst, no more")
        #expect(bucket.take(limit, now: 50) == nil, "a clock going back refills nothing and traps nothing")
    }

    @Test("refusals within the window reach the threshold once; a quiet window starts over")
    func abuse() {
        let rule = AbuseRule(threshold: 3, window: 60, blockSeconds: 900)
        var counter = AbuseRule.Counter(now: 0)
        #expect([counter.refuse(rule, now: 1), counter.refuse(rule, now: 2), counter.refuse(rule, now: 3), counter.refuse(rule, now: 4)] == [false, false, true, false])
        var slow = AbuseRule.Counter(now: 0)
        #expect([slow.refuse(rule, now: 0), slow.refuse(rule, now: 59), slow.refuse(rule, now: 120), slow.refuse(rule, now: 121)] == [false, false, false, false])
    }
}
