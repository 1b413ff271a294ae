import Foundation
import NIOCore
import Testing
import Vapor
@testable import ZayavkaApp

@Suite("Multipart bodies that crashed the parser")
struct MultipartGuardTests {
    static let boundary = "4206764d159774f63043c40e3c71c045"

    func accepts(_ body: [UInt8], splitEvery size: Int) -> Bool {
        var guardian = MultipartHeaderGuard(boundary: Self.boundary)
        var start = 0
        while start < body.count {
            let end = min(start + size, body.count)
            if !guardian.accepts(ByteBuffer(bytes: body[start..<end])) { return false }
            start = end
        }
        return true
    }

    @Test("a non-ASCII byte in a part's header name is refused however the body is split; non-ASCII values, bodies and names elsewhere pass")
    func guardRules() {
        let bad = Array("--\(Self.boundary)\r\n".utf8) + [0xF4, 0x81, 0x80, 0x9E] + Array(";]#--\(Self.boundary)--\r\n".utf8)
        let good = Array("""
            --\(Self.boundary)\r
            Content-Disposition: form-data; name="file"; filename="Счёт №5.pdf"\r
            Content-Type: application/pdf\r
            \r
            тело файла: \u{F4}…--\(Self.boundary.prefix(10)) и не разделитель\r
            --\(Self.boundary)--\r

            """.utf8)
        let lateBad = Array("--\(Self.boundary)\r\nContent-Type: text/plain\r\n\r\nтекст\r\n--\(Self.boundary)\r\nИмя: x\r\n\r\n".utf8)
        for size in [1, 2, 3, 7, 64, 4096] {
            #expect(!accepts(bad, splitEvery: size), "\(size)")
            #expect(accepts(good, splitEvery: size), "\(size)")
            #expect(!accepts(lateBad, splitEvery: size), "\(size)")
        }
    }

    @Test("the upload that stopped the server is a 422 and the server keeps answering", arguments: TestDatabase.all)
    func upload(database: TestDatabase) async throws {
        try await TestServer.with(database) { server in
            let body = Data(Array("--\(Self.boundary)\r\n".utf8) + [0xF4, 0x81, 0x80, 0x9E] + Array(";]#--\(Self.boundary)--\r\n".utf8))
            for _ in 0..<3 {
                let reply = try await server.request(.POST, "/api/v1/attachments", token: server.adminToken, body: body,
                                                     headers: [("Content-Type", "multipart/form-data; boundary=\(Self.boundary)")])
                #expect(reply.status == .unprocessableEntity, "\(reply.status) \(reply.text)")
            }
            #expect(try await server.request(.GET, "/healthz").status == .ok)
        }
    }
}
