import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// A stock phrase agents insert into replies (seed 002's hand-off phrases are shipped).
struct CannedResponseDTO: Content {
    let id: Int
    let title: String
    let body: String
    let position: Int
}

struct CannedResponseInput: Content {
    var title: String?
    var body: String?
    var position: Int?
}
