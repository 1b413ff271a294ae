import Vapor
import ZayavkaCore

/// Registers the web interface: the customer portal, the agent console, admin pages and assets.
enum WebRoutes {
    typealias Handler = @Sendable (Request) async throws -> Response

    static func register(_ app: Application) {
        app.get(SitePath.asset("").route) { req in try Assets.response(name: req.parameters.get("name") ?? "") }
        // Knowledge-base images: public, immutable (a new upload gets a new token).
        app.get(SitePath.kbFile("").route) { req in
            let file = try await KnowledgeBaseService.file(token: req.parameters.get("token") ?? "", on: req.sql)
            return Response(status: .ok, headers: ["Content-Type": file.type, "Cache-Control": "public, max-age=31536000, immutable",
                                                   "X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'"],
                            body: .init(data: file.data))
        }

        let web = app.grouped(WebSessionMiddleware()).grouped(WebErrorMiddleware())
        // Every page shows the outbreak alerts and mass incidents (SPEC P3).
        func get(_ path: SitePath, _ handler: @escaping Handler) {
            web.get(path.route) { request in
                await request.loadIncidentBanner()
                return try await handler(request)
            }
        }
        // Every form is read by `WebForms.read`, which streams files to disk and checks the CSRF token.
        func post(_ path: SitePath, _ handler: @escaping Handler) {
            web.on(.POST, path.route, body: .stream) { request in try await request.drainingBody(handler) }
        }

        get(.home) { AuthController.home($0) }
        get(.signIn) { AuthController.signInPage($0) }
        post(.signIn, AuthController.signIn)
        post(.signOut, AuthController.signOut)
        post(.language, AuthController.language)

        // The widget and live chat (issue 19, SPEC C4).
        app.get(SitePath.widgetScript.route) { WidgetPages.loader($0) }
        app.get(SitePath.widgetPanel.route) { WidgetPages.panel($0) }
        get(.portalChat, WidgetPages.portalChat)
        get(.agentChats, ChatConsolePage.show)
        ChatSockets.register(app, web: web)

        get(.portal, PortalController.list)
        get(.portalNew, PortalController.newForm)
        post(.portalNew, PortalController.create)
        get(.portalRequest(0), PortalController.show)
        post(.portalReply(0), PortalController.reply)
        post(.portalSolved(0), PortalController.confirmSolved)
        post(.portalReopen(0), PortalController.setStatus("open", notice: "reopened"))

        // Quality (issue 18): links from survey and solved mails, the feedback form, reviews, settings.
        get(.qualityLink(""), QualityLinkPages.show)
        post(.qualityLink(""), QualityLinkPages.submit)
        get(.feedback, FeedbackPage.show)
        post(.feedback, FeedbackPage.submit)
        get(.adminQuality, QualitySettingsPage.show)
        post(.adminQualitySave, QualitySettingsPage.save)
        post(.adminCriterionSave, QualitySettingsPage.saveCriterion)
        get(.adminFeedback, FeedbackAdminPage.show)
        post(.adminFeedbackSave(0), FeedbackAdminPage.save)
        get(.reviews, ReviewPages.list)
        post(.reviewSample, ReviewPages.sample)
        get(.review(0), ReviewPages.show)
        post(.reviewScore(0), ReviewPages.score)
        get(.reports, ReportPages.show)
        get(.reportsCSV, ReportPages.exportCSV)

        get(.agent) { try QueueController.start($0) }
        get(.queue(""), QueueController.queue)
        post(.agentBulk, QueueController.bulk)
        get(.agentTicket(0), AgentTicketController.show)
        post(.agentComment(0), AgentTicketController.work)
        post(.agentFields(0), AgentTicketController.work)
        post(.agentPlan(0), AgentTicketController.plan)
        post(.agentRoute(0), AgentTicketController.route)
        post(.agentWarning(0), AgentTicketController.warning)
        post(.agentPlace(0), AgentTicketController.place)
        get(.agentLive, LivePages.stream)
        get(.settings, SettingsPages.show)
        post(.agentPresence(0), LivePages.presence)
        get(.workload, WorkloadPages.show)
        get(.directory, DirectorySearchPage.show)
        get(.call, IncomingCallPage.show)
        post(.call, IncomingCallPage.register)
        get(.callbacks, CallbacksPage.show)
        post(.callbackAttempt(0), CallbacksPage.attempt)
        post(.shift, CallbacksPage.shift)
        post(.agentCall(0), AgentTicketController.logCall)
        post(.agentCallback(0), AgentTicketController.scheduleCallback)
        get(.adminWorkingTime, WorkingTimePages.show)
        post(.adminCalendarSave, WorkingTimePages.saveCalendar)
        post(.adminCalendarDays, WorkingTimePages.saveDays)
        // The special days as a file, for a signed-in admin (the API's own export wants a bearer token).
        get(.adminCalendarExport("")) { request in
            try DirectoryPages.requireAdmin(request, .manageConfiguration)
            return try await WorkingTimeService.exportDays(key: request.parameters.get("key") ?? "", context: try request.context).encodeResponse(for: request)
        }
        post(.adminPolicySave, WorkingTimePages.savePolicy)
        post(.adminPolicyTemplate, WorkingTimePages.installTemplate)
        get(.agentNew, NewTicketController.form)
        post(.agentNew, NewTicketController.create)

        get(.file("")) { req in
            guard req.signedInIfAny != nil else { throw WebError.signInRequired }
            return try await ConversationService.download(id: req.parameters.get("id") ?? "", context: try req.context).encodeResponse(for: req)
        }

        get(.problems, ProblemsController.list)
        post(.problemCreate, ProblemsController.create)
        get(.problemsExport, ProblemsController.export)
        get(.problem(0), ProblemsController.show)
        post(.problem(0), ProblemsController.save)
        post(.ticketProblem(0), ProblemsController.ticketProblem)
        get(.incidents, IncidentsController.show)
        post(.incidentDeclare, IncidentsController.declare)
        post(.incidentAcknowledge, IncidentsController.answer(dismiss: false))
        post(.incidentDismiss, IncidentsController.answer(dismiss: true))
        post(.adminOutbreakSave, RoutingPages.saveOutbreakSettings)

        get(.adminCanned, CannedController.list)
        post(.adminCannedSave, CannedController.save)
        post(.adminCannedDelete(0), CannedController.delete)
        get(.adminUsers, UsersController.list)
        post(.adminUserSave, UsersController.save)
        post(.adminUserErase, UsersController.erase)
        post(.adminUserHold, UsersController.placeHold)
        post(.adminUserHoldRelease, UsersController.releaseHold)
        get(.adminGroups) { try await DirectoryPages.groups($0) }
        post(.adminGroupSave, DirectoryPages.saveGroup)
        post(.adminGroupMember, DirectoryPages.setMember)
        post(.adminGroupTemplate, DirectoryPages.installLines)
        get(.adminOrganizations) { try await DirectoryPages.organizations($0) }
        post(.adminOrganizationSave, DirectoryPages.saveOrganization)
        post(.adminOrganizationImport, DirectoryImport.importOrganizations)
        post(.adminContactImport, DirectoryImport.importContacts)
        get(.adminOrganizationExport) { try await DirectoryCSV.exportOrganizations(context: try $0.context).encodeResponse(for: $0) }
        get(.adminContactExport) { try await DirectoryCSV.exportContacts(context: try $0.context).encodeResponse(for: $0) }
        get(.adminRouting) { try await RoutingPages.show($0) }
        post(.adminRouteSave, RoutingPages.saveRoute)
        post(.adminCriticalSave, RoutingPages.saveRule)
        post(.adminCallbackRuleSave, RoutingPages.saveCallbackRule)
        get(.adminFields) { try await DirectoryPages.fields($0) }
        post(.adminFieldSave, DirectoryPages.saveField)
        get(.tokens) { try await DirectoryPages.tokens($0) }
        post(.tokenCreate, DirectoryPages.createToken)
        post(.tokenRevoke(0), DirectoryPages.revokeToken)

        get(.passwordForgot, PasswordPages.forgotForm)
        post(.passwordForgot, PasswordPages.forgot)
        get(.passwordSet, PasswordPages.setForm)
        post(.passwordSet, PasswordPages.set)
        get(.adminMail, MailPages.overview)
        get(.adminMailMessage(0), MailPages.message)
        get(.adminMailRaw(0)) { req in try await MailService.raw(id: try req.intParameter("id"), context: try req.context).encodeResponse(for: req) }
        post(.adminMailRetry(0), MailPages.retry)
        post(.adminOutboxRetry(0), MailPages.retryOutbox)
        get(.adminMailTemplates, MailPages.templates)
        post(.adminMailTemplateSave, MailPages.saveTemplate)
        get(.adminMailboxes, MailboxPages.list)
        get(.adminMailbox(0), MailboxPages.edit)
        post(.adminMailboxSave, MailboxPages.save)
        post(.adminMailboxTest(0), MailboxPages.test)
        post(.adminMailboxDelete(0), MailboxPages.delete)
        get(.adminWebhooks, WebhookPages.list)
        get(.adminWebhook(0), WebhookPages.show)
        post(.adminWebhookSave, WebhookPages.save)
        post(.adminWebhookPing(0), WebhookPages.ping)
        post(.adminWebhookDelete(0), WebhookPages.delete)
        post(.adminWebhookRedeliver(0), WebhookPages.redeliver)
        get(.adminBans, BanPages.page)
        post(.adminBanSave, BanPages.create)
        post(.adminBanChange(0), BanPages.change)
        post(.adminBanLift(0), BanPages.lift)
        post(.adminBanApprove(0), BanPages.approve)
        post(.adminBanDecline(0), BanPages.decline)
        post(.adminUnblock(0), BanPages.unblock)

        // Knowledge base, search and the assistant (issue 17).
        get(.kb, KnowledgeBasePages.home)
        get(.kbSearch, KnowledgeBasePages.search)
        get(.kbSitemap, KnowledgeBasePages.sitemap)
        get(.kbSuggest, KnowledgeBasePages.suggest)
        get(.kbCategory(""), KnowledgeBasePages.category)
        get(.kbArticle(""), KnowledgeBasePages.article)
        post(.kbVote(""), KnowledgeBasePages.vote)
        get(.help, BotPages.show)
        post(.help, BotPages.handover)
        get(.helpArticle(0), BotPages.article)
        get(.portalSearch, SearchPages.portal)
        get(.agentSearch, SearchPages.agent)
        get(.agentKB, KnowledgeBaseStaffPages.list)
        get(.agentKBSearch, KnowledgeBaseStaffPages.composerSearch)
        get(.agentArticle(""), KnowledgeBaseStaffPages.show)
        get(.agentArticleNew, KnowledgeBaseStaffPages.newForm)
        get(.agentArticleEdit(0), KnowledgeBaseStaffPages.editForm)
        post(.agentArticleSave, KnowledgeBaseStaffPages.save)
        get(.agentArticleRevision(0, 0), KnowledgeBaseStaffPages.revision)
        post(.agentArticleRestore(0), KnowledgeBaseStaffPages.restore)
        post(.agentKBUpload, KnowledgeBaseStaffPages.upload)
        get(.adminKB) { try await AdminKnowledgeBasePages.overview($0) }
        post(.adminKBCategorySave, AdminKnowledgeBasePages.saveCategory)
        get(.adminBot) { try await AdminKnowledgeBasePages.bot($0) }
        post(.adminBotSave, AdminKnowledgeBasePages.saveNode)
        post(.adminBotDelete, AdminKnowledgeBasePages.deleteNode)
    }
}
