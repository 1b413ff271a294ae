import Vapor

/// Every page and form target of the web interface. Routes are registered from `route` and links
/// are built from `path`, so a link cannot point at a page that does not exist.
enum SitePath: Equatable {
    case home
    case signIn, signOut, language
    case portal, portalNew, portalRequest(Int), portalReply(Int), portalSolved(Int), portalReopen(Int)
    case agent, queue(String), agentTicket(Int), agentComment(Int), agentFields(Int), agentPlan(Int), agentRoute(Int), agentWarning(Int), agentPlace(Int), agentNew, agentBulk, workload
    case agentLive, agentPresence(Int), settings, adminCalendarExport(String)
    case directory, call, callbacks, callbackAttempt(Int), agentCall(Int), agentCallback(Int), shift
    case adminRouting, adminRouteSave, adminCriticalSave, adminCallbackRuleSave
    case adminOrganizationImport, adminOrganizationExport, adminContactImport, adminContactExport
    case adminWorkingTime, adminCalendarSave, adminCalendarDays, adminPolicySave, adminPolicyTemplate
    case problems, problemCreate, problemsExport, problem(Int), ticketProblem(Int)
    case incidents, incidentDeclare, incidentAcknowledge, incidentDismiss, adminOutbreakSave
    case file(String)
    case adminCanned, adminCannedSave, adminCannedDelete(Int)
    case adminUsers, adminUserSave, adminUserErase, adminUserHold, adminUserHoldRelease
    case adminGroups, adminGroupSave, adminGroupMember, adminGroupTemplate
    case adminOrganizations, adminOrganizationSave
    case adminFields, adminFieldSave
    case tokens, tokenCreate, tokenRevoke(Int)
    case passwordForgot, passwordSet
    case adminMail, adminMailMessage(Int), adminMailRetry(Int), adminMailRaw(Int), adminOutboxRetry(Int), adminMailTemplates, adminMailTemplateSave
    case asset(String)
    case kb, kbCategory(String), kbArticle(String), kbVote(String), kbSearch, kbSitemap, kbSuggest, kbFile(String), help, helpArticle(Int), portalSearch
    case agentKB, agentArticle(String), agentArticleNew, agentArticleEdit(Int), agentArticleSave, agentArticleRevision(Int, Int), agentArticleRestore(Int)
    case agentKBUpload, agentSearch, agentKBSearch, adminKB, adminKBCategorySave, adminBot, adminBotSave, adminBotDelete
    case qualityLink(String), feedback, adminQuality, adminQualitySave, adminCriterionSave, adminFeedback, adminFeedbackSave(Int)
    case reviews, review(Int), reviewScore(Int), reviewSample, reports, reportsCSV
    case adminMailboxes, adminMailbox(Int), adminMailboxSave, adminMailboxTest(Int), adminMailboxDelete(Int)
    case adminWebhooks, adminWebhook(Int), adminWebhookSave, adminWebhookPing(Int), adminWebhookDelete(Int), adminWebhookRedeliver(Int)
    case widgetScript, widgetPanel, portalChat, agentChats
    case adminBans, adminBanSave, adminBanChange(Int), adminBanLift(Int), adminBanApprove(Int), adminBanDecline(Int), adminUnblock(Int)

    var path: String {
        switch self {
        case .home: "/"
        case .widgetScript: "/widget.js"
        case .widgetPanel: "/widget/panel"
        case .portalChat: "/portal/chat"
        case .agentChats: "/agent/chats"
        case .signIn: "/sign-in"
        case .signOut: "/sign-out"
        case .language: "/language"
        case .portal: "/portal"
        case .portalNew: "/portal/new"
        case .portalRequest(let n): "/portal/requests/\(n)"
        case .portalReply(let n): "/portal/requests/\(n)/reply"
        case .portalSolved(let n): "/portal/requests/\(n)/solved"
        case .portalReopen(let n): "/portal/requests/\(n)/reopen"
        case .agent: "/agent"
        case .queue(let view): "/agent/queues/\(view)"
        case .agentTicket(let n): "/agent/tickets/\(n)"
        case .agentComment(let n): "/agent/tickets/\(n)/comment"
        case .agentFields(let n): "/agent/tickets/\(n)/fields"
        case .agentPresence(let n): "/agent/tickets/\(n)/presence"
        case .agentLive: "/agent/live"
        case .settings: "/settings"
        case .adminCalendarExport(let key): "/admin/working-time/calendars/\(key)/days.txt"
        case .agentPlan(let n): "/agent/tickets/\(n)/plan"
        case .agentRoute(let n): "/agent/tickets/\(n)/route"
        case .agentWarning(let n): "/agent/tickets/\(n)/warning"
        case .agentPlace(let n): "/agent/tickets/\(n)/place"
        case .workload: "/agent/workload"
        case .directory: "/agent/directory"
        case .call: "/agent/call"
        case .callbacks: "/agent/callbacks"
        case .callbackAttempt(let id): "/agent/callbacks/\(id)/attempt"
        case .agentCall(let n): "/agent/tickets/\(n)/call"
        case .agentCallback(let n): "/agent/tickets/\(n)/callback"
        case .shift: "/agent/shift"
        case .adminRouting: "/admin/routing"
        case .adminRouteSave: "/admin/routing/routes/save"
        case .adminCriticalSave: "/admin/routing/critical/save"
        case .adminCallbackRuleSave: "/admin/routing/callback-rule/save"
        case .adminOrganizationImport: "/admin/organizations/import"
        case .adminOrganizationExport: "/admin/organizations/export.csv"
        case .adminContactImport: "/admin/contacts/import"
        case .adminContactExport: "/admin/contacts/export.csv"
        case .adminWorkingTime: "/admin/working-time"
        case .adminCalendarSave: "/admin/working-time/calendars/save"
        case .adminCalendarDays: "/admin/working-time/calendars/days"
        case .adminPolicySave: "/admin/working-time/policies/save"
        case .adminPolicyTemplate: "/admin/working-time/policies/template"
        case .agentNew: "/agent/new"
        case .agentBulk: "/agent/bulk"
        case .problems: "/agent/problems"
        case .problemCreate: "/agent/problems/new"
        case .problemsExport: "/agent/problems/export"
        case .problem(let n): "/agent/problems/\(n)"
        case .ticketProblem(let n): "/agent/tickets/\(n)/problem"
        case .incidents: "/agent/incidents"
        case .incidentDeclare: "/agent/incidents/declare"
        case .incidentAcknowledge: "/agent/incidents/acknowledge"
        case .incidentDismiss: "/agent/incidents/dismiss"
        case .adminOutbreakSave: "/admin/routing/outbreak/save"
        case .file(let id): "/files/\(id)"
        case .adminCanned: "/admin/canned-responses"
        case .adminCannedSave: "/admin/canned-responses/save"
        case .adminCannedDelete(let id): "/admin/canned-responses/\(id)/delete"
        case .adminUsers: "/admin/users"
        case .adminUserSave: "/admin/users/save"
        case .adminUserErase: "/admin/users/erase"
        case .adminUserHold: "/admin/users/hold"
        case .adminUserHoldRelease: "/admin/users/hold/release"
        case .adminGroups: "/admin/groups"
        case .adminGroupSave: "/admin/groups/save"
        case .adminGroupMember: "/admin/groups/member"
        case .adminGroupTemplate: "/admin/groups/template"
        case .adminOrganizations: "/admin/organizations"
        case .adminOrganizationSave: "/admin/organizations/save"
        case .adminFields: "/admin/intake-fields"
        case .adminFieldSave: "/admin/intake-fields/save"
        case .tokens: "/account/tokens"
        case .tokenCreate: "/account/tokens/create"
        case .tokenRevoke(let id): "/account/tokens/\(id)/revoke"
        case .asset(let name): "/assets/\(name)"
        case .passwordForgot: "/password/forgot"
        case .passwordSet: "/password/set"
        case .adminMail: "/admin/mail"
        case .adminMailMessage(let id): "/admin/mail/inbound/\(id)"
        case .adminMailRetry(let id): "/admin/mail/inbound/\(id)/retry"
        case .adminMailRaw(let id): "/admin/mail/inbound/\(id)/raw"
        case .adminOutboxRetry(let id): "/admin/mail/outbox/\(id)/retry"
        case .adminMailTemplates: "/admin/mail/templates"
        case .adminMailTemplateSave: "/admin/mail/templates/save"
        case .adminMailboxes: "/admin/mailboxes"
        case .adminMailbox(let id): "/admin/mailboxes/\(id)"
        case .adminMailboxSave: "/admin/mailboxes/save"
        case .adminMailboxTest(let id): "/admin/mailboxes/\(id)/test"
        case .adminMailboxDelete(let id): "/admin/mailboxes/\(id)/delete"
        case .adminWebhooks: "/admin/webhooks"
        case .adminWebhook(let id): "/admin/webhooks/\(id)"
        case .adminWebhookSave: "/admin/webhooks/save"
        case .adminWebhookPing(let id): "/admin/webhooks/\(id)/ping"
        case .adminWebhookDelete(let id): "/admin/webhooks/\(id)/delete"
        case .adminWebhookRedeliver(let id): "/admin/webhook-deliveries/\(id)/redeliver"
        case .adminBans: "/admin/bans"
        case .adminBanSave: "/admin/bans/save"
        case .adminBanChange(let id): "/admin/bans/\(id)/change"
        case .adminBanLift(let id): "/admin/bans/\(id)/lift"
        case .adminBanApprove(let id): "/admin/ban-requests/\(id)/approve"
        case .adminBanDecline(let id): "/admin/ban-requests/\(id)/decline"
        case .adminUnblock(let id): "/admin/load-blocks/\(id)/unblock"
        case .kb: "/kb"
        case .kbCategory(let slug): "/kb/categories/\(slug)"
        case .qualityLink(let token): "/q/\(token)"
        case .feedback: "/feedback"
        case .adminQuality: "/admin/quality"
        case .adminQualitySave: "/admin/quality/settings"
        case .adminCriterionSave: "/admin/quality/criteria"
        case .adminFeedback: "/admin/feedback"
        case .adminFeedbackSave(let id): "/admin/feedback/\(id)"
        case .reviews: "/agent/reviews"
        case .review(let id): "/agent/reviews/\(id)"
        case .reviewScore(let id): "/agent/reviews/\(id)/score"
        case .reviewSample: "/agent/reviews/sample"
        case .reports: "/agent/reports"
        case .reportsCSV: "/agent/reports.csv"
        case .kbArticle(let slug): "/kb/articles/\(slug)"
        case .kbVote(let slug): "/kb/articles/\(slug)/vote"
        case .kbSearch: "/kb/search"
        case .kbSitemap: "/kb/sitemap.xml"
        case .kbSuggest: "/kb/suggest"
        case .kbFile(let name): "/kb/files/\(name)"
        case .help: "/help"
        case .helpArticle(let id): "/help/article/\(id)"
        case .portalSearch: "/portal/search"
        case .agentKB: "/agent/kb"
        case .agentArticle(let slug): "/agent/kb/articles/\(slug)"
        case .agentArticleNew: "/agent/kb/new"
        case .agentArticleEdit(let id): "/agent/kb/\(id)/edit"
        case .agentArticleSave: "/agent/kb/save"
        case .agentArticleRevision(let id, let n): "/agent/kb/\(id)/revisions/\(n)"
        case .agentArticleRestore(let id): "/agent/kb/\(id)/restore"
        case .agentKBUpload: "/agent/kb/upload"
        case .agentKBSearch: "/agent/kb/search"
        case .agentSearch: "/agent/search"
        case .adminKB: "/admin/kb"
        case .adminKBCategorySave: "/admin/kb/categories/save"
        case .adminBot: "/admin/bot"
        case .adminBotSave: "/admin/bot/save"
        case .adminBotDelete: "/admin/bot/delete"
        }
    }

    /// The route pattern: the path with its parameter as `:number`, `:view`, `:id` or `:name`.
    var route: [PathComponent] {
        let pattern: String = switch self {
        case .portalRequest, .portalReply, .portalSolved, .portalReopen, .agentTicket, .agentComment, .agentFields, .agentPlan, .agentRoute, .agentWarning, .agentPlace, .agentCall, .agentCallback, .ticketProblem, .agentPresence:
            path.replacingOccurrences(of: #"/\d+"#, with: "/:number", options: .regularExpression)
        case .queue: "/agent/queues/:view"
        case .callbackAttempt: "/agent/callbacks/:id/attempt"
        case .problem: "/agent/problems/:number"
        case .file: "/files/:id"
        case .adminCannedDelete: "/admin/canned-responses/:id/delete"
        case .adminCalendarExport: "/admin/working-time/calendars/:key/days.txt"
        case .tokenRevoke: "/account/tokens/:id/revoke"
        case .asset: "/assets/:name"
        case .adminMailMessage: "/admin/mail/inbound/:id"
        case .adminMailRetry: "/admin/mail/inbound/:id/retry"
        case .adminMailRaw: "/admin/mail/inbound/:id/raw"
        case .adminOutboxRetry: "/admin/mail/outbox/:id/retry"
        case .adminMailbox: "/admin/mailboxes/:id"
        case .adminMailboxTest: "/admin/mailboxes/:id/test"
        case .adminMailboxDelete: "/admin/mailboxes/:id/delete"
        case .adminWebhook: "/admin/webhooks/:id"
        case .adminWebhookPing: "/admin/webhooks/:id/ping"
        case .adminWebhookDelete: "/admin/webhooks/:id/delete"
        case .adminWebhookRedeliver: "/admin/webhook-deliveries/:id/redeliver"
        case .adminBanChange: "/admin/bans/:id/change"
        case .adminBanLift: "/admin/bans/:id/lift"
        case .adminBanApprove: "/admin/ban-requests/:id/approve"
        case .adminBanDecline: "/admin/ban-requests/:id/decline"
        case .adminUnblock: "/admin/load-blocks/:id/unblock"
        case .kbCategory: "/kb/categories/:slug"
        case .kbArticle: "/kb/articles/:slug"
        case .kbVote: "/kb/articles/:slug/vote"
        case .kbFile: "/kb/files/:token/:name"
        case .helpArticle: "/help/article/:id"
        case .qualityLink: "/q/:token"
        case .adminFeedbackSave: "/admin/feedback/:id"
        case .review: "/agent/reviews/:id"
        case .reviewScore: "/agent/reviews/:id/score"
        case .agentArticle: "/agent/kb/articles/:slug"
        case .agentArticleEdit: "/agent/kb/:id/edit"
        case .agentArticleRevision: "/agent/kb/:id/revisions/:number"
        case .agentArticleRestore: "/agent/kb/:id/restore"
        default: path
        }
        return pattern.split(separator: "/").map { PathComponent(stringLiteral: String($0)) }
    }
}
