import CCurl
import Foundation

/// One blocking libcurl transfer on the calling thread (never call it on Swift's cooperative pool:
/// `curl_easy_perform` blocks until the exchange is over).
///
/// Without a `sink` the body is collected into the response. With one, every chunk goes to the
/// sink as it arrives (an event stream); the sink returns false to stop the transfer, and the body
/// is only collected when the status is not 2xx (it is then a problem document).
final class CurlTransfer {
    typealias Sink = (_ status: Int, _ chunk: UnsafeRawBufferPointer) -> Bool
    /// Called once the final response head has arrived, with its status.
    typealias HeadHandler = (_ status: Int) -> Void

    private static let globalInit: Bool = curl_global_init(3) == CURLE_OK   // CURL_GLOBAL_ALL

    private let request: HTTPRequestSpec
    private let control: TransferControl
    private let options: CurlOptions
    private let sink: Sink?
    private let onHead: HeadHandler?
    fileprivate var handle: UnsafeMutableRawPointer?
    fileprivate var status = 0
    fileprivate var headers: [String: String] = [:]
    fileprivate var body = Data()
    fileprivate var sinkStopped = false
    fileprivate var lastActivity = ContinuousClock.now
    private var trackSocket = false

    init(_ request: HTTPRequestSpec, control: TransferControl, options: CurlOptions, sink: Sink? = nil, onHead: HeadHandler? = nil) {
        self.request = request; self.control = control; self.options = options; self.sink = sink; self.onHead = onHead
    }

    /// Runs the transfer on a handle of its own, cleaned up before returning, with its socket
    /// tracked so `TransferControl.cancel()` stops it at once (event streams).
    func runAlone() -> Result<HTTPResponseMessage, TransferFailure> {
        guard let handle = curl_easy_init() else {
            return .failure(.transport(code: -1, message: "libcurl could not create a handle", timedOut: false))
        }
        trackSocket = true
        let result = run(on: handle)
        curl_easy_cleanup(handle)
        return result
    }

    /// Runs the transfer on `handle` (fresh or reset; the caller owns it) and returns its outcome.
    func run(on handle: UnsafeMutableRawPointer) -> Result<HTTPResponseMessage, TransferFailure> {
        _ = Self.globalInit
        self.handle = handle
        defer { self.handle = nil; control.finished() }
        if control.isCancelled { return .failure(.cancelled) }

        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE) + 1)
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE) + 1)
        defer { errorBuffer.deallocate() }
        var headerList: UnsafeMutablePointer<curl_slist>?
        defer { curl_slist_free_all(headerList) }
        for header in request.headers {
            // "Name:" with nothing after the colon removes a header libcurl would add itself.
            headerList = curl_slist_append(headerList, header.value.isEmpty ? "\(header.name):" : "\(header.name): \(header.value)")
        }
        headerList = curl_slist_append(headerList, "Expect:")

        let context = Unmanaged.passUnretained(self).toOpaque()
        _ = op_curl_setopt_string(handle, CURLOPT_URL, request.url)
        _ = op_curl_setopt_long(handle, CURLOPT_NOSIGNAL, 1)
        _ = op_curl_setopt_long(handle, CURLOPT_CONNECTTIMEOUT_MS, Int(options.connectTimeout * 1000))
        _ = op_curl_setopt_long(handle, CURLOPT_TIMEOUT_MS, request.timeout.map { Int($0 * 1000) } ?? 0)
        _ = op_curl_setopt_long(handle, CURLOPT_TCP_KEEPALIVE, 1)
        if !options.honorProxyEnvironment { _ = op_curl_setopt_string(handle, CURLOPT_NOPROXY, "*") }
        _ = op_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, UnsafeMutableRawPointer(errorBuffer))
        _ = op_curl_setopt_slist(handle, CURLOPT_HTTPHEADER, headerList)
        _ = op_curl_setopt_write(handle, CURLOPT_WRITEFUNCTION, curlWrite)
        _ = op_curl_setopt_pointer(handle, CURLOPT_WRITEDATA, context)
        _ = op_curl_setopt_write(handle, CURLOPT_HEADERFUNCTION, curlHeader)
        _ = op_curl_setopt_pointer(handle, CURLOPT_HEADERDATA, context)
        _ = op_curl_setopt_long(handle, CURLOPT_NOPROGRESS, 0)
        _ = op_curl_setopt_progress(handle, curlProgress)
        _ = op_curl_setopt_pointer(handle, CURLOPT_XFERINFODATA, context)
        if trackSocket {
            // A connection keeps these callbacks (and this context) for its whole life, so only a
            // handle that is cleaned up while this transfer still exists may use them (runAlone).
            _ = op_curl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
            _ = op_curl_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
            _ = op_curl_setopt_sockopt(handle, curlSocketOpened)
            _ = op_curl_setopt_pointer(handle, CURLOPT_SOCKOPTDATA, context)
            _ = op_curl_setopt_closesocket(handle, curlCloseSocket)
            _ = op_curl_setopt_pointer(handle, CURLOPT_CLOSESOCKETDATA, context)
        }
        setMethodAndBody(handle)

        lastActivity = .now
        let code = curl_easy_perform(handle)
        if code == CURLE_OK {
            var responseCode = 0
            _ = op_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &responseCode)
            return .success(HTTPResponseMessage(status: responseCode == 0 ? status : responseCode, headers: headers, body: body))
        }
        if control.isCancelled { return .failure(.cancelled) }
        if sinkStopped { return .success(HTTPResponseMessage(status: status, headers: headers, body: body)) }
        if code == CURLE_ABORTED_BY_CALLBACK { return .failure(.idle) }
        let detail = String(cString: errorBuffer)
        let message = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        return .failure(.transport(code: Int(code.rawValue), message: message, timedOut: code == CURLE_OPERATION_TIMEDOUT))
    }

    private func setMethodAndBody(_ handle: UnsafeMutableRawPointer) {
        let method = request.method.uppercased()
        switch method {
        case "GET": _ = op_curl_setopt_long(handle, CURLOPT_HTTPGET, 1)
        case "POST": _ = op_curl_setopt_long(handle, CURLOPT_POST, 1)
        default: _ = op_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, method)
        }
        guard method != "GET" else { return }
        let body = request.body ?? Data()
        if body.isEmpty, method != "POST" { return }
        _ = op_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count))
        if body.isEmpty {
            _ = op_curl_setopt_string(handle, CURLOPT_COPYPOSTFIELDS, "")
        } else {
            body.withUnsafeBytes { bytes in
                _ = op_curl_setopt_pointer(handle, CURLOPT_COPYPOSTFIELDS, UnsafeMutableRawPointer(mutating: bytes.baseAddress!))
            }
        }
    }

    fileprivate func receive(_ chunk: UnsafeRawBufferPointer) -> Bool {
        lastActivity = .now
        if status == 0, let handle {
            var code = 0
            _ = op_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &code)
            status = code
        }
        guard let sink, (200..<300).contains(status) else {
            body.append(contentsOf: chunk)
            return true
        }
        if sink(status, chunk) { return true }
        sinkStopped = true
        return false
    }

    fileprivate func receiveHeader(_ line: String) {
        lastActivity = .now
        let trimmed = line.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("HTTP/") {
            // A new response head (after a 100 Continue, say): start over.
            headers = [:]
            let parts = trimmed.split(separator: " ")
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            return
        }
        if trimmed.isEmpty {
            if status >= 200 { onHead?(status) }   // the blank line after a final (not 1xx) head
            return
        }
        guard let colon = trimmed.firstIndex(of: ":") else { return }
        let name = trimmed[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
        headers[name] = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }

    /// Non-zero stops the transfer: cancelled, or idle past the limit.
    fileprivate func progress() -> Int32 {
        if control.isCancelled { return 1 }
        if let idle = options.idleTimeout, ContinuousClock.now - lastActivity > .seconds(idle) { return 1 }
        return 0
    }

    fileprivate func socketOpened(_ fd: Int32) -> Int32 {
        control.opened(socket: fd) ? Int32(CURL_SOCKOPT_OK) : Int32(CURL_SOCKOPT_ERROR)
    }

    fileprivate func closeSocket(_ fd: Int32) -> Int32 {
        control.close(socket: fd)
        return 0
    }
}

/// Connection settings shared by every transfer of one backend.
struct CurlOptions: Sendable {
    var connectTimeout: TimeInterval = 5
    /// Stop a transfer that receives nothing (not even a keep-alive comment) for this long.
    var idleTimeout: TimeInterval?
    /// Use http_proxy/https_proxy/no_proxy from the environment (off: always connect directly).
    var honorProxyEnvironment = false
}

// C callbacks: plain functions (no captures); the transfer arrives through the context pointer.

private func transfer(_ context: UnsafeMutableRawPointer?) -> CurlTransfer {
    Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
}

private let curlWrite: op_curl_write_callback = { data, size, count, context in
    let length = size * count
    guard length > 0, let data else { return length }
    return transfer(context).receive(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
}

private let curlHeader: op_curl_write_callback = { data, size, count, context in
    let length = size * count
    guard length > 0, let data else { return length }
    let bytes = UnsafeRawBufferPointer(start: data, count: length)
    transfer(context).receiveHeader(String(decoding: bytes, as: UTF8.self))
    return length
}

private let curlProgress: curl_xferinfo_callback = { context, _, _, _, _ in
    transfer(context).progress()
}

private let curlSocketOpened: curl_sockopt_callback = { context, fd, _ in
    transfer(context).socketOpened(fd)
}

private let curlCloseSocket: curl_closesocket_callback = { context, fd in
    transfer(context).closeSocket(fd)
}
