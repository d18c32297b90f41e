import Foundation
import OrderPayCore
import OrderPayRemote

/// The remote console's login screen: the gateway, then email and password (not echoed), asked
/// for on the terminal when flags and environment do not give them; three tries.
enum RemoteLogin {
    static func signIn(gateway: String, email: String?, password: String?,
                       options: RemoteBackend.Options = RemoteBackend.Options()) async throws -> RemoteBackend {
        let interactive = isatty(STDIN_FILENO) == 1
        var lastError: AppError?
        // Only credentials typed at the prompt can be typed again.
        let tries = interactive && (email == nil || password == nil) ? 3 : 1
        for attempt in 0..<tries {
            if attempt == 0 && tries > 1 { print("OrderPay console — sign in to \(gateway)") }
            // An email's surrounding spaces are never meant; a password's may be (it is sent as typed).
            guard let typedEmail = email ?? (interactive ? prompt("Email: ", echo: true)?.trimmingCharacters(in: .whitespaces) : nil),
                  !typedEmail.isEmpty else {
                throw AppError.validation("remote mode needs --email (or ORDERPAY_EMAIL)", field: "email")
            }
            guard let typedPassword = password ?? (interactive ? prompt("Password: ", echo: false) : nil), !typedPassword.isEmpty else {
                throw AppError.validation("remote mode needs --password (or ORDERPAY_PASSWORD)", field: "password")
            }
            do {
                return try await RemoteBackend(gatewayURL: gateway, email: typedEmail, password: typedPassword, options: options)
            } catch let error as AppError {
                lastError = error
                // Wrong credentials typed at the prompt may be retried; anything else is final.
                guard error.kind == .unauthorized, attempt + 1 < tries else { throw error }
                print("sign-in failed: \(error.message)")
            }
        }
        throw lastError ?? AppError.unauthorized("sign-in failed")
    }

    /// Reads a line from the terminal exactly as typed, less its line terminator; with `echo`
    /// off, the typed characters are not shown.
    static func prompt(_ label: String, echo: Bool) -> String? {
        print(label, terminator: "")
        fflush(stdout)
        var saved = termios()
        let restore = !echo && tcgetattr(STDIN_FILENO, &saved) == 0
        if restore {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
        }
        defer {
            if restore { tcsetattr(STDIN_FILENO, TCSANOW, &saved); print("") }
        }
        return readLine(strippingNewline: true)
    }
}
