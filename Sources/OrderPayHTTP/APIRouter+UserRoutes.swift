import Hummingbird
import OrderPayCore
import OrderPayServices

/// `/api/users`: accounts. The service decides who may see or change what; admin-only routes are
/// also refused here (403) before reaching it.
public func addUserRoutes(to api: APIRouter, auth: AuthService, tokens: TokenService) {
    let tag = "users", user = RouteAccess.user(tokens), admin = RouteAccess.admin(tokens)
    let leftover = "a token issued before the caller's account was locked, deactivated or deleted (only ACTIVE accounts make changes)"
    let lastAdmin = "the user is the last active admin (make another user an admin first)"
    let base = "/api/users"
    api.on(RouteDescriptor(method: .get, path: base, tag: tag, summary: "List users (newest first)", access: admin,
                           response: .json("UserPage"), query: [
                               .page, .size,
                               ParameterDoc("status", "filter by status", allowed: UserStatus.allCases.map(\.rawValue)),
                               ParameterDoc("role", "filter by role (ROLE_ADMIN or admin)", allowed: Role.allCases.map(\.rawValue)),
                               ParameterDoc("q", "substring of the name or email, any case", maxLength: AuthService.maxSearchLength),
                           ], problems: [422: "q is longer than \(AuthService.maxSearchLength) characters or holds control characters"])) { request, context in
        let role = try request.query("role").map { text in
            guard let role = Role(loose: text) else {
                throw HTTPProblem.badRequest("query parameter 'role' must be one of ROLE_USER, ROLE_ADMIN, not '\(text.echoed)'", field: "role")
            }
            return role
        }
        let filter = UserFilter(status: try request.queryEnum("status", as: UserStatus.self), role: role, text: try request.query("q"))
        return try .json(try await auth.listUsers(actor: try context.requireActor(), filter: filter, page: try request.pageRequest()))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/me", tag: tag, summary: "The caller's own account", access: user,
                           response: .json("User"))) { _, context in
        let actor = try context.requireActor()
        guard let id = actor.userId else { throw AppError.notFound("this caller has no account") }
        return try .json(try await auth.user(actor: actor, id: id))
    }
    api.on(RouteDescriptor(method: .get, path: "\(base)/{id}", tag: tag, summary: "One user (admin, or the user themselves)",
                           access: user, response: .json("User"))) { _, context in
        try .json(try await auth.user(actor: try context.requireActor(), id: try context.pathID()))
    }
    api.on(RouteDescriptor(method: .post, path: base, tag: tag, summary: "Create a user with roles and status", access: admin,
                           body: "CreateUserRequest", response: .json("User", status: 201),
                           problems: [403: "the caller is not an admin, or " + leftover])) { request, context in
        let body = try await request.decodeJSON(CreateUserRequest.self, context: context)
        return try .json(try await auth.createUser(actor: try context.requireActor(), body), status: .created)
    }
    api.on(RouteDescriptor(method: .put, path: "\(base)/{id}", tag: tag,
                           summary: "Update a profile (absent fields stay; empty strings clear optional ones)",
                           access: user, body: "UpdateProfileRequest", response: .json("User"),
                           problems: [403: leftover])) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSON(UpdateProfileRequest.self, context: context)
        return try .json(try await auth.updateProfile(actor: try context.requireActor(), id: id, body))
    }
    api.on(RouteDescriptor(method: .delete, path: "\(base)/{id}", tag: tag, summary: "Soft-delete a user (status DELETED, sessions end)",
                           access: admin, response: .empty(),
                           problems: [403: "the caller is not an admin, or is deleting their own account, or " + leftover, 409: lastAdmin])) { _, context in
        try await auth.deleteUser(actor: try context.requireActor(), id: try context.pathID())
        return .noContent
    }
    api.on(RouteDescriptor(method: .put, path: "\(base)/{id}/password", tag: tag,
                           summary: "Change one's own password (every session ends)", access: user,
                           body: "ChangePasswordRequest", response: .empty(),
                           problems: [403: "the caller is not the account's owner, or the account is locked after too many wrong passwords",
                                      503: "too many password checks are running or waiting; retry after Retry-After (1 s)"])) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSON(ChangePasswordRequest.self, context: context)
        try await auth.changePassword(actor: try context.requireActor(), id: id, body)
        return .noContent
    }
    api.on(RouteDescriptor(method: .put, path: "\(base)/{id}/roles", tag: tag, summary: "Replace a user's roles", access: admin,
                           body: "ChangeRolesRequest", response: .json("User"),
                           problems: [403: "the caller is not an admin, or is removing their own admin role, or " + leftover, 409: lastAdmin])) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSON(ChangeRolesRequest.self, context: context)
        return try .json(try await auth.changeRoles(actor: try context.requireActor(), id: id, roles: body.roles))
    }
    api.on(RouteDescriptor(method: .put, path: "\(base)/{id}/status", tag: tag, summary: "Lock, unlock, deactivate or restore a user",
                           access: admin, body: "ChangeStatusRequest", response: .json("User"),
                           problems: [403: "the caller is not an admin, or is locking themselves out, or " + leftover, 409: lastAdmin])) { request, context in
        let id = try context.pathID()
        let body = try await request.decodeJSON(ChangeStatusRequest.self, context: context)
        return try .json(try await auth.setStatus(actor: try context.requireActor(), id: id, status: body.status))
    }
}
