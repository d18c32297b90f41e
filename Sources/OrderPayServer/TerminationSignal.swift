import Dispatch
import Foundation

/// Waits for SIGINT or SIGTERM (Ctrl-C, `kill`, a supervisor stopping us), so a server can shut
/// down gracefully instead of dying mid-request.
public enum TerminationSignal {
    public static func wait(_ signals: [Int32] = [SIGINT, SIGTERM]) async -> Int32 {
        await withCheckedContinuation { continuation in
            let fired = NSLock()
            var done = false
            var sources: [DispatchSourceSignal] = []
            for number in signals {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler {
                    let first = fired.withLock { () -> Bool in
                        defer { done = true }
                        return !done
                    }
                    guard first else { return }
                    sources.forEach { $0.cancel() }
                    continuation.resume(returning: number)
                }
                source.resume()
                sources.append(source)
            }
        }
    }
}
