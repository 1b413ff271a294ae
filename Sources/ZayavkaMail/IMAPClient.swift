import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ZayavkaMIME

/// Where a mailbox lives and how to sign in.
public struct IMAPServer: Sendable, Equatable {
    /// `tls`: TLS from the first byte (port 993); `startTLS`: plain connection upgraded with STARTTLS
    /// before signing in (port 143; refused when the server does not offer it); `none`: no TLS at all
    /// (only for a server on this machine).
    public enum Security: String, Sendable, CaseIterable { case tls, startTLS = "starttls", none }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String
    public var password: String
    /// Extra CA certificates (PEM text) to trust besides the system's: a company CA, a test CA.
    public var caPEM: String?

    public init(host: String, port: Int, security: Security, username: String, password: String, caPEM: String? = nil) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.caPEM = caPEM
    }
}

/// What went wrong, by step, so a person can be told which part to fix.
public struct IMAPError: Error, Sendable, CustomStringConvertible {
    public enum Step: String, Sendable {
        /// The host name does not resolve.
        case dns
        /// Nothing answers at the address and port (refused, unreachable, timed out).
        case connect
        /// The TLS handshake failed: an untrusted or mismatched certificate, no STARTTLS.
        case tls
        /// The user name or password was refused.
        case login
        /// The folder does not exist or cannot be opened.
        case folder
        /// The server refused a command or broke the protocol.
        case command
        /// No answer within the time allowed.
        case timeout
    }

    public let step: Step
    public let message: String
    /// The server's own words, when it said something.
    public let serverText: String?

    public init(_ step: Step, _ message: String, serverText: String? = nil) {
        self.step = step
        self.message = message
        self.serverText = serverText
    }

    public var description: String { serverText.map { "\(step.rawValue): \(message) (\($0))" } ?? "\(step.rawValue): \(message)" }
}

/// What SELECT tells about a folder.
public struct IMAPFolderState: Sendable, Equatable {
    public var uidValidity: UInt32
    public var exists: Int
    public var uidNext: UInt32?
}

/// One message fetched by UID.
public struct IMAPMessage: Sendable {
    public let uid: UInt32
    public let raw: [UInt8]
}

/// An IMAP client on SwiftNIO (RFC 9051 / RFC 3501): what fetching a support mailbox needs.
public enum IMAPClient {
    /// How long the server may stay silent while we wait for a command's answer.
    public static let commandTimeout: Duration = .seconds(60)

    /// Connects, secures and signs in, runs `body`, then logs out. Every failure before `body` is an
    /// `IMAPError` naming its step.
    public static func withSession<T: Sendable>(_ server: IMAPServer, group: any EventLoopGroup, maxLiteralBytes: Int = 64 << 20,
                                                timeout: Duration = commandTimeout, logger: Logger? = nil,
                                                _ body: (inout IMAPSession) async throws -> T) async throws -> T {
        let context: NIOSSLContext?
        do {
            context = server.security == .none ? nil : try makeTLSContext(server)
        } catch {
            throw IMAPError(.tls, "the CA certificate cannot be read", serverText: "\(error)")
        }
        let tick = TimeAmount.seconds(5)
        let tlsFailure = NIOLockedValueBox<String?>(nil)
        func tlsError() -> IMAPError? {
            tlsFailure.withLockedValue { $0 }.map { classify(TLSFailureText(text: $0), server: server) }
        }
        let channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(.seconds(15))
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: server.host, port: server.port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if server.security == .tls, let context {
                            try channel.pipeline.syncOperations.addHandler(
                                try NIOSSLClientHandler(context: context, serverHostname: SMTPClient.sniName(server.host)))
                        }
                        // After the TLS handler (STARTTLS puts its handler first, before this one).
                        try channel.pipeline.syncOperations.addHandler(TLSFailureRecorder(tlsFailure))
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: tick))
                        try channel.pipeline.syncOperations.addHandler(SilenceTicker())
                        return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                    }
                }
        } catch let error as NIOConnectionError {
            if let tls = tlsError() { throw tls }
            if error.connectionErrors.isEmpty {
                throw IMAPError(.dns, "the host name \(server.host) does not resolve")
            }
            throw IMAPError(.connect, "nothing answers at \(server.host):\(server.port)", serverText: error.connectionErrors.first.map { "\($0.error)" })
        } catch let error as ChannelError {
            if let tls = tlsError() { throw tls }
            if case .connectTimeout = error { throw IMAPError(.connect, "no answer from \(server.host):\(server.port) within 15 seconds") }
            throw IMAPError(.connect, "cannot connect to \(server.host):\(server.port)", serverText: "\(error)")
        } catch {
            if let tls = tlsError() { throw tls }
            throw IMAPError(.connect, "cannot connect to \(server.host):\(server.port)", serverText: "\(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            var session = IMAPSession(reader: ResponseReader(iterator: inbound.makeAsyncIterator(),
                                                             framer: IMAPFramer(maxLineBytes: 1 << 20, maxLiteralBytes: maxLiteralBytes),
                                                             tick: .seconds(5)),
                                      outbound: outbound, channel: channel.channel, logger: logger, timeout: timeout)
            do {
                try await session.open(server, context: context)
            } catch let error as IMAPError {
                // A step that failed because the handshake did (the channel closed under it) is the handshake's.
                if error.step != .tls, let tls = tlsError() { throw tls }
                throw error
            } catch {
                throw tlsError() ?? Self.classify(error, server: server)
            }
            let result: T
            do {
                result = try await body(&session)
            } catch let error as IMAPError {
                throw error
            } catch let error as CancellationError {
                throw error
            } catch let error as IMAPProtocolError {
                throw IMAPError(.command, "the server broke the protocol", serverText: error.reason)
            } catch {
                throw error
            }
            try? await session.logout()
            return result
        }
    }

    /// A TLS error as `TLSFailureRecorder` kept it.
    struct TLSFailureText: Error {
        let text: String
    }

    /// A low-level failure during the opening steps, as the step a person understands.
    static func classify(_ error: any Error, server: IMAPServer) -> IMAPError {
        let recorded = (error as? TLSFailureText)?.text
        if recorded != nil || error is NIOSSLError || error is BoringSSLError || "\(type(of: error))".contains("SSL") {
            let text = recorded ?? "\(error)"
            if text.contains("CERTIFICATE_VERIFY_FAILED") || text.contains("certificate") {
                return IMAPError(.tls, "the server's certificate is not trusted", serverText: text)
            }
            return IMAPError(.tls, "the TLS handshake failed", serverText: text)
        }
        if let error = error as? IMAPProtocolError { return IMAPError(.command, "the server broke the protocol", serverText: error.reason) }
        if error is ChannelError || error is IOError {
            return IMAPError(.connect, "the connection to \(server.host):\(server.port) broke", serverText: "\(error)")
        }
        return IMAPError(.command, "unexpected failure", serverText: "\(error)")
    }

    private static let contexts = NIOLockedValueBox<[String: NIOSSLContext]>([:])

    static func makeTLSContext(_ server: IMAPServer) throws -> NIOSSLContext {
        let key = server.caPEM ?? ""
        if let cached = contexts.withLockedValue({ $0[key] }) { return cached }
        var configuration = TLSConfiguration.makeClientConfiguration()
        if let pem = server.caPEM, !pem.isEmpty {
            configuration.additionalTrustRoots = [.certificates(try NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)))]
        }
        let context = try NIOSSLContext(configuration: configuration)
        contexts.withLockedValue { $0[key] = context }
        return context
    }
}

/// Reads whole responses; an empty chunk from `SilenceTicker` means five seconds without a byte.
struct ResponseReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var framer: IMAPFramer
    let tick: Duration

    /// The next response; nil at the end of the stream. `onSilence` hears each quiet tick and may
    /// end the wait by returning false (then this returns `.silence`).
    enum Next { case response(IMAPResponse), silence, closed }

    mutating func next(onSilence: () async throws -> Bool) async throws -> Next {
        while true {
            if let raw = try framer.next() { return .response(try IMAPParser.parse(raw)) }
            guard let chunk = try await iterator.next() else { return .closed }
            if chunk.readableBytes == 0 {
                if try await !onSilence() { return .silence }
                continue
            }
            framer.append(chunk.readableBytesView)
        }
    }
}

/// A signed-in connection. Commands are sent one at a time; untagged data that arrives at any time
/// (EXISTS while fetching, an alert, BYE) is noted.
public struct IMAPSession {
    var reader: ResponseReader
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let channel: any Channel
    let logger: Logger?
    private var counter = 0
    /// What the server offers (upper case), as of the last CAPABILITY.
    public private(set) var capabilities: Set<String> = []
    /// Set when the server announced new messages (EXISTS grew) since the last check.
    public private(set) var newMail = false
    private var exists = 0

    /// How long the server may stay silent while a command waits for its answer.
    let timeout: Duration

    init(reader: ResponseReader, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel, logger: Logger?, timeout: Duration) {
        self.timeout = timeout
        self.reader = reader
        self.outbound = outbound
        self.channel = channel
        self.logger = logger
    }

    public var supportsIdle: Bool { capabilities.contains("IDLE") }
    public var supportsMove: Bool { capabilities.contains("MOVE") }
    public var supportsUIDPlus: Bool { capabilities.contains("UIDPLUS") || capabilities.contains("IMAP4REV2") }

    // MARK: opening

    mutating func open(_ server: IMAPServer, context: NIOSSLContext?) async throws {
        let greeting = try await nextResponse()
        switch greeting {
        case .status(.ok, let code, _), .status(.preauth, let code, _):
            noteCapabilities(code)
        case .status(.bye, _, let text):
            throw IMAPError(.connect, "the server refused the connection", serverText: text)
        default:
            throw IMAPError(.connect, "this does not look like an IMAP server")
        }
        if capabilities.isEmpty { try await capability() }
        if server.security == .startTLS {
            guard capabilities.contains("STARTTLS") else { throw IMAPError(.tls, "the server does not offer STARTTLS") }
            _ = try await command("STARTTLS", step: .tls)
            guard let context else { throw IMAPError(.tls, "no TLS context") }
            let sni = SMTPClient.sniName(server.host)
            let channel = self.channel
            try await channel.eventLoop.submit {
                try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: context, serverHostname: sni), position: .first)
            }.get()
            // What was offered before TLS does not count after it (RFC 9051 §6.2.1).
            capabilities = []
            try await capability()
        }
        if capabilities.contains("LOGINDISABLED") && !capabilities.contains("AUTH=PLAIN") {
            throw IMAPError(.login, "the server does not allow signing in on this connection (use TLS)")
        }
        try await login(username: server.username, password: server.password)
        // Servers send new capabilities after login; ask when they did not.
        if !capabilities.contains("IDLE") && !capabilities.contains("IMAP4REV1") && !capabilities.contains("IMAP4REV2") { try await capability() }
    }

    mutating func login(username: String, password: String) async throws {
        let result: (IMAPStatus, [IMAPValue], String)
        if capabilities.contains("AUTH=PLAIN") {
            // SASL PLAIN (RFC 4616) with the initial response when the server takes it (SASL-IR).
            let token = Array(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64
            if capabilities.contains("SASL-IR") {
                result = try await commandStatus("AUTHENTICATE PLAIN \(token)", secret: true)
            } else {
                result = try await commandStatus("AUTHENTICATE PLAIN", continuation: token)
            }
        } else if let user = IMAPParser.quoted(username), let pass = IMAPParser.quoted(password) {
            result = try await commandStatus("LOGIN \(user) \(pass)", secret: true)
        } else {
            throw IMAPError(.login, "the user name or password holds characters LOGIN cannot send")
        }
        guard result.0 == .ok else {
            throw IMAPError(.login, "the user name or password was refused", serverText: result.2)
        }
        noteCapabilities(result.1)
    }

    mutating func capability() async throws {
        _ = try await command("CAPABILITY", step: .command)
    }

    private mutating func noteCapabilities(_ code: [IMAPValue]) {
        guard code.first?.text?.uppercased() == "CAPABILITY" else { return }
        capabilities = Set(code.dropFirst().compactMap { $0.text?.uppercased() })
    }

    // MARK: commands

    private mutating func nextTag() -> String {
        counter += 1
        return "Z\(counter)"
    }

    private mutating func nextResponse() async throws -> IMAPResponse {
        var silent = Duration.zero
        let limit = timeout
        let tick = reader.tick
        switch try await reader.next(onSilence: {
            silent += tick
            return silent < limit
        }) {
        case .response(let response):
            return response
        case .silence:
            throw IMAPError(.timeout, "the server did not answer within \(limit)")
        case .closed:
            throw IMAPError(.command, "the server closed the connection")
        }
    }

    /// Notes what any untagged response tells us.
    private mutating func note(_ response: IMAPResponse) throws {
        switch response {
        case .message(let number, "EXISTS", _):
            if Int(clamping: number) > exists { newMail = true }
            exists = Int(clamping: number)
        case .message(_, "EXPUNGE", _):
            exists = max(0, exists - 1)
        case .message(_, "RECENT", _):
            break
        case .data("CAPABILITY", let values):
            capabilities = Set(values.compactMap { $0.text?.uppercased() })
        case .status(.bye, _, let text):
            throw IMAPError(.command, "the server ended the session", serverText: text)
        case .status(.ok, let code, _):
            noteCapabilities(code)
        default:
            break
        }
    }

    /// Sends a command and collects the untagged responses until its tagged answer.
    private mutating func commandStatus(_ line: String, secret: Bool = false, continuation: String? = nil,
                                        literal: [UInt8]? = nil,
                                        untagged: ((IMAPResponse) throws -> Void)? = nil) async throws -> (IMAPStatus, [IMAPValue], String) {
        let tag = nextTag()
        if let literal {
            // `line` ends where the literal goes: `APPEND "Sent" (\Seen) {n}`.
            let plus = capabilities.contains("LITERAL+") || capabilities.contains("LITERAL-") && literal.count <= 4096
            try await outbound.write(ByteBuffer(string: "\(tag) \(line) {\(literal.count)\(plus ? "+" : "")}\r\n"))
            if !plus {
                while true {
                    let response = try await nextResponse()
                    if case .continuation = response { break }
                    if case .tagged(let t, let status, let code, let text) = response, t == tag { return (status, code, text) }
                    try note(response)
                }
            }
            var out = ByteBuffer(bytes: literal)
            out.writeString("\r\n")
            try await outbound.write(out)
        } else {
            try await outbound.write(ByteBuffer(string: "\(tag) \(line)\r\n"))
        }
        if !secret { logger?.trace("imap >", metadata: ["line": "\(tag) \(line.prefix(200))"]) }
        while true {
            let response = try await nextResponse()
            switch response {
            case .tagged(let t, let status, let code, let text) where t == tag:
                return (status, code, text)
            case .continuation:
                if let continuation {
                    try await outbound.write(ByteBuffer(string: continuation + "\r\n"))
                } else {
                    // Something we cannot answer: cancel (RFC 4954 style "*" for AUTHENTICATE) or fail.
                    try await outbound.write(ByteBuffer(string: "*\r\n"))
                }
            default:
                try note(response)
                try untagged?(response)
            }
        }
    }

    /// A command that must succeed.
    @discardableResult
    private mutating func command(_ line: String, step: IMAPError.Step, untagged: ((IMAPResponse) throws -> Void)? = nil) async throws -> [IMAPValue] {
        let (status, code, text) = try await commandStatus(line, untagged: untagged)
        guard status == .ok else { throw IMAPError(step, "the server refused \(line.split(separator: " ").first ?? "")", serverText: text) }
        noteCapabilities(code)
        return code
    }

    /// Opens a folder for reading and writing.
    public mutating func select(_ folder: String) async throws -> IMAPFolderState {
        guard let name = IMAPParser.quoted(Self.encodeFolder(folder)) else { throw IMAPError(.folder, "the folder name is not valid") }
        var state = IMAPFolderState(uidValidity: 0, exists: 0, uidNext: nil)
        let (status, code, text) = try await commandStatus("SELECT \(name)") { response in
            switch response {
            case .message(let n, "EXISTS", _): state.exists = Int(clamping: n)
            case .status(.ok, let code, _):
                if code.first?.text?.uppercased() == "UIDVALIDITY", let v = code.dropFirst().first?.number { state.uidValidity = UInt32(truncatingIfNeeded: v) }
                if code.first?.text?.uppercased() == "UIDNEXT", let v = code.dropFirst().first?.number { state.uidNext = UInt32(truncatingIfNeeded: v) }
            default: break
            }
        }
        guard status == .ok else { throw IMAPError(.folder, "the folder \(folder) cannot be opened", serverText: text) }
        _ = code
        exists = state.exists
        newMail = false
        guard state.uidValidity != 0 else { throw IMAPError(.folder, "the server gave no UIDVALIDITY for \(folder)") }
        return state
    }

    /// UIDs above `after`, ascending.
    public mutating func uidsAbove(_ after: UInt32) async throws -> [UInt32] {
        let start = after == .max ? after : after + 1
        var uids: [UInt32] = []
        try await command("UID SEARCH UID \(start):*", step: .command) { response in
            if case .data("SEARCH", let values) = response {
                uids += values.compactMap { $0.number.map { UInt32(truncatingIfNeeded: $0) } }
            }
        }
        newMail = false
        // `n:*` always includes the highest message, even below n (RFC 9051 §6.4.4).
        return uids.filter { $0 > after }.sorted()
    }

    /// UIDs at or below `upTo` still in the folder (already imported ones waiting for their after-import step).
    public mutating func uidsUpTo(_ upTo: UInt32, unseenOnly: Bool) async throws -> [UInt32] {
        guard upTo > 0 else { return [] }
        var uids: [UInt32] = []
        try await command("UID SEARCH \(unseenOnly ? "UNSEEN " : "")UID 1:\(upTo)", step: .command) { response in
            if case .data("SEARCH", let values) = response {
                uids += values.compactMap { $0.number.map { UInt32(truncatingIfNeeded: $0) } }
            }
        }
        return uids.filter { $0 <= upTo }.sorted()
    }

    /// Sizes of messages by UID.
    public mutating func sizes(_ uids: [UInt32]) async throws -> [UInt32: Int] {
        guard !uids.isEmpty else { return [:] }
        var sizes: [UInt32: Int] = [:]
        try await command("UID FETCH \(Self.set(uids)) (UID RFC822.SIZE)", step: .command) { response in
            if case .message(_, "FETCH", let values) = response {
                let items = IMAPParser.fetchItems(values)
                if let uid = items["UID"]?.number, let size = items["RFC822.SIZE"]?.number {
                    sizes[UInt32(truncatingIfNeeded: uid)] = Int(clamping: size)
                }
            }
        }
        return sizes
    }

    /// The whole messages, without marking them seen (BODY.PEEK[]).
    public mutating func fetch(_ uids: [UInt32], headersOnly: Bool = false) async throws -> [IMAPMessage] {
        guard !uids.isEmpty else { return [] }
        var messages: [IMAPMessage] = []
        let section = headersOnly ? "BODY.PEEK[HEADER]" : "BODY.PEEK[]"
        let key = headersOnly ? "BODY[HEADER]" : "BODY[]"
        try await command("UID FETCH \(Self.set(uids)) (UID \(section))", step: .command) { response in
            if case .message(_, "FETCH", let values) = response {
                let items = IMAPParser.fetchItems(values)
                if let uid = items["UID"]?.number, let body = items[key] {
                    messages.append(IMAPMessage(uid: UInt32(truncatingIfNeeded: uid), raw: body.bytes ?? []))
                }
            }
        }
        return messages.sorted { $0.uid < $1.uid }
    }

    /// Marks messages seen.
    public mutating func markSeen(_ uids: [UInt32]) async throws {
        guard !uids.isEmpty else { return }
        try await command("UID STORE \(Self.set(uids)) +FLAGS.SILENT (\\Seen)", step: .command)
    }

    /// Moves messages to another folder (MOVE, else COPY and delete).
    public mutating func move(_ uids: [UInt32], to folder: String) async throws {
        guard !uids.isEmpty else { return }
        guard let name = IMAPParser.quoted(Self.encodeFolder(folder)) else { throw IMAPError(.folder, "the folder name is not valid") }
        if supportsMove {
            try await command("UID MOVE \(Self.set(uids)) \(name)", step: .folder)
        } else {
            try await command("UID COPY \(Self.set(uids)) \(name)", step: .folder)
            try await delete(uids)
        }
    }

    /// Deletes messages: flags them \Deleted and expunges just them (UIDPLUS) or the folder.
    public mutating func delete(_ uids: [UInt32]) async throws {
        guard !uids.isEmpty else { return }
        try await command("UID STORE \(Self.set(uids)) +FLAGS.SILENT (\\Deleted)", step: .command)
        if supportsUIDPlus {
            try await command("UID EXPUNGE \(Self.set(uids))", step: .command)
        } else {
            try await command("EXPUNGE", step: .command)
        }
    }

    /// Saves a message to a folder (a copy of what we sent, in Sent).
    public mutating func append(_ message: [UInt8], to folder: String, seen: Bool = true) async throws {
        guard let name = IMAPParser.quoted(Self.encodeFolder(folder)) else { throw IMAPError(.folder, "the folder name is not valid") }
        let (status, _, text) = try await commandStatus("APPEND \(name)\(seen ? " (\\Seen)" : "")", literal: message)
        guard status == .ok else { throw IMAPError(.folder, "the server refused to save the message in \(folder)", serverText: text) }
    }

    /// Checks that a folder exists (for "test connection").
    public mutating func examine(_ folder: String) async throws -> IMAPFolderState {
        guard let name = IMAPParser.quoted(Self.encodeFolder(folder)) else { throw IMAPError(.folder, "the folder name is not valid") }
        var state = IMAPFolderState(uidValidity: 0, exists: 0, uidNext: nil)
        let (status, _, text) = try await commandStatus("EXAMINE \(name)") { response in
            switch response {
            case .message(let n, "EXISTS", _): state.exists = Int(clamping: n)
            case .status(.ok, let code, _):
                if code.first?.text?.uppercased() == "UIDVALIDITY", let v = code.dropFirst().first?.number { state.uidValidity = UInt32(truncatingIfNeeded: v) }
            default: break
            }
        }
        guard status == .ok else { throw IMAPError(.folder, "the folder \(folder) cannot be opened", serverText: text) }
        return state
    }

    /// Waits in IDLE (RFC 2177) until the server announces new mail, `duration` passes, or `onTick`
    /// (called every few seconds) returns false. Returns whether new mail was announced.
    public mutating func idle(for duration: Duration, onTick: @escaping () async -> Bool) async throws -> Bool {
        if newMail { return true }
        let tag = nextTag()
        try await outbound.write(ByteBuffer(string: "\(tag) IDLE\r\n"))
        // The server's "+ idling".
        while true {
            let response = try await nextResponse()
            if case .continuation = response { break }
            if case .tagged(let t, _, _, let text) = response, t == tag { throw IMAPError(.command, "the server refused IDLE", serverText: text) }
            try note(response)
        }
        var waited = Duration.zero
        let tick = reader.tick
        var done = false
        while !done {
            switch try await reader.next(onSilence: {
                waited += tick
                guard waited < duration else { return false }
                return await onTick()
            }) {
            case .response(let response):
                try note(response)
                if newMail { done = true }
            case .silence:
                done = true
            case .closed:
                throw IMAPError(.command, "the server closed the connection")
            }
        }
        try await outbound.write(ByteBuffer(string: "DONE\r\n"))
        while true {
            let response = try await nextResponse()
            if case .tagged(let t, _, _, _) = response, t == tag { break }
            try note(response)
        }
        return newMail
    }

    /// NOOP: lets the server report news (polling without IDLE) and proves the connection lives.
    public mutating func noop() async throws -> Bool {
        try await command("NOOP", step: .command)
        return newMail
    }

    mutating func logout() async throws {
        _ = try await commandStatus("LOGOUT")
    }

    /// A UID set in ranges: `1:5,8,10:12`.
    static func set(_ uids: [UInt32]) -> String {
        let sorted = Array(Set(uids)).sorted()
        var parts: [String] = []
        var index = 0
        while index < sorted.count {
            var end = index
            while end + 1 < sorted.count && sorted[end + 1] == sorted[end] + 1 { end += 1 }
            parts.append(end == index ? "\(sorted[index])" : "\(sorted[index]):\(sorted[end])")
            index = end + 1
        }
        return parts.joined(separator: ",")
    }

    /// Folder names go as modified UTF-7 (RFC 3501 §5.1.3) unless the server speaks UTF-8 (RFC 6855).
    static func encodeFolder(_ name: String) -> String {
        guard name.unicodeScalars.contains(where: { $0.value > 0x7E || $0 == "&" }) else { return name }
        var out = ""
        var pending: [UInt16] = []
        func flush() {
            guard !pending.isEmpty else { return }
            var bytes: [UInt8] = []
            for unit in pending { bytes.append(UInt8(unit >> 8)); bytes.append(UInt8(unit & 0xFF)) }
            out += "&" + bytes.base64.replacingOccurrences(of: "/", with: ",").replacingOccurrences(of: "=", with: "") + "-"
            pending = []
        }
        for scalar in name.unicodeScalars {
            if scalar.value >= 0x20 && scalar.value <= 0x7E {
                flush()
                out += scalar == "&" ? "&-" : String(scalar)
            } else {
                pending += Array(String(scalar).utf16)
            }
        }
        flush()
        return out
    }
}

private extension Array where Element == UInt8 {
    var base64: String { Data(self).base64EncodedString() }
}

/// Turns five quiet seconds into an empty read, so a reader waiting for the server can count silence
/// (IDLE's end, a hung server) without a second task.
/// Keeps the first TLS error the pipeline sees. A failed handshake closes the channel, and what
/// reaches the caller first may be that close ("I/O on closed channel") rather than the handshake's
/// own error; with this the failure is still told as the certificate or handshake it was.
private final class TLSFailureRecorder: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    let failure: NIOLockedValueBox<String?>

    init(_ failure: NIOLockedValueBox<String?>) { self.failure = failure }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError || "\(type(of: error))".contains("SSL") {
            failure.withLockedValue { if $0 == nil { $0 = "\(error)" } }
        }
        context.fireErrorCaught(error)
    }
}

private final class SilenceTicker: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.fireChannelRead(wrapInboundOut(ByteBuffer()))
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}
