import CCurl
import Foundation

/// Sends one request at a time per call with libcurl, off Swift's cooperative pool.
///
/// Each call runs its blocking `curl_easy_perform` as a work item on this client's own concurrent
/// dispatch queue and resumes the caller through a continuation. Easy handles are kept in a small
/// pool and reset between uses, so their open connections to the gateway are reused. Cancelling
/// the calling task stops the transfer (see `TransferControl`).
final class CurlClient: @unchecked Sendable {
    let options: CurlOptions
    private let queue = DispatchQueue(label: "orderpay.remote.curl", qos: .userInitiated, attributes: .concurrent)
    private let lock = NSLock()
    private var idleHandles: [UnsafeMutableRawPointer] = []
    private static let maxIdleHandles = 8

    init(options: CurlOptions = CurlOptions()) {
        self.options = options
    }

    deinit {
        for handle in idleHandles { curl_easy_cleanup(handle) }
    }

    /// The response, whatever its status; a `TransferFailure` when there is none.
    func send(_ request: HTTPRequestSpec) async throws -> HTTPResponseMessage {
        let control = TransferControl()
        let result: Result<HTTPResponseMessage, TransferFailure> = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                queue.async {
                    continuation.resume(returning: self.perform(request, control: control))
                }
            }
        } onCancel: {
            control.cancel()
        }
        return try result.get()
    }

    private func perform(_ request: HTTPRequestSpec, control: TransferControl) -> Result<HTTPResponseMessage, TransferFailure> {
        guard let handle = checkOut() else {
            return .failure(.transport(code: -1, message: "libcurl could not create a handle", timedOut: false))
        }
        let result = CurlTransfer(request, control: control, options: options).run(on: handle)
        checkIn(handle, reusable: (try? result.get()) != nil)
        return result
    }

    private func checkOut() -> UnsafeMutableRawPointer? {
        if let handle = lock.withLock({ idleHandles.popLast() }) { return handle }
        return curl_easy_init()
    }

    private func checkIn(_ handle: UnsafeMutableRawPointer, reusable: Bool) {
        curl_easy_reset(handle)   // drops the callbacks that point at the finished transfer
        let kept = reusable && lock.withLock {
            guard idleHandles.count < Self.maxIdleHandles else { return false }
            idleHandles.append(handle)
            return true
        }
        if !kept { curl_easy_cleanup(handle) }
    }
}
