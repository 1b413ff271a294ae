import Fluent
import Foundation
import NIOConcurrencyHelpers
import SQLKit
import Vapor
import ZayavkaCore

/// Organizations and groups.
enum DirectoryService {
    static func listOrganizations(page: PageRequest, context: ServiceContext) async throws -> ListOf<OrganizationDTO> {
        try context.require(.readDirectory)
        let query = OrganizationRecord.query(on: context.database).sort(\.$id)
        return try await IDPage.fetch(page) { after, count in
            try await (after.map { query.copy().filter(\.$id > $0) } ?? query).limit(count).all().map { ($0.id!, OrganizationDTO($0)) }
        }
    }

    static func getOrganization(id: Int, context: ServiceContext) async throws -> OrganizationDTO {
        let viewer = try context.viewer
        guard viewer.role.can(.readDirectory) || viewer.organizationID == id,
              let org = try await OrganizationRecord.find(id, on: context.database)
        else { throw ZayavkaError.notFound(entity: "organization", id: String(id)) }
        return OrganizationDTO.visible(org, to: viewer)
    }

    static func saveOrganization(id: Int?, _ input: OrganizationInput, context: ServiceContext) async throws -> Saved<OrganizationDTO> {
        try context.require(.manageOrganizations)
        let org: OrganizationRecord
        if let id {
            guard let found = try await OrganizationRecord.find(id, on: context.database) else {
                throw ZayavkaError.notFound(entity: "organization", id: String(id))
            }
            org = found
        } else {
            org = OrganizationRecord()
            org.plan = "free"
            org.membersSeeAllTickets = false
        }
        var errors: [FieldError] = []
        if let name = input.name {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { errors.append(FieldError("name", .required)) }
            org.name = trimmed
        } else if id == nil { errors.append(FieldError("name", .required)) }
        if let plan = input.plan {
            if ["paid", "free"].contains(plan) { org.plan = plan } else { errors.append(FieldError("plan", .unknownValue, "paid, free")) }
        }
        if let inn = input.inn {
            // 10 or 12 digits whose check digits agree (SPEC A2); an empty value clears it.
            let cleaned = inn?.trimmingCharacters(in: .whitespaces)
            if let cleaned, !cleaned.isEmpty, INN.normalize(cleaned) == nil { errors.append(FieldError("inn", .invalid, "10/12")) }
            org.inn = cleaned?.isEmpty == true ? nil : cleaned
        }
        if let ends = input.contractEndsOn {
            if let ends, (try? Date(ends, strategy: .iso8601.year().month().day())) == nil { errors.append(FieldError("contract_ends_on", .invalid)) }
            org.contractEndsOn = ends
        }
        // The same limits as the CSV import and the web form (`FieldLimits`).
        if let name = input.name, let error = TextInput.check(name, field: "name", maxCharacters: FieldLimits.organizationName, multiline: false) {
            errors.append(error)
        }
        if let value = input.contractNumber ?? nil, let error = TextInput.check(value, field: "contract_number", maxCharacters: 100, multiline: false) {
            errors.append(error)
        }
        if let value = input.notes ?? nil, let error = TextInput.check(value, field: "notes", maxCharacters: FieldLimits.longText) { errors.append(error) }
        for (field, list, limit) in [("phones", input.phones, FieldLimits.phone), ("email_domains", input.emailDomains, 253), ("logins", input.logins, FieldLimits.shortText)] {
            guard let list else { continue }
            if list.count > 100 { errors.append(FieldError(field, .tooLong, "100")) }
            if let error = list.lazy.compactMap({ TextInput.check($0, field: field, maxCharacters: limit, multiline: false) }).first { errors.append(error) }
        }
        for (field, value) in [("quota", input.quota ?? nil), ("usage", input.usage ?? nil)] {
            if let value, !(0...1_000_000_000).contains(value) { errors.append(FieldError(field, .invalid, "0…1000000000")) }
        }
        if let value = input.contractNumber { org.contractNumber = value }
        if let value = input.quota { org.quota = value }
        if let value = input.usage { org.usage = value }
        if let value = input.phones { org.phones = value.map { PhoneNumber.normalize($0) ?? $0 }.joined(separator: "\n") }
        if let value = input.emailDomains { org.emailDomains = value.map { $0.lowercased() }.joined(separator: "\n") }
        if let value = input.logins { org.logins = value.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }.joined(separator: "\n") }
        if let value = input.addresses {
            let (stored, error) = OrganizationAddresses.clean(value)
            if let error { errors.append(error) }
            org.addresses = stored
        }
        if let value = input.notes { org.notes = value }
        if let value = input.membersSeeAllTickets { org.membersSeeAllTickets = value }
        if !errors.isEmpty { throw ZayavkaError.validation(errors) }
        try await context.write { db in
            try await org.save(on: db)
            try await DirectoryIndex.refresh(organizations: [org.id!], on: db as! any SQLDatabase)
        }
        if id != nil { context.services.tokens.forgetAll() }
        context.services.emailDomainsListed.invalidate()
        return Saved(item: OrganizationDTO(org), created: id == nil)
    }

    static func groupDTO(_ group: GroupRecord, on db: any Database) async throws -> GroupDTO {
        let members = try await GroupMemberRecord.query(on: db).filter(\.$groupID == group.id!).sort(\.$userID).all()
        return GroupDTO(id: group.id!, name: group.name, description: group.details, memberIds: members.map(\.userID),
                        assignment: group.assignment.flatMap(AssignmentMode.init(rawValue:)) ?? .manual)
    }

    static func listGroups(context: ServiceContext) async throws -> ListOf<GroupDTO> {
        try context.require(.readDirectory)
        var items: [GroupDTO] = []
        for group in try await GroupRecord.query(on: context.database).sort(\.$id).all() { items.append(try await groupDTO(group, on: context.database)) }
        return ListOf(items: items, nextCursor: nil)
    }

    static func getGroup(id: Int, context: ServiceContext) async throws -> GroupDTO {
        try context.require(.readDirectory)
        guard let group = try await GroupRecord.find(id, on: context.database) else { throw ZayavkaError.notFound(entity: "group", id: String(id)) }
        return try await groupDTO(group, on: context.database)
    }

    static func saveGroup(id: Int?, _ input: GroupInput, context: ServiceContext) async throws -> Saved<GroupDTO> {
        try context.require(.manageGroups)
        let group: GroupRecord
        if let id {
            guard let found = try await GroupRecord.find(id, on: context.database) else { throw ZayavkaError.notFound(entity: "group", id: String(id)) }
            group = found
        } else {
            group = GroupRecord()
        }
        if let name = input.name?.trimmingCharacters(in: .whitespaces) {
            guard !name.isEmpty else { throw ZayavkaError.validation([FieldError("name", .required)]) }
            if try await GroupRecord.query(on: context.database).filter(\.$name == name).filter(\.$id != (id ?? -1)).count() > 0 {
                throw ZayavkaError.conflict(field: "name", value: name)
            }
            group.name = name
        } else if id == nil { throw ZayavkaError.validation([FieldError("name", .required)]) }
        if let description = input.description { group.details = description }
        if let assignment = input.assignment { group.assignment = assignment.rawValue }
        try await context.write { db in try await group.save(on: db) }
        return Saved(item: try await groupDTO(group, on: context.database), created: id == nil)
    }

    static func setMember(groupID: Int, userID: Int, member: Bool, context: ServiceContext) async throws -> GroupDTO {
        try context.require(.manageGroups)
        guard let group = try await GroupRecord.find(groupID, on: context.database) else { throw ZayavkaError.notFound(entity: "group", id: String(groupID)) }
        guard let user = try await UserRecord.find(userID, on: context.database) else { throw ZayavkaError.notFound(entity: "user", id: String(userID)) }
        if member {
            guard user.roleValue.isStaff else { throw ZayavkaError.validation([FieldError("user_id", .notAllowed)]) }
            let exists = try await GroupMemberRecord.query(on: context.database).filter(\.$groupID == groupID).filter(\.$userID == userID).count() > 0
            if !exists { try await context.write { db in try await GroupMemberRecord(groupID: groupID, userID: userID).create(on: db) } }
        } else {
            try await context.write { db in
                try await GroupMemberRecord.query(on: db).filter(\.$groupID == groupID).filter(\.$userID == userID).delete()
            }
        }
        return try await groupDTO(group, on: context.database)
    }
}
