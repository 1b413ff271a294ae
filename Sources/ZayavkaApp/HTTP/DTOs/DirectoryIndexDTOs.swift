import Fluent
import Foundation
import SQLKit
import Vapor
import ZayavkaCore

struct DirectoryMatchDTO: Content {
    let kind: String
    let value: String
}

struct OrganizationMatchDTO: Content {
    let organization: OrganizationDTO
    let matched: DirectoryMatchDTO
    let openTickets: Int
    /// Failing account checks: contract_ended, quota_exceeded.
    let checks: [String]

    enum CodingKeys: String, CodingKey { case organization, matched, checks, openTickets = "open_tickets" }
}

struct ContactMatchDTO: Content {
    let id: Int
    let name: String
    let email: String
    let phone: String?
    let organization: PersonRef?
    let matched: DirectoryMatchDTO
    let openTickets: Int

    enum CodingKeys: String, CodingKey { case id, name, email, phone, organization, matched, openTickets = "open_tickets" }
}

struct DirectorySearchDTO: Content {
    let query: String
    let organizations: [OrganizationMatchDTO]
    let contacts: [ContactMatchDTO]
}
