import Foundation
import SQLKit
import Vapor
import ZayavkaCore

/// The account checks of a ticket's customer (SPEC A3): an ended contract, an exceeded quota.
enum AccountCheckService {
    static func checks(of organization: PersonRef, language: Language, context: ServiceContext) async throws -> [AccountCheckDTO] {
        guard let row = try await context.sql.raw("""
                  SELECT contract_number, contract_ends_on, quota, usage FROM organizations WHERE id = \(bind: organization.id)
                  """).first() else { return [] }
        return describe(organization: organization, contractNumber: try row.decode(column: "contract_number", as: String?.self),
                        contractEndsOn: try row.decode(column: "contract_ends_on", as: String?.self), quota: try row.decode(column: "quota", as: Int?.self),
                        usage: try row.decode(column: "usage", as: Int?.self), language: language, configuration: context.services.configuration, at: context.now)
    }

    /// The failing checks of an organization's account, in words, with the team's next step.
    static func describe(organization: PersonRef, contractNumber: String?, contractEndsOn: String?, quota: Int?, usage: Int?,
                         language: Language, configuration: AppConfiguration, at now: Date = Date()) -> [AccountCheckDTO] {
        let today = LocalDate(containing: now, in: .moscow)
        let contract = contractNumber.map { " № " + $0 } ?? ""
        let ru = language == .ru
        return AccountCheck.evaluate(contractEndsOn: contractEndsOn.flatMap { LocalDate($0) }, quota: quota, usage: usage, today: today).map { check in
            switch check {
            case .contractEnded(let day):
                let date = String(format: "%02d.%02d.%04d", day.day, day.month, day.year)
                return AccountCheckDTO(kind: check.kind, organization: organization,
                                       message: ru ? "Договор\(contract) закончился \(date)." : "The contract\(contract) ended on \(date).",
                                       nextStep: configuration.contractEndedStep)
            case .quotaExceeded(let quota, let usage):
                return AccountCheckDTO(kind: check.kind, organization: organization,
                                       message: ru ? "Квота превышена: использовано \(usage) из \(quota)." : "The quota is exceeded: \(usage) of \(quota) used.",
                                       nextStep: configuration.quotaExceededStep)
            }
        }
    }
}
