import Foundation
import Vapor
import ZayavkaCore

/// `POST /widget/sessions`: the host's identity token, or a visitor's name and address.
struct WidgetSessionInput: Content {
    var identity: String?
    var name: String?
    var email: String?
    var language: String?
}

struct WidgetSessionDTO: Content {
    let token: String
    let expiresAt: Date
    /// The host identified the user: they see all their requests. A visitor sees the ones filed in this session.
    let verified: Bool
    let name: String
    let email: String
    let language: String
    let chatAvailable: Bool

    enum CodingKeys: String, CodingKey {
        case token, verified, name, email, language, expiresAt = "expires_at", chatAvailable = "chat_available"
    }
}

/// What the panel shows: the assistant's menu, the team's intake questions, whether chat is open.
struct WidgetConfigDTO: Content {
    struct Field: Content {
        let key: String
        let kind: String
        let label: String
        let required: Bool
        let options: [Option]
    }
    struct Option: Content { let value: String; let label: String }
    struct BotButton: Content {
        let id: Int
        let parentId: Int?
        let label: String
        let message: String
        let action: String
        let url: String?
        let ticketType: String?
        let prefill: [String: String]
        enum CodingKeys: String, CodingKey {
            case id, label, message, action, url, prefill, parentId = "parent_id", ticketType = "ticket_type"
        }
    }

    let fields: [Field]
    let bot: [BotButton]
    let chatAvailable: Bool
    let maxFileBytes: Int
    let maxChatCharacters: Int

    enum CodingKeys: String, CodingKey {
        case fields, bot, chatAvailable = "chat_available", maxFileBytes = "max_file_bytes", maxChatCharacters = "max_chat_characters"
    }
}

struct WidgetRequestDTO: Content {
    let number: Int
    let subject: String
    let status: String
    let statusName: String
    let channel: TicketChannel
    let createdAt: Date
    let updatedAt: Date
    var messages: [ChatMessageDTO]?

    enum CodingKeys: String, CodingKey {
        case number, subject, status, channel, messages, statusName = "status_name", createdAt = "created_at", updatedAt = "updated_at"
    }

}

extension WidgetRequestDTO {
    /// A ticket as the widget lists it (no conversation).
    init(_ ticket: TicketDTO) {
        self.init(number: ticket.number, subject: ticket.subject, status: ticket.status, statusName: ticket.statusName,
                  channel: ticket.channel, createdAt: ticket.createdAt, updatedAt: ticket.updatedAt)
    }
}

/// One line of a conversation as the widget and the chat show it.
struct ChatMessageDTO: Content {
    let id: Int
    let text: String
    /// customer | agent
    let from: String
    let name: String
    let at: Date
    let attachments: [String]
}

struct ChatTextInput: Content {
    let text: String
}

struct ChatDTO: Content {
    let number: Int
    let subject: String
    let state: ChatState
    let customer: PersonRef
    let agent: PersonRef?
    let startedAt: Date
    let acceptedAt: Date?
    let endedAt: Date?
    var messages: [ChatMessageDTO]?

    enum CodingKeys: String, CodingKey {
        case number, subject, state, customer, agent, messages, startedAt = "started_at", acceptedAt = "accepted_at", endedAt = "ended_at"
    }
}
