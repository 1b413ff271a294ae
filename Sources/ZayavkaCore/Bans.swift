import Foundation

/// Seed 001 (SPEC X1): a customer who repeats an offence after a warning "is cut off from the
/// support lines (ban, black list)". A ban names a customer's account, one email address or a whole
/// domain (its subdomains too), gives a reason and may end by itself.
public enum BanScope: String, Sendable, CaseIterable, Codable {
    case customer, email, domain
}

/// One ban as the checks need it: what it covers, why and until when.
public struct BanEntry: Sendable, Equatable {
    public let id: Int
    public let scope: BanScope
    /// The banned account (scope `customer`).
    public let userID: Int?
    /// The lower-cased address (scope `email`, and the account's address for `customer`) or domain.
    public let value: String
    public let reason: String
    /// nil: until lifted.
    public let endsAt: Date?

    public init(id: Int, scope: BanScope, userID: Int?, value: String, reason: String, endsAt: Date?) {
        self.id = id
        self.scope = scope
        self.userID = userID
        self.value = value
        self.reason = reason
        self.endsAt = endsAt
    }

    public func isActive(at now: Date) -> Bool { endsAt.map { $0 > now } ?? true }
}

/// The bans in force (not lifted), indexed for the checks every channel makes on each request:
/// by account, by address and by domain, so a check costs a few dictionary lookups however many
/// bans there are.
public struct BanList: Sendable {
    public let entries: [BanEntry]
    private let byUser: [Int: [BanEntry]]
    private let byEmail: [String: [BanEntry]]
    private let byDomain: [String: [BanEntry]]

    public init(_ entries: [BanEntry]) {
        self.entries = entries
        byUser = Dictionary(grouping: entries.filter { $0.scope == .customer && $0.userID != nil }, by: { $0.userID! })
        byEmail = Dictionary(grouping: entries.filter { $0.scope == .email }, by: \.value)
        byDomain = Dictionary(grouping: entries.filter { $0.scope == .domain }, by: \.value)
    }

    public static let empty = BanList([])
    public var isEmpty: Bool { entries.isEmpty }

    /// The ban in force at `now` that covers this account or address, if any (the one that lasts
    /// longest when several do: that is the one to tell the person about).
    public func match(userID: Int?, email: String?, at now: Date) -> BanEntry? {
        guard !entries.isEmpty else { return nil }
        var found: [BanEntry] = []
        if let userID { found += byUser[userID] ?? [] }
        if let email = email.map(BanRules.normalizedEmail), !email.isEmpty {
            found += byEmail[email] ?? []
            if let at = email.lastIndex(of: "@") {
                // example.com covers mail.example.com: walk the domain's suffixes.
                var domain = Substring(email[email.index(after: at)...])
                while !domain.isEmpty {
                    found += byDomain[String(domain)] ?? []
                    guard let dot = domain.firstIndex(of: ".") else { break }
                    domain = domain[domain.index(after: dot)...]
                }
            }
        }
        return found.filter { $0.isActive(at: now) }.max { a, b in
            switch (a.endsAt, b.endsAt) {
            case (nil, nil): return a.id > b.id
            case (nil, _): return false
            case (_, nil): return true
            case let (x?, y?): return x < y
            }
        }
    }
}

/// The rules a ban's input must follow.
public enum BanRules {
    public static func normalizedEmail(_ raw: String) -> String {
        raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
    }

    /// A domain as banned: lower-cased, without a leading `@` or dot; nil when it is not a host name
    /// with at least two labels (a ban of a whole top-level domain is refused as a mistake).
    public static func normalizedDomain(_ raw: String) -> String? {
        var domain = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        while domain.hasPrefix("@") || domain.hasPrefix(".") { domain.removeFirst() }
        while domain.hasSuffix(".") { domain.removeLast() }
        guard (3...253).contains(domain.count) else { return nil }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2 else { return nil }
        for label in labels {
            guard (1...63).contains(label.count), label.first != "-", label.last != "-",
                  label.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || $0 == "-" })
            else { return nil }
        }
        return domain
    }

    /// Where a ban would hit the desk's own people or addresses: a ban of a domain that is one of the
    /// support addresses' domains would cut the team off from its own mail.
    public static func coversOwnAddress(scope: BanScope, value: String, ownAddresses: [String]) -> Bool {
        let own = ownAddresses.map(normalizedEmail)
        switch scope {
        case .customer: return false
        case .email: return own.contains(value)
        case .domain:
            return own.contains { address in
                guard let at = address.lastIndex(of: "@") else { return false }
                let domain = address[address.index(after: at)...]
                return domain == value || domain.hasSuffix("." + value)
            }
        }
    }
}
