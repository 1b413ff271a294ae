import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL

/// Where outgoing mail goes: `smtp://user:pass@host:587` (STARTTLS when offered),
/// `smtp+starttls://…` (STARTTLS required), `smtps://…` (TLS from the start, port 465).
public struct SMTPRelay: Sendable, Equatable {
    public enum Security: String, Sendable { case startTLSIfOffered, startTLS, tls, none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// A PEM file with extra CA certificates to trust (a company CA, a test certificate).
    public var caFile: String?
    /// Our name in EHLO.
    public var heloName: String

    public init(host: String, port: Int, security: Security = .startTLSIfOffered, username: String? = nil, password: String? = nil,
                caFile: String? = nil, heloName: String = "zayavka.local") {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caFile = caFile
        self.heloName = heloName
    }

    /// Parses a relay URL; nil with a reason when it is not one.
    public static func parse(_ url: String) -> Result<SMTPRelay, RelayURLError> {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else { return .failure(.init(reason: "expected smtp://[user:pass@]host[:port]")) }
        let security: Security
        let defaultPort: Int
        switch scheme {
        case "smtp": (security, defaultPort) = (.startTLSIfOffered, 25)
        case "smtp+starttls": (security, defaultPort) = (.startTLS, 587)
        case "smtps": (security, defaultPort) = (.tls, 465)
        case "smtp+plain": (security, defaultPort) = (.none, 25)
        default: return .failure(.init(reason: "scheme must be smtp, smtp+starttls, smtps or smtp+plain"))
        }
        return .success(SMTPRelay(host: host, port: components.port ?? defaultPort, security: security,
                                  username: components.user?.removingPercentEncoding ?? components.user,
                                  password: components.password?.removingPercentEncoding ?? components.password))
    }

    public struct RelayURLError: Error, Sendable { public let reason: String }
}

/// A reply from the SMTP server.
public struct SMTPReply: Sendable, Equatable, CustomStringConvertible {
    public let code: Int
    public let lines: [String]
    public var description: String { lines.map { "\(code) \($0)" }.joined(separator: " / ") }
}

/// Why a delivery failed; `isPermanent` (5xx) means retrying will not help.
public struct SMTPDeliveryError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let reply: SMTPReply?
    public var isPermanent: Bool { (reply?.code ?? 0) >= 500 }
    public var description: String { reply.map { "\(message): \($0)" } ?? message }

    public init(message: String, reply: SMTPReply?) {
        self.message = message
        self.reply = reply
    }
}

/// One message to deliver.
public struct Envelope: Sendable {
    /// No control characters, spaces or angle brackets, at most 254 bytes (RFC 5321 path limits).
    public static func isSafeAddress(_ address: String) -> Bool {
        address.utf8.count <= 254 && !address.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F || $0 == "<" || $0 == ">" }
    }

    public let sender: String
    public let recipients: [String]
    public let data: [UInt8]

    public init(sender: String, recipients: [String], data: [UInt8]) {
        self.sender = sender
        self.recipients = recipients
        self.data = data
    }
}

/// An SMTP client on SwiftNIO (RFC 5321, STARTTLS RFC 3207, AUTH PLAIN/LOGIN RFC 4954).
public enum SMTPClient {
    /// Delivers `messages` over one connection, in order; returns each one's outcome. A failure to
    /// connect or greet fails them all with the same error.
    /// `progress` hears each message's outcome as it comes (benchmarks time them).
    public static func deliver(_ messages: [Envelope], via relay: SMTPRelay, group: any EventLoopGroup,
                               timeout: TimeAmount = .seconds(60),
                               progress: (@Sendable (Int, Result<SMTPReply, SMTPDeliveryError>) -> Void)? = nil)
        async -> [Result<SMTPReply, SMTPDeliveryError>] {
        guard !messages.isEmpty else { return [] }
        do {
            let context = try relay.security == .none ? nil : makeTLSContext(relay)
            let channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(15))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: relay.host, port: relay.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if relay.security == .tls, let context {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: context, serverHostname: Self.sniName(relay.host)))
                        }
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                        try channel.pipeline.syncOperations.addHandler(ReadTimeoutRaiser())
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
            return try await channel.executeThenClose { inbound, outbound in
                var conversation = Conversation(reader: LineReader(iterator: inbound.makeAsyncIterator()), outbound: outbound)
                try await conversation.expect(220, "greeting")
                var extensions = try await conversation.ehlo(relay.heloName)
                let offersTLS = extensions.keys.contains("STARTTLS")
                if relay.security == .startTLS && !offersTLS {
                    throw SMTPDeliveryError(message: "the relay does not offer STARTTLS", reply: nil)
                }
                if (relay.security == .startTLS || relay.security == .startTLSIfOffered) && offersTLS, let context {
                    try await conversation.command("STARTTLS", expect: 220, "STARTTLS")
                    let sni = Self.sniName(relay.host)
                    try await channel.channel.eventLoop.submit {
                        try channel.channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: sni),
                                                                               position: .first)
                    }.get()
                    extensions = try await conversation.ehlo(relay.heloName)
                }
                if let username = relay.username, let password = relay.password {
                    try await conversation.authenticate(username: username, password: password, mechanisms: extensions["AUTH"] ?? "")
                }
                let eightBit = extensions.keys.contains("8BITMIME")
                var results: [Result<SMTPReply, SMTPDeliveryError>] = []
                for message in messages {
                    do {
                        results.append(.success(try await conversation.transaction(message, eightBit: eightBit)))
                    } catch let error as SMTPDeliveryError where error.reply != nil {
                        results.append(.failure(error))
                        try await conversation.command("RSET", expect: 250, "RSET")
                    }
                    progress?(results.count - 1, results[results.count - 1])
                }
                _ = try? await conversation.command("QUIT", expect: 221, "QUIT")
                return results
            }
        } catch let error as SMTPDeliveryError {
            return messages.map { _ in .failure(error) }
        } catch {
            return messages.map { _ in .failure(SMTPDeliveryError(message: "connection to \(relay.host):\(relay.port) failed: \(error)", reply: nil)) }
        }
    }

    static func sniName(_ host: String) -> String? {
        host.allSatisfy({ $0.isNumber || $0 == "." || $0 == ":" }) ? nil : host
    }

    /// One TLS context per relay for the life of the process: building one loads the system's
    /// trust store, which cost more than the delivery itself.
    private static let contexts = NIOLockedValueBox<[String: NIOSSLContext]>([:])

    static func makeTLSContext(_ relay: SMTPRelay) throws -> NIOSSLContext {
        let key = "\(relay.host):\(relay.port):\(relay.caFile ?? "")"
        if let cached = contexts.withLockedValue({ $0[key] }) { return cached }
        let context = try newTLSContext(relay)
        contexts.withLockedValue { $0[key] = context }
        return context
    }

    static func newTLSContext(_ relay: SMTPRelay) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let caFile = relay.caFile {
            configuration.additionalTrustRoots = [.file(caFile)]
        }
        return try NIOSSLContext(configuration: configuration)
    }

    /// The client side of one connection.
    struct Conversation {
        var reader: LineReader
        let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

        mutating func readReply() async throws -> SMTPReply {
            var lines: [String] = []
            while true {
                guard let raw = try await reader.line(limit: 65_536) else {
                    throw SMTPDeliveryError(message: "the relay closed the connection", reply: nil)
                }
                let line = String(decoding: raw, as: UTF8.self)
                guard line.count >= 3, let code = Int(line.prefix(3)) else {
                    throw SMTPDeliveryError(message: "unreadable reply \"\(line.prefix(80))\"", reply: nil)
                }
                lines.append(String(line.dropFirst(4)))
                if line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] != "-" { return SMTPReply(code: code, lines: lines) }
            }
        }

        mutating func expect(_ code: Int, _ step: String) async throws {
            let reply = try await readReply()
            guard reply.code == code else { throw SMTPDeliveryError(message: "\(step) refused", reply: reply) }
        }

        mutating func send(_ line: String) async throws {
            try await outbound.write(ByteBuffer(string: line + "\r\n"))
        }

        @discardableResult
        mutating func command(_ line: String, expect code: Int, _ step: String) async throws -> SMTPReply {
            try await send(line)
            let reply = try await readReply()
            guard reply.code == code else { throw SMTPDeliveryError(message: "\(step) refused", reply: reply) }
            return reply
        }

        /// EHLO (falling back to HELO); returns the extensions offered, keyword → parameters.
        mutating func ehlo(_ name: String) async throws -> [String: String] {
            try await send("EHLO \(name)")
            let reply = try await readReply()
            if reply.code != 250 {
                try await command("HELO \(name)", expect: 250, "HELO")
                return [:]
            }
            var extensions: [String: String] = [:]
            for line in reply.lines.dropFirst() {
                let keyword = line.prefix(while: { $0 != " " && $0 != "=" }).uppercased()
                extensions[keyword] = String(line.dropFirst(keyword.count)).trimmingCharacters(in: .whitespaces)
            }
            return extensions
        }

        mutating func authenticate(username: String, password: String, mechanisms: String) async throws {
            let offered = Set(mechanisms.uppercased().split(separator: " ").map(String.init))
            if offered.contains("PLAIN") || !offered.contains("LOGIN") {
                let token = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
                try await command("AUTH PLAIN \(token)", expect: 235, "authentication")
            } else {
                try await command("AUTH LOGIN", expect: 334, "authentication")
                try await command(Data(username.utf8).base64EncodedString(), expect: 334, "authentication")
                try await command(Data(password.utf8).base64EncodedString(), expect: 235, "authentication")
            }
        }

        mutating func transaction(_ message: Envelope, eightBit: Bool) async throws -> SMTPReply {
            // The last line against command injection: an address with a control character, a space or
            // an angle bracket would end MAIL/RCPT early and start a command of its own. Never retried.
            for address in [message.sender] + message.recipients where !Envelope.isSafeAddress(address) {
                throw SMTPDeliveryError(message: "refused to send: the address \(address.debugDescription.prefix(80)) holds control characters",
                                        reply: SMTPReply(code: 553, lines: ["address refused before sending"]))
            }
            let hasEightBit = message.data.contains(where: { $0 >= 0x80 })
            // Pipelined: MAIL, every RCPT and DATA go out together (RFC 2920).
            var batch = "MAIL FROM:<\(message.sender)>" + (hasEightBit && eightBit ? " BODY=8BITMIME" : "") + "\r\n"
            for recipient in message.recipients { batch += "RCPT TO:<\(recipient)>\r\n" }
            batch += "DATA\r\n"
            try await outbound.write(ByteBuffer(string: batch))
            let mail = try await readReply()
            var rcptFailure: SMTPReply?
            var accepted = 0
            for _ in message.recipients {
                let reply = try await readReply()
                if reply.code == 250 || reply.code == 251 { accepted += 1 } else { rcptFailure = rcptFailure ?? reply }
            }
            let data = try await readReply()
            guard mail.code == 250 else {
                if data.code == 354 { try await finishData([]) ; _ = try? await readReply() }
                throw SMTPDeliveryError(message: "sender refused", reply: mail)
            }
            guard accepted > 0, data.code == 354 else {
                if data.code == 354 { try await finishData([]); _ = try? await readReply() }
                throw SMTPDeliveryError(message: "recipient refused", reply: rcptFailure ?? data)
            }
            try await finishData(message.data)
            let final = try await readReply()
            guard final.code == 250 else { throw SMTPDeliveryError(message: "message refused", reply: final) }
            return final
        }

        /// Sends the body dot-stuffed and ends it with CRLF.CRLF.
        mutating func finishData(_ data: [UInt8]) async throws {
            var out = ByteBuffer()
            out.reserveCapacity(data.count + data.count / 50 + 8)
            var atLineStart = true
            var previous: UInt8 = 0
            for byte in data {
                if byte == 0x0A && previous != 0x0D { out.writeInteger(UInt8(0x0D)) } // bare LF → CRLF
                if atLineStart && byte == 0x2E { out.writeInteger(UInt8(0x2E)) }
                out.writeInteger(byte)
                atLineStart = byte == 0x0A
                previous = byte
            }
            if !data.isEmpty && !atLineStart { out.writeString("\r\n") }
            out.writeString(".\r\n")
            try await outbound.write(out)
        }
    }
}

/// Turns an idle read into an error so a stuck relay cannot hold a delivery forever.
private final class ReadTimeoutRaiser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    struct Timeout: Error {}
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.fireErrorCaught(Timeout())
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
