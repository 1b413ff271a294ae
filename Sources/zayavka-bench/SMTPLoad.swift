import Foundation
import NIOConcurrencyHelpers
import NIOPosix
import ZayavkaMail

/// Sends MESSAGES messages, each from a new sender, over CONNECTIONS concurrent SMTP sessions
/// (many transactions per session, pipelined) and prints one JSON object: accepted, errors, the
/// first and last moments, and each transaction's latency. Written in Swift on NIO so the load
/// generator takes a sliver of the CPU the server needs; scripts/bench-mail can also send with
/// Python's smtplib.
///   zayavka-bench smtp-load --port P [--host H] [--messages N] [--connections C] [--run ID] [--to ADDRESS] [--output FILE]
func smtpLoad(_ arguments: [String]) async {
    func option(_ name: String, _ fallback: String) -> String {
        guard let index = arguments.firstIndex(of: "--" + name), index + 1 < arguments.count else { return fallback }
        return arguments[index + 1]
    }
    let port = Int(option("port", "2525")) ?? 2525
    let host = option("host", "127.0.0.1")
    let count = Int(option("messages", "5000")) ?? 5000
    let connections = max(1, Int(option("connections", "16")) ?? 16)
    let run = option("run", String(UUID().uuidString.prefix(8)))
    let to = option("to", "support@bench.test")
    let body = String(repeating: "Касса не печатает чек после обновления, ошибка ФН 235. Перезагрузка не помогла.\r\n", count: 14)

    func message(_ i: Int) -> [UInt8] {
        let head = "From: \(EncodedWords.encode("Клиент \(i)")) <bench\(i)@bench.test>\r\nTo: \(to)\r\n"
            + "Subject: \(EncodedWords.encode("Нагрузка: не печатается чек \(i)"))\r\nDate: \(MailDate.format(Date()))\r\n"
            + "Message-ID: <bench-\(run)-\(i)@bench.test>\r\nMIME-Version: 1.0\r\n"
            + "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        return Array((head + body).utf8)
    }

    let relay = SMTPRelay(host: host, port: port, security: .none, heloName: "load.bench.test")
    let latencies = NIOLockedValueBox<[Double]>([])
    let outcome = NIOLockedValueBox<(accepted: Int, errors: Int, firstError: String?)>((0, 0, nil))
    let start = Date()
    await withTaskGroup(of: Void.self) { group in
        for k in 0..<connections {
            let indices = Array(stride(from: k, to: count, by: connections))
            guard !indices.isEmpty else { continue }
            group.addTask {
                let envelopes = indices.map { Envelope(sender: "bench\($0)@bench.test", recipients: [to], data: message($0)) }
                let last = NIOLockedValueBox(Date())
                _ = await SMTPClient.deliver(envelopes, via: relay, group: MultiThreadedEventLoopGroup.singleton) { _, result in
                    let now = Date()
                    let began = last.withLockedValue { previous in defer { previous = now }; return previous }
                    latencies.withLockedValue { $0.append(now.timeIntervalSince(began) * 1000) }
                    outcome.withLockedValue { state in
                        switch result {
                        case .success: state.accepted += 1
                        case .failure(let error):
                            state.errors += 1
                            if state.firstError == nil { state.firstError = error.description }
                        }
                    }
                }
            }
        }
    }
    let end = Date()
    let result = outcome.withLockedValue { $0 }
    let report: [String: Any] = [
        "accepted": result.accepted, "errors": result.errors, "first_error": result.firstError ?? NSNull(),
        "first": start.timeIntervalSince1970, "last": end.timeIntervalSince1970, "latencies_ms": latencies.withLockedValue { $0 },
    ]
    let data = (try? JSONSerialization.data(withJSONObject: report)) ?? Data("{}".utf8)
    let output = option("output", "-")
    if output == "-" { FileHandle.standardOutput.write(data + Data("\n".utf8)) } else { try? data.write(to: URL(fileURLWithPath: output)) }
}
