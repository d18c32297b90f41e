import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import OrderPayCore

enum BenchTools {
    static func locate(_ tool: String) -> String? {
        for dir in ["/usr/sbin", "/usr/bin", "/usr/local/bin", "/sbin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(tool)") {
            return "\(dir)/\(tool)"
        }
        return nil
    }

    @discardableResult
    static func runQuietly(_ executable: URL, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else {
            throw AppError(.unavailable, "\(executable.lastPathComponent) \(arguments.joined(separator: " ")) failed: \(text)")
        }
        return text
    }

    static func freePort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// nginx as a reverse proxy doing the gateway's work where nginx can: keep-alive to the upstream,
/// as many workers as cores, an access log line per request naming the client and the upstream
/// (to a file, like the gateway's), X-Request-Id generated or propagated and returned,
/// X-Forwarded-For, a per-client request limit that is never reached, unbuffered responses. (No
/// JWT check: stock nginx cannot do one.)
struct Nginx {
    let process: Process

    static func start(directory: String, port: Int, upstreamPort: Int) throws -> Nginx {
        let root = (directory as NSString).appendingPathComponent("nginx")
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        let config = """
            worker_processes auto;
            pid \(root)/nginx.pid;
            error_log \(root)/error.log warn;
            events { worker_connections 4096; }
            http {
                map $http_x_request_id $orderpay_request_id { default $http_x_request_id; "" $request_id; }
                log_format orderpay '$time_iso8601 $remote_addr "$request" $status $orderpay_request_id $request_time $upstream_addr';
                access_log \(root)/access.log orderpay;
                limit_req_zone $http_authorization zone=clients:10m rate=1000000r/s;
                client_body_temp_path \(root)/body; proxy_temp_path \(root)/proxy;
                fastcgi_temp_path \(root)/fastcgi; uwsgi_temp_path \(root)/uwsgi; scgi_temp_path \(root)/scgi;
                upstream orders { server 127.0.0.1:\(upstreamPort); keepalive 128; }
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://orders;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_set_header X-Request-Id $orderpay_request_id;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                        add_header X-Request-Id $orderpay_request_id always;
                        limit_req zone=clients burst=1000000 nodelay;
                        proxy_buffering off;
                    }
                }
            }
            """
        let path = (root as NSString).appendingPathComponent("nginx.conf")
        try config.write(toFile: path, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BenchTools.locate("nginx") ?? "/usr/sbin/nginx")
        process.arguments = ["-c", path, "-p", root, "-g", "daemon off;"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date() + 5
        while Date() < deadline {
            if !process.isRunning { throw AppError(.unavailable, "nginx failed to start (see \(root)/error.log)") }
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
            close(fd)
            if connected == 0 { return Nginx(process: process) }
            usleep(50_000)
        }
        throw AppError(.unavailable, "nginx did not listen on port \(port)")
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

enum Wrk {
    static func run(url: String, token: String, connections: Int, seconds: Int) throws -> HTTPBenchmark.Measurement {
        let output = try BenchTools.runQuietly(URL(fileURLWithPath: BenchTools.locate("wrk") ?? "/usr/bin/wrk"), [
            "-t2", "-c\(connections)", "-d\(seconds)s", "--latency", "-H", "Authorization: Bearer \(token)", url,
        ])
        guard let rps = output.split(separator: "\n").first(where: { $0.contains("Requests/sec:") })
            .flatMap({ $0.split(separator: ":").last.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) } }) else {
            throw AppError(.unavailable, "could not read wrk's output:\n\(output)")
        }
        if let errors = output.split(separator: "\n").first(where: { $0.contains("Non-2xx") }) {
            throw AppError(.unavailable, "wrk saw failed requests against \(url): \(errors.trimmingCharacters(in: .whitespaces))")
        }
        let p99 = output.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("99%") }
            .map { parseLatency(String($0.trimmingCharacters(in: .whitespaces).dropFirst(3))) } ?? 0
        return HTTPBenchmark.Measurement(requestsPerSecond: rps, p99Ms: p99)
    }

    /// wrk prints "1.23ms", "850.00us", "1.02s".
    static func parseLatency(_ text: String) -> Double {
        let value = text.trimmingCharacters(in: .whitespaces)
        if value.hasSuffix("ms") { return Double(value.dropLast(2)) ?? 0 }
        if value.hasSuffix("us") { return (Double(value.dropLast(2)) ?? 0) / 1000 }
        if value.hasSuffix("s") { return (Double(value.dropLast(1)) ?? 0) * 1000 }
        return Double(value) ?? 0
    }
}
