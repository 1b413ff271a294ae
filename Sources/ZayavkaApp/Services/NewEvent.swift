import Foundation
import SQLKit
import ZayavkaCore

/// One fact for the immutable history (SPEC V7).
struct NewEvent: Sendable {
    let ticketID: Int
    let actorID: Int?
    let kind: EventKind
    var field: String?
    var before: String?
    var after: String?
    var commentID: Int?
    let isPublic: Bool
    let at: Date
    /// Why it happened, when the change itself does not say (a recomputed due time names the field whose change caused it).
    var reason: String?

    init(ticketID: Int, actorID: Int?, kind: EventKind, field: String? = nil, before: String? = nil, after: String? = nil,
         commentID: Int? = nil, isPublic: Bool, at: Date, reason: String? = nil) {
        self.reason = reason
        self.ticketID = ticketID
        self.actorID = actorID
        self.kind = kind
        self.field = field
        self.before = before
        self.after = after
        self.commentID = commentID
        self.isPublic = isPublic
        self.at = at
    }
}
