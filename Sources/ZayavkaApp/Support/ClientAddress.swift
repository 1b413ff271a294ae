import Foundation
import Vapor

/// An IP address or a CIDR block (`10.0.0.0/8`, `::1`, `fd00::/8`), for the trusted proxies.
struct AddressBlock: Sendable, Equatable {
    let bytes: [UInt8]
    let prefix: Int

    init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let bytes = Self.bytes(String(parts[0])) else { return nil }
        let bits = bytes.count * 8
        if parts.count == 2 {
            guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else { return nil }
            self.prefix = prefix
        } else {
            prefix = bits
        }
        self.bytes = bytes
    }

    /// 4 bytes for IPv4 (also when written IPv4-mapped, `::ffff:1.2.3.4`), 16 for IPv6; nil for anything else.
    static func bytes(_ text: String) -> [UInt8]? {
        guard text.utf8.count <= 64, !text.isEmpty else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }

    func contains(_ address: [UInt8]) -> Bool {
        guard address.count == bytes.count else { return false }
        var remaining = prefix
        for (a, b) in zip(address, bytes) {
            if remaining <= 0 { return true }
            let mask: UInt8 = remaining >= 8 ? 0xFF : ~(0xFF >> UInt8(remaining))
            if a & mask != b & mask { return false }
            remaining -= 8
        }
        return true
    }
}

/// Who the client is. Behind a reverse proxy the peer is the proxy: only when the peer is a
/// configured trusted proxy does X-Forwarded-For count, read from the right (the entry the nearest
/// proxy added) past every trusted proxy, so a client cannot choose its own address by sending the
/// header itself.
enum ClientAddress {
    static func resolve(peer: String?, forwardedFor: [String], trusted: [AddressBlock]) -> String {
        guard let peer, !peer.isEmpty else { return "unknown" }
        func isTrusted(_ text: String) -> Bool {
            guard !trusted.isEmpty, let bytes = AddressBlock.bytes(text) else { return false }
            return trusted.contains { $0.contains(bytes) }
        }
        guard isTrusted(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        for hop in hops.reversed() {
            guard AddressBlock.bytes(hop) != nil else { return peer }
            if !isTrusted(hop) { return hop }
        }
        return hops.first(where: { AddressBlock.bytes($0) != nil }) ?? peer
    }
}

private struct ClientAddressKey: StorageKey {
    typealias Value = String
}

extension Request {
    /// The client's address as the load limits and the sign-in guard count it (see `ClientAddress`).
    var clientAddress: String {
        get {
            if let known = storage[ClientAddressKey.self] { return known }
            return ClientAddress.resolve(peer: remoteAddress?.ipAddress, forwardedFor: headers[.xForwardedFor],
                                         trusted: services.trustedProxies)
        }
        set { storage[ClientAddressKey.self] = newValue }
    }
}
