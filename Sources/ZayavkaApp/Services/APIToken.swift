import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// API tokens: "zy_" and 43 characters of base64url; only the SHA-256 is stored.
enum APIToken {
    static func generate() -> String {
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max) }
        return "zy_" + Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func hash(_ token: String) -> String { Hex.encode(SHA256.hash(data: Data(token.utf8))) }
}
