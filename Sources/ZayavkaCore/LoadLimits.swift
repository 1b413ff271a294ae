import Foundation

/// Seed 001 (SPEC X2): "accounts or technical logins that put anomalous load on the service … may
/// be blocked for a time (and/or their IP addresses) until the cause is removed". A limit is a
/// token bucket: `rate` requests a second on average, `burst` at once.
public struct RateLimit: Sendable, Equatable {
    public let rate: Double
    public let burst: Double

    public init(rate: Double, burst: Double) {
        self.rate = rate
        self.burst = max(1, burst)
    }

    /// "50/500" (rate per second / burst), "50" (burst = 10 × rate) or "off" (nil, no limit).
    /// Throws nothing: an unreadable value is `.invalid`.
    public enum Parsed: Equatable { case off, limit(RateLimit), invalid }

    public static func parse(_ raw: String) -> Parsed {
        let text = raw.trimmingCharacters(in: .whitespaces).lowercased()
        if ["off", "0", "none"].contains(text) { return .off }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let rate = Double(parts[0]), rate.isFinite, rate > 0, rate <= 1_000_000 else { return .invalid }
        var burst = rate * 10
        if parts.count == 2 {
            guard let value = Double(parts[1]), value.isFinite, value >= 1, value <= 10_000_000 else { return .invalid }
            burst = value
        }
        return .limit(RateLimit(rate: rate, burst: burst))
    }
}

/// One party's bucket: full at first, refilled at the limit's rate, one token per request.
public struct TokenBucket: Sendable, Equatable {
    public private(set) var tokens: Double
    public private(set) var updated: Double

    public init(limit: RateLimit, now: Double) {
        tokens = limit.burst
        updated = now
    }

    /// Takes a token: nil when the request may go on, else the seconds until one is there.
    public mutating func take(_ limit: RateLimit, now: Double) -> Double? {
        if now > updated {
            tokens = min(limit.burst, tokens + (now - updated) * limit.rate)
            updated = now
        }
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / limit.rate
    }

    /// Full again: nothing would be lost by forgetting this bucket.
    public func isFull(_ limit: RateLimit, now: Double) -> Bool {
        tokens + max(0, now - updated) * limit.rate >= limit.burst
    }
}

/// Sustained abuse: a party refused `threshold` times within `window` seconds is blocked for a time.
public struct AbuseRule: Sendable, Equatable {
    public let threshold: Int
    public let window: Double
    public let blockSeconds: Double

    public init(threshold: Int, window: Double, blockSeconds: Double) {
        self.threshold = threshold
        self.window = window
        self.blockSeconds = blockSeconds
    }

    /// Refusals counted in fixed windows that start at the first refusal.
    public struct Counter: Sendable, Equatable {
        public private(set) var count = 0
        public private(set) var since: Double

        public init(now: Double) { since = now }

        /// Counts a refusal; true exactly once, when this one reaches the threshold.
        public mutating func refuse(_ rule: AbuseRule, now: Double) -> Bool {
            if now - since > rule.window {
                count = 0
                since = now
            }
            count += 1
            return count == rule.threshold
        }
    }
}
