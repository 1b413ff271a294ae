import Foundation
import SQLKit
import Vapor
import ZayavkaCore

struct RouteDTO: Content {
    let key: String
    let name: String
    let status: String?
    let groupId: Int?
    let assigneeId: Int?
    let messageRu: String
    let messageEn: String
    let paidOnly: Bool
    let agentHint: String?
    let position: Int
    let active: Bool

    enum CodingKeys: String, CodingKey {
        case key, name, status, position, active
        case groupId = "group_id", assigneeId = "assignee_id", messageRu = "message_ru", messageEn = "message_en",
             paidOnly = "paid_only", agentHint = "agent_hint"
    }
}

struct RouteInput: Content {
    var key: String?
    var name: String?
    var status: String??
    var groupId: Int??
    var assigneeId: Int??
    var messageRu: String?
    var messageEn: String?
    var paidOnly: Bool?
    var agentHint: String??
    var position: Int?
    var active: Bool?

    enum CodingKeys: String, CodingKey {
        case key, name, status, position, active
        case groupId = "group_id", assigneeId = "assignee_id", messageRu = "message_ru", messageEn = "message_en",
             paidOnly = "paid_only", agentHint = "agent_hint"
    }

    init() {}

    init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decodeIfPresent(String.self, forKey: .key)
        name = try c.decodeIfPresent(String.self, forKey: .name)
        status = try c.patch(String.self, forKey: .status)
        groupId = try c.patch(Int.self, forKey: .groupId)
        assigneeId = try c.patch(Int.self, forKey: .assigneeId)
        messageRu = try c.decodeIfPresent(String.self, forKey: .messageRu)
        messageEn = try c.decodeIfPresent(String.self, forKey: .messageEn)
        paidOnly = try c.decodeIfPresent(Bool.self, forKey: .paidOnly)
        agentHint = try c.patch(String.self, forKey: .agentHint)
        position = try c.decodeIfPresent(Int.self, forKey: .position)
        active = try c.decodeIfPresent(Bool.self, forKey: .active)
    }
}

struct RouteRequest: Content {
    let route: String
    /// An internal note written with the hand-off (seed 002: whose request it is).
    let note: String?
}

struct CriticalRuleDTO: Content {
    let key: String
    let name: String
    let categories: [String]
    let phrases: [[String]]
    let position: Int
    let active: Bool
}

struct CriticalRuleInput: Content {
    let key: String?
    let name: String?
    let categories: [String]?
    let phrases: [[String]]?
    let position: Int?
    let active: Bool?
}

struct AccountCheckDTO: Content {
    let kind: String
    let organization: PersonRef
    /// What is wrong, in the reader's language.
    let message: String
    /// The team's prescribed next step.
    let nextStep: String

    enum CodingKeys: String, CodingKey { case kind, organization, message, nextStep = "next_step" }
}

struct WarningInput: Content {
    /// After an earlier warning: ask for the customer to be banned (the ban itself comes later).
    let requestBan: Bool?

    enum CodingKeys: String, CodingKey { case requestBan = "request_ban" }
}

struct WarningDTO: Content {
    /// Warnings this customer has had, this one included.
    let warnings: Int
    /// Whether the agent is offered a ban (a repeat offence, seed 001).
    let banOffered: Bool
    let banRequested: Bool
    let commentId: Int?

    enum CodingKeys: String, CodingKey {
        case warnings
        case banOffered = "ban_offered", banRequested = "ban_requested", commentId = "comment_id"
    }
}
