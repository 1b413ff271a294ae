import Foundation
import Logging
import NIOCore
import NIOPosix

/// A message as the listener received it: envelope and raw bytes (with our Received: line on top).
public struct ReceivedMail: Sendable {
    public let sender: String
    public let recipients: [String]
    public let data: [UInt8]
    public let heloName: String
    public let remoteAddress: String
    public let receivedAt: Date
}

/// Where the listener hands messages. `store` must return only once the message is durable: the
/// client is told 250 right after, and a crash after that must lose nothing.
public protocol SMTPReceiver: Sendable {
    /// Whether mail for `recipient` is taken (RCPT TO); others get 550 5.1.1.
    func accepts(recipient: String) -> Bool
    /// Stores the message durably and returns an id for the 250 reply; throwing answers 451 (try later).
    func store(_ mail: ReceivedMail) async throws -> String
}

/// Inbound SMTP (RFC 5321) or LMTP (RFC 2033) on SwiftNIO, with SIZE, 8BITMIME, PIPELINING and
/// ENHANCEDSTATUSCODES. No TLS of its own: on the internet it sits behind the team's MTA (Postfix or
/// Exim delivering over LMTP) or a TLS-terminating proxy.
public final class SMTPServer: Sendable {
    public enum Mode: String, Sendable { case smtp, lmtp }

    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        public var mode: Mode
        /// The name announced in the greeting and in Received: lines.
        public var hostname: String
        public var maxMessageBytes: Int
        public var maxRecipients: Int
        public var idleTimeout: TimeAmount

        public init(host: String = "127.0.0.1", port: Int = 2525, mode: Mode = .smtp, hostname: String = "zayavka.local",
                    maxMessageBytes: Int = 35 * 1_048_576, maxRecipients: Int = 100, idleTimeout: TimeAmount = .minutes(5)) {
            self.host = host
            self.port = port
            self.mode = mode
            self.hostname = hostname
            self.maxMessageBytes = maxMessageBytes
            self.maxRecipients = maxRecipients
            self.idleTimeout = idleTimeout
        }
    }

    private let serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    /// The port actually bound (useful with port 0).
    public let port: Int

    private init(serverChannel: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>, port: Int) {
        self.serverChannel = serverChannel
        self.port = port
    }

    /// Binds and starts accepting connections in the background.
    public static func start(_ configuration: Configuration, receiver: any SMTPReceiver, group: any EventLoopGroup,
                             logger: Logger) async throws -> SMTPServer {
        let idle = configuration.idleTimeout
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: idle))
                    try channel.pipeline.syncOperations.addHandler(IdleCloser())
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let server = SMTPServer(serverChannel: channel, port: channel.channel.localAddress?.port ?? configuration.port)
        Task {
            do {
                try await channel.executeThenClose { inbound in
                    try await withThrowingDiscardingTaskGroup { group in
                        for try await connection in inbound {
                            group.addTask {
                                var session = SMTPSession(configuration: configuration, receiver: receiver, logger: logger,
                                                          remote: connection.channel.remoteAddress?.ipAddress ?? "unknown")
                                do {
                                    try await connection.executeThenClose { inbound, outbound in
                                        try await session.run(inbound: inbound, outbound: outbound)
                                    }
                                } catch {
                                    logger.debug("smtp session ended", metadata: ["error": "\(error)"])
                                }
                            }
                        }
                    }
                }
            } catch {
                logger.debug("smtp listener stopped", metadata: ["error": "\(error)"])
            }
        }
        return server
    }

    public func stop() async {
        try? await serverChannel.channel.close()
    }
}

/// Closes a connection that has been silent for too long.
private final class IdleCloser: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Reads CRLF (or bare LF) terminated lines from a channel's inbound stream.
struct LineReader {
    var iterator: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    var buffer = ByteBuffer()

    struct LineTooLong: Error {}

    var hasCompleteLine: Bool { buffer.readableBytesView.contains(0x0A) }

    /// The next line without its terminator; nil at the end of the stream. A line longer than
    /// `limit` throws `LineTooLong`.
    mutating func line(limit: Int) async throws -> [UInt8]? {
        while true {
            if let newline = buffer.readableBytesView.firstIndex(of: 0x0A) {
                let length = newline - buffer.readerIndex
                var bytes = buffer.readBytes(length: length + 1)!
                bytes.removeLast()
                if bytes.last == 0x0D { bytes.removeLast() }
                if buffer.readerIndex > 65_536 { buffer.discardReadBytes() }
                return bytes
            }
            if buffer.readableBytes > limit { throw LineTooLong() }
            guard var chunk = try await iterator.next() else {
                guard buffer.readableBytes > 0 else { return nil }
                return buffer.readBytes(length: buffer.readableBytes)
            }
            buffer.writeBuffer(&chunk)
        }
    }
}

/// One SMTP/LMTP conversation.
struct SMTPSession {
    let configuration: SMTPServer.Configuration
    let receiver: any SMTPReceiver
    let logger: Logger
    let remote: String

    private var helo: String?
    private var sender: String?
    private var recipients: [String] = []
    private var errors = 0
    private var pending = ""

    init(configuration: SMTPServer.Configuration, receiver: any SMTPReceiver, logger: Logger, remote: String) {
        self.configuration = configuration
        self.receiver = receiver
        self.logger = logger
        self.remote = remote
    }

    private var isLMTP: Bool { configuration.mode == .lmtp }

    mutating func run(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        var reader = LineReader(iterator: inbound.makeAsyncIterator())
        reply("220 \(configuration.hostname) \(isLMTP ? "LMTP" : "ESMTP") Zayavka ready")
        while true {
            // Pipelined commands are answered together; we flush before waiting for the network.
            if !reader.hasCompleteLine { try await flush(outbound) }
            let line: [UInt8]
            do {
                guard let next = try await reader.line(limit: 4096) else { break }
                line = next
            } catch is LineReader.LineTooLong {
                reply("500 5.5.6 Line too long")
                try await flush(outbound)
                return
            }
            let command = String(decoding: line, as: UTF8.self)
            let verb = command.prefix(while: { $0 != " " }).uppercased()
            let argument = command.dropFirst(verb.count).trimmingCharacters(in: .whitespaces)
            switch verb {
            case "EHLO" where !isLMTP, "LHLO" where isLMTP:
                helo = argument.isEmpty ? remote : argument
                resetTransaction()
                reply("250-\(configuration.hostname) greets \(helo!)")
                reply("250-SIZE \(configuration.maxMessageBytes)")
                reply("250-8BITMIME")
                reply("250-PIPELINING")
                reply("250 ENHANCEDSTATUSCODES")
            case "HELO" where !isLMTP:
                helo = argument.isEmpty ? remote : argument
                resetTransaction()
                reply("250 \(configuration.hostname)")
            case "EHLO", "HELO", "LHLO":
                failed("500 5.5.1 Use \(isLMTP ? "LHLO" : "EHLO")")
            case "MAIL":
                mail(argument)
            case "RCPT":
                rcpt(argument)
            case "DATA":
                guard sender != nil else { failed("503 5.5.1 MAIL first"); break }
                guard !recipients.isEmpty else { failed("554 5.5.1 No valid recipients"); break }
                reply("354 End data with <CR><LF>.<CR><LF>")
                try await flush(outbound)
                try await data(&reader)
            case "RSET":
                resetTransaction()
                reply("250 2.0.0 Ok")
            case "NOOP":
                reply("250 2.0.0 Ok")
            case "QUIT":
                reply("221 2.0.0 Bye")
                try await flush(outbound)
                return
            case "VRFY":
                reply("252 2.5.2 Cannot verify, but will accept the message")
            case "HELP":
                reply("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP QUIT")
            case "STARTTLS", "AUTH", "BDAT", "ETRN", "TURN":
                failed("502 5.5.1 Not implemented")
            default:
                failed("500 5.5.2 Command not recognized")
            }
            if errors >= 10 {
                reply("421 4.7.0 Too many errors, closing connection")
                try await flush(outbound)
                return
            }
        }
        try await flush(outbound)
    }

    private mutating func reply(_ text: String) { pending += text + "\r\n" }

    private mutating func failed(_ text: String) {
        errors += 1
        reply(text)
    }

    private mutating func flush(_ outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>) async throws {
        guard !pending.isEmpty else { return }
        let text = pending
        pending = ""
        try await outbound.write(ByteBuffer(string: text))
    }

    private mutating func resetTransaction() {
        sender = nil
        recipients = []
    }

    /// `<address>` after `FROM:`/`TO:`, and the ESMTP parameters after it.
    static func path(_ argument: String, keyword: String) -> (address: String, parameters: [String: String])? {
        guard argument.uppercased().hasPrefix(keyword) else { return nil }
        let rest = argument.dropFirst(keyword.count).trimmingCharacters(in: .whitespaces)
        var address: String
        var tail: Substring
        if rest.hasPrefix("<") {
            guard let close = rest.firstIndex(of: ">") else { return nil }
            address = String(rest[rest.index(after: rest.startIndex)..<close])
            tail = rest[rest.index(after: close)...]
        } else {
            let token = rest.prefix(while: { $0 != " " })
            address = String(token)
            tail = rest.dropFirst(token.count)
        }
        // Source routes (@a,@b:user@c) are ignored, as RFC 5321 allows.
        if address.hasPrefix("@"), let colon = address.firstIndex(of: ":") { address = String(address[address.index(after: colon)...]) }
        var parameters: [String: String] = [:]
        for item in tail.split(separator: " ") {
            // Split keeping empty pieces: a lone "=" (which once took the whole server down) has an empty key.
            let pair = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let key = pair.first, !key.isEmpty else { continue }
            parameters[key.uppercased()] = pair.count > 1 ? String(pair[1]) : ""
        }
        return (address, parameters)
    }

    private mutating func mail(_ argument: String) {
        guard helo != nil else { failed("503 5.5.1 Say \(isLMTP ? "LHLO" : "EHLO") first"); return }
        guard sender == nil else { failed("503 5.5.1 Sender already given"); return }
        guard let (address, parameters) = Self.path(argument, keyword: "FROM:") else { failed("501 5.5.4 Syntax: MAIL FROM:<address>"); return }
        if let size = parameters["SIZE"].flatMap(Int.init), size > configuration.maxMessageBytes {
            failed("552 5.3.4 Message size exceeds fixed limit of \(configuration.maxMessageBytes) bytes")
            return
        }
        sender = address
        recipients = []
        reply("250 2.1.0 Ok")
    }

    private mutating func rcpt(_ argument: String) {
        guard sender != nil else { failed("503 5.5.1 MAIL first"); return }
        guard let (address, _) = Self.path(argument, keyword: "TO:"), address.contains("@") else {
            failed("501 5.5.4 Syntax: RCPT TO:<address>")
            return
        }
        guard recipients.count < configuration.maxRecipients else { reply("452 4.5.3 Too many recipients"); return }
        guard receiver.accepts(recipient: address.lowercased()) else {
            failed("550 5.1.1 <\(address)>: Recipient address rejected: no such mailbox here")
            return
        }
        recipients.append(address.lowercased())
        reply("250 2.1.5 Ok")
    }

    private mutating func data(_ reader: inout LineReader) async throws {
        var message: [UInt8] = []
        var size = 0
        var tooBig = false
        let limit = configuration.maxMessageBytes
        while true {
            guard var line = try await reader.line(limit: limit + 1024) else { return } // the client went away: nothing accepted
            if line == [0x2E] { break }
            if line.first == 0x2E { line.removeFirst() } // dot-stuffing
            size += line.count + 2
            if size > limit { tooBig = true; message = []; continue }
            if !tooBig {
                message.append(contentsOf: line)
                message.append(0x0D)
                message.append(0x0A)
            }
        }
        let accepted = recipients
        let from = sender ?? ""
        resetTransaction()
        if tooBig {
            replyAll("552 5.3.4 Message size exceeds fixed limit of \(limit) bytes", count: accepted.count)
            return
        }
        let now = Date()
        let received = "Received: from \(helo ?? remote) ([\(remote)])\r\n\tby \(configuration.hostname) (Zayavka) with \(isLMTP ? "LMTP" : "ESMTP")\r\n\tfor <\(accepted.first ?? "")>; \(MailDate.format(now))\r\n"
        // Our trace line goes on top of the header section: after an mbox `From ` line (a message
        // relayed out of a procmail or mbox pipeline), which must stay first for it to be read as one.
        let headerStart = MBox.envelope(message[...])?.start ?? message.startIndex
        let data = Array(message[..<headerStart]) + Array(received.utf8) + message[headerStart...]
        let mail = ReceivedMail(sender: from, recipients: accepted, data: data,
                                heloName: helo ?? "", remoteAddress: remote, receivedAt: now)
        do {
            let id = try await receiver.store(mail)
            replyAll("250 2.0.0 Ok: queued as \(id)", count: accepted.count)
        } catch {
            logger.error("could not store an incoming message", metadata: ["error": "\(error)"])
            replyAll("451 4.3.0 Temporary failure storing the message, try again later", count: accepted.count)
        }
    }

    /// SMTP answers a transaction once; LMTP once per accepted recipient.
    private mutating func replyAll(_ text: String, count: Int) {
        for _ in 0..<(isLMTP ? max(1, count) : 1) { reply(text) }
    }
}
