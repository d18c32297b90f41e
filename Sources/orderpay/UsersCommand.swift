import ArgumentParser
import Foundation
import OrderPayCore
import OrderPayEmbedded
import OrderPayServices

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "Manage user accounts.",
        subcommands: [List.self, Get.self, Create.self, Update.self, Delete.self, Roles.self, Lock.self, Unlock.self])

    /// Users are named by id or by email.
    static func resolve(_ reference: String, _ system: EmbeddedSystem) async throws -> User {
        if let id = Int64(reference) { return try await system.auth.user(actor: cliOperator, id: id) }
        guard let user = try await system.auth.user(email: reference) else { throw AppError.notFound("no user with email \(reference)") }
        return user
    }

    static func parseRole(_ text: String) throws -> Role {
        guard let role = Role(loose: text) else { throw AppError.validation("'\(text)' is not a role (user or admin)", field: "role") }
        return role
    }

    static func emit(_ user: User, _ options: GlobalOptions) throws {
        try CLI.emit(user, options) {
            var lines = ["user \(user.id)  \(user.status.rawValue)  \(user.roles.map(\.rawValue).joined(separator: ","))",
                         "email    \(user.email)", "name     \(user.name)"]
            if let phone = user.phoneNumber { lines.append("phone    \(phone)") }
            if let address = user.address { lines.append("address  \(address)") }
            lines.append("created  \(user.createdAt.short)")
            return lines.joined(separator: "\n")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users, newest first.")
        @OptionGroup var options: GlobalOptions
        @Option(help: "Only this status.") var status: String?
        @Option(help: "Only this role (user or admin).") var role: String?
        @Option(help: "Text in the name or email.") var search: String?
        @Option(help: "Page number, from 0.") var page = 0
        @Option(help: "Page size (1–200).") var size = 20

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let status = try self.status.map { try parseEnum($0, UserStatus.self, field: "status") }
                let role = try self.role.map(UsersCommand.parseRole)
                let result = try await system.auth.listUsers(actor: cliOperator, filter: UserFilter(status: status, role: role, text: search),
                                                             page: PageRequest(page: page, size: size))
                try CLI.emit(result, options) {
                    var table = TextTable("ID", "NAME", "EMAIL", "STATUS", "ROLES")
                    for u in result.content {
                        table.add(String(u.id), u.name, u.email, u.status.rawValue, u.roles.map(\.rawValue).joined(separator: ","))
                    }
                    return table.rendered + "\npage \(result.page + 1) of \(max(result.totalPages, 1)) · \(result.totalElements) users"
                }
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user (by id or email).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "User id or email.") var user: String

        func run() async throws {
            try await CLI.run(options, workers: false) { system in try UsersCommand.emit(try await resolve(user, system), options) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a user.")
        @OptionGroup var options: GlobalOptions
        @Option var email: String
        @Option var name: String
        @Option(help: "At least 8 characters.") var password: String
        @Option var phone: String?
        @Option var address: String?
        @Option(help: "user or admin (repeatable).") var role: [String] = []

        func run() async throws {
            try await CLI.run(options, workers: false, createsDataDirectory: true, validate: {
                try AuthService.validateNewUser(email: email, password: password, name: name, phoneNumber: phone, address: address)
                _ = try role.map(UsersCommand.parseRole)
            }) { system in
                let roles = try role.map(UsersCommand.parseRole)
                let user = try await system.auth.createUser(actor: cliOperator, CreateUserRequest(
                    email: email, password: password, name: name, phoneNumber: phone, address: address, roles: roles.isEmpty ? nil : roles))
                try UsersCommand.emit(user, options)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Update a user's profile.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "User id or email.") var user: String
        @Option var name: String?
        @Option var phone: String?
        @Option var address: String?

        func validate() throws {
            guard name != nil || phone != nil || address != nil else {
                throw ValidationError("nothing to update: give --name, --phone or --address")
            }
        }

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let target = try await resolve(user, system)
                let updated = try await system.auth.updateProfile(actor: cliOperator, id: target.id,
                                                                  UpdateProfileRequest(name: name, phoneNumber: phone, address: address))
                try UsersCommand.emit(updated, options)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Soft-delete a user (status DELETED).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "User id or email.") var user: String

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let target = try await resolve(user, system)
                try await system.auth.deleteUser(actor: cliOperator, id: target.id)
                try UsersCommand.emit(try await system.auth.user(actor: cliOperator, id: target.id), options)
            }
        }
    }

    struct Roles: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a user's roles.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "User id or email.") var user: String
        @Option(help: "user or admin (repeatable).") var role: [String] = []

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let roles = try role.map(UsersCommand.parseRole)
                let target = try await resolve(user, system)
                try UsersCommand.emit(try await system.auth.changeRoles(actor: cliOperator, id: target.id, roles: roles), options)
            }
        }
    }

    struct Lock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Lock an account (it cannot log in).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "User id or email.") var user: String

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let target = try await resolve(user, system)
                try UsersCommand.emit(try await system.auth.setStatus(actor: cliOperator, id: target.id, status: .locked), options)
            }
        }
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Unlock an account (status ACTIVE).")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "User id or email.") var user: String

        func run() async throws {
            try await CLI.run(options, workers: false) { system in
                let target = try await resolve(user, system)
                try UsersCommand.emit(try await system.auth.setStatus(actor: cliOperator, id: target.id, status: .active), options)
            }
        }
    }
}
