import Foundation

/// Whether a message really comes from the address in its `From:`. Anyone can write a staff
/// member's address into `From:`; a reply filed in their name is then mailed to the customer. A
/// message counts as verified when it answers a notification we sent to that very address (our
/// Message-IDs are random, so only the recipient knows one), or when a mail server we trust says
/// so in an `Authentication-Results` header (RFC 8601): DKIM passed with a signing domain equal to
/// the sender's domain (or a parent of it), or SPF passed for an envelope sender of that domain.
public enum SenderVerification {
    public enum Outcome: String, Sendable, Equatable {
        /// It answers one of our messages to that address.
        case replyToOurMessage = "reply"
        /// A trusted server's DKIM or SPF check passed for the sender's domain.
        case authenticated = "authenticated"
        case unverified = "unverified"

        public var isVerified: Bool { self != .unverified }
    }

    /// Decides from the facts: whether the message answers one of ours sent to the sender, the
    /// `Authentication-Results` header values, and the authserv-ids we believe.
    public static func decide(sender: String, answersOurMailToSender: Bool, authenticationResults: [String],
                              trustedServers: [String]) -> Outcome {
        if answersOurMailToSender { return .replyToOurMessage }
        guard !trustedServers.isEmpty, let domain = sender.split(separator: "@").last.map({ $0.lowercased() }) else { return .unverified }
        let trusted = Set(trustedServers.map { $0.lowercased() })
        for header in authenticationResults {
            let results = parse(header)
            guard let server = results.server, trusted.contains(server) else { continue }
            for result in results.methods where result.result == "pass" {
                switch result.method {
                case "dkim":
                    if let signer = result.properties["header.d"] ?? result.properties["header.i"].map({ String($0.drop(while: { $0 != "@" }).dropFirst()) }),
                       matches(domain: domain, signer: signer) { return .authenticated }
                case "spf":
                    if let from = result.properties["smtp.mailfrom"], let fromDomain = from.split(separator: "@").last,
                       fromDomain.lowercased() == domain { return .authenticated }
                case "dmarc":
                    if let headerFrom = result.properties["header.from"], headerFrom.lowercased() == domain { return .authenticated }
                default:
                    continue
                }
            }
        }
        return .unverified
    }

    /// The sender's domain is the signer's or below it (`mail.example.ru` signed by `example.ru`).
    static func matches(domain: String, signer: String) -> Bool {
        let signer = signer.lowercased().trimmingCharacters(in: CharacterSet(charactersIn: ". "))
        guard !signer.isEmpty, signer.contains(".") else { return false }
        return domain == signer || domain.hasSuffix("." + signer)
    }

    public struct MethodResult: Sendable, Equatable {
        public let method: String
        public let result: String
        public let properties: [String: String]
    }

    /// `authserv-id [version]; method=result (comment) ptype.prop=value …; …` → the server and the results.
    public static func parse(_ header: String) -> (server: String?, methods: [MethodResult]) {
        // Comments in parentheses carry no results (RFC 8601 §2.2).
        var text = ""
        var depth = 0
        for character in header {
            if character == "(" { depth += 1; continue }
            if character == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { text.append(character) }
        }
        let statements = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        guard let first = statements.first, !first.isEmpty else { return (nil, []) }
        let server = first.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() }
        var methods: [MethodResult] = []
        for statement in statements.dropFirst() {
            let tokens = statement.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" })
            guard let head = tokens.first, let equals = head.firstIndex(of: "=") else { continue }
            let method = head[..<equals].lowercased().split(separator: "/").first.map(String.init) ?? ""
            let result = head[head.index(after: equals)...].lowercased()
            var properties: [String: String] = [:]
            for token in tokens.dropFirst() {
                guard let eq = token.firstIndex(of: "=") else { continue }
                var value = String(token[token.index(after: eq)...])
                if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
                properties[token[..<eq].lowercased()] = value
            }
            methods.append(MethodResult(method: method, result: result, properties: properties))
        }
        return (server, methods)
    }
}
