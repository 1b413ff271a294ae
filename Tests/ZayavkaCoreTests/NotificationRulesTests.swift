import Foundation
import Testing
@testable import ZayavkaCore

@Suite("Notification rules")
struct NotificationRulesTests {
    let requester = 1, agent = 2, other = 3

    @Test("a new ticket is acknowledged, unless its mail was automatic; an assignee set at once hears of it")
    func created() {
        #expect(NotificationRules.decide(.init(event: .created, actorID: requester, actorIsStaff: false, requesterID: requester, assigneeID: nil))
                == [.init(.ticketCreated, to: .requester)])
        #expect(NotificationRules.decide(.init(event: .created, actorID: requester, actorIsStaff: false, requesterID: requester, assigneeID: nil,
                                               fromAutomaticMail: true)).isEmpty)
        #expect(NotificationRules.decide(.init(event: .created, actorID: other, actorIsStaff: true, requesterID: requester, assigneeID: agent))
                == [.init(.ticketCreated, to: .requester), .init(.agentAssigned, to: .user(agent))])
    }

    @Test("replies go the other way; nobody hears of their own action; status with a reply is told once")
    func replies() {
        #expect(NotificationRules.decide(.init(event: .commentAdded, actorID: agent, actorIsStaff: true, requesterID: requester, assigneeID: agent))
                == [.init(.publicReply, to: .requester)])
        #expect(NotificationRules.decide(.init(event: .commentAdded, actorID: requester, actorIsStaff: false, requesterID: requester, assigneeID: agent))
                == [.init(.agentCustomerReply, to: .user(agent))])
        #expect(NotificationRules.decide(.init(event: .commentAdded, actorID: requester, actorIsStaff: false, requesterID: requester, assigneeID: nil)).isEmpty)
        #expect(NotificationRules.decide(.init(event: .statusChanged, actorID: agent, actorIsStaff: true, requesterID: requester, assigneeID: agent,
                                               statusCategory: .solved)) == [.init(.ticketSolved, to: .requester)])
        #expect(NotificationRules.decide(.init(event: .statusChanged, actorID: agent, actorIsStaff: true, requesterID: requester, assigneeID: agent,
                                               statusCategory: .solved, accompaniedByReply: true)).isEmpty)
        #expect(NotificationRules.decide(.init(event: .statusChanged, actorID: requester, actorIsStaff: false, requesterID: requester,
                                               assigneeID: agent, statusCategory: .open)).isEmpty)
    }

    @Test("SLA: a warning to the assignee (or the supervisors), a breach up the line too; never to the customer")
    func sla() {
        #expect(NotificationRules.decide(.init(event: .slaWarning, actorID: nil, actorIsStaff: false, requesterID: requester, assigneeID: agent))
                == [.init(.slaWarning, to: .user(agent))])
        #expect(NotificationRules.decide(.init(event: .slaWarning, actorID: nil, actorIsStaff: false, requesterID: requester, assigneeID: nil))
                == [.init(.slaWarning, to: .supervisors)])
        #expect(NotificationRules.decide(.init(event: .slaBreached, actorID: nil, actorIsStaff: false, requesterID: requester, assigneeID: agent))
                == [.init(.slaBreached, to: .user(agent)), .init(.slaBreached, to: .supervisors)])
        // A policy that tells the group and not the supervisors.
        let toGroup = SLAEscalation(notify: [.assignee, .group])
        #expect(NotificationRules.decide(.init(event: .slaBreached, actorID: nil, actorIsStaff: false, requesterID: requester, assigneeID: agent,
                                               groupID: 7, escalation: toGroup))
                == [.init(.slaBreached, to: .user(agent)), .init(.slaBreached, to: .group(7))])
        #expect(NotificationRules.decide(.init(event: .slaBreached, actorID: nil, actorIsStaff: false, requesterID: requester, assigneeID: nil,
                                               groupID: 7, escalation: toGroup))
                == [.init(.slaBreached, to: .group(7))])
        // Nobody assigned and no group: the supervisors are told rather than nobody.
        #expect(NotificationRules.decide(.init(event: .slaBreached, actorID: nil, actorIsStaff: false, requesterID: requester, assigneeID: nil,
                                               escalation: SLAEscalation(notify: [.assignee])))
                == [.init(.slaBreached, to: .supervisors)])
    }

    @Test("filling: spaces inside braces, adjacent placeholders, braces that are not placeholders, an unclosed one kept as written",
          arguments: [
              ("{{ name }}{{number}}", "Иван10042"), ("Здравствуйте, {{name}}! Заявка №{{number}}.", "Здравствуйте, Иван! Заявка №10042."),
              ("{single} {{name}", "{single} {{name}"), ("{{name}} и {{не закрыта", "Иван и {{не закрыта"), ("}}{{name}}{{", "}}Иван{{"),
              ("{{{name}}}", "}"), ("ёжик 🙂 {{number}} 🙂", "ёжик 🙂 10042 🙂"), ("", ""), ("{{}}", ""), ("{", "{"),
          ])
    func filling(template: String, expected: String) {
        #expect(MailTemplate.fill(template, ["name": "Иван", "number": "10042"]) == expected)
    }

    @Test("templates fill their placeholders; unknown ones stay empty; threading tokens are read back")
    func templates() {
        let filled = MailTemplate(subject: "[{{tag}}] Re: {{subject}} [#{{number}}]", body: "{{name}}, {{nothing}}!")
            .render(["tag": "Поддержка", "subject": "Касса", "number": "10042", "name": "Иван"])
        #expect(filled.subject == "[Поддержка] Re: Касса [#10042]")
        #expect(filled.body == "Иван, !")
        #expect(MailThreading.ticketNumber(inSubject: filled.subject) == 10042)
        #expect(MailThreading.ticketNumber(inSubject: "Re: [#12] and [#10043]") == 10043)
        #expect(MailThreading.ticketNumber(inSubject: "[#abc] [#]") == nil)
        #expect(MailThreading.ticketNumber(inAddress: "support+10042@zayavka.local") == 10042)
        #expect(MailThreading.baseAddress("Support+10042@Zayavka.Local") == "support@zayavka.local")
        #expect(MailThreading.ticketNumber(inMessageID: "zy.10042.abc@zayavka.local") == 10042)
        for kind in NotificationKind.allCases {
            for language in Language.allCases {
                #expect(!MailTemplate.standard(kind, language).body.isEmpty)
            }
        }
    }
}
