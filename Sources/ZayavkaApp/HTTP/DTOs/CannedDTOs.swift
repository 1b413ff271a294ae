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
    /// The fields the response also sets (a macro); empty when it only inserts text.
    var sets = CannedSets()
}

/// What a canned response sets with the reply: status, priority, group, assignee (each optional).
struct CannedSets: Content, Equatable {
    var status: String?
    var priority: TicketPriority?
    var groupId: Int?
    var assigneeId: Int?

    enum CodingKeys: String, CodingKey {
        case status, priority
        case groupId = "group_id", assigneeId = "assignee_id"
    }

    /// The form names of the ticket page these go to, with their values.
    var formValues: [(key: String, value: String)] {
        [("status", status), ("priority", priority?.rawValue), ("group_id", groupId.map(String.init)), ("assignee_id", assigneeId.map(String.init))]
            .compactMap { pair in pair.1.map { (key: pair.0, value: $0) } }
    }
}

struct CannedResponseInput: Content {
    var title: String?
    var body: String?
    var position: Int?
    /// Replaces what the response sets; absent keeps it.
    var sets: CannedSets?
}
