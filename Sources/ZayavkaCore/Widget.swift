import Foundation

/// The in-product widget and live chat (issue 19, SPEC C4): the rules that need no server.
public enum WidgetRules {
    /// An origin a host page may embed the widget from: `scheme://host[:port]`, lowercased, no path.
    /// Nil when the text is not one (a path, a query, a user name, another scheme).
    public static func origin(_ raw: String) -> String? {
        let text = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard let components = URLComponents(string: text), let scheme = components.scheme, ["http", "https"].contains(scheme),
              let host = components.host, !host.isEmpty, components.user == nil, components.password == nil,
              components.path.isEmpty || components.path == "/", components.query == nil, components.fragment == nil
        else { return nil }
        guard host.unicodeScalars.allSatisfy({ CharacterSet.alphanumerics.contains($0) || "-.[]:".unicodeScalars.contains($0) }) else { return nil }
        if let port = components.port {
            guard (1...65535).contains(port) else { return nil }
            return "\(scheme)://\(host):\(port)"
        }
        return "\(scheme)://\(host)"
    }

    /// A widget session lasts this long from its exchange (the host page asks for a new one after).
    public static let sessionSeconds: Double = 12 * 3600
    /// The longest a host's identity token may live: a leaked one is worth little.
    public static let identityMaxSeconds: Double = 24 * 3600
    /// Files one widget form (a request or a reply) may carry.
    public static let maxFiles = 10
}

/// What one chat message may be, and how fast one party may send them.
public enum ChatLimits {
    /// Characters of one message (a longer one is refused, not cut).
    public static let maxCharacters = 4000
    /// Bytes of one WebSocket frame the server reads at all (a bigger frame closes the socket).
    public static let maxFrameBytes = 64 * 1024
    /// Messages a second and the burst one socket may send; over it the message is refused, and a
    /// socket that keeps flooding is closed.
    public static let rate = RateLimit(rate: 2, burst: 10)
    /// Refused messages in a row after which the socket is closed (a flood).
    public static let floodCloseAfter = 20

    public enum Refusal: String, Sendable, Equatable {
        case empty, tooLong = "too_long"
    }

    /// Checks a message's text (after trimming); nil when it may be sent.
    public static func check(_ text: String) -> Refusal? {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return .empty }
        if trimmed.count > maxCharacters { return .tooLong }
        return nil
    }
}

/// Where a chat stands: waiting for an agent, with one, or ended (its ticket stays).
public enum ChatState: String, Sendable, CaseIterable, Codable {
    case waiting, active, ended
}
