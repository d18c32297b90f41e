import Foundation
import OrderPayCore

/// Eureka's instance JSON, as Spring Cloud Netflix and other Eureka clients send and expect it.
/// Decoding is lenient where clients differ (a port as number or string, optional fields);
/// encoding always writes the full shape.
public struct EurekaInstance: Codable, Equatable, Sendable {
    public struct Port: Codable, Equatable, Sendable {
        public var value: Int
        public var enabled: Bool

        enum CodingKeys: String, CodingKey { case value = "$", enabled = "@enabled" }

        public init(value: Int, enabled: Bool) { self.value = value; self.enabled = enabled }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            guard let number = try WholeNumber.decode(Int.self, c, .value) else {
                throw DecodingError.keyNotFound(CodingKeys.value, .init(codingPath: c.codingPath, debugDescription: "port.$ is required"))
            }
            guard (0...65535).contains(number) else {
                throw DecodingError.dataCorruptedError(forKey: .value, in: c, debugDescription: "must be a port number, 0–65535")
            }
            value = number
            if let flag = try? c.decode(Bool.self, forKey: .enabled) {
                enabled = flag
            } else {
                let text: String = (try? c.decode(String.self, forKey: .enabled)) ?? "true"
                enabled = text == "true"
            }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(value, forKey: .value)
            try c.encode(enabled ? "true" : "false", forKey: .enabled)
        }
    }

    public struct LeaseInfo: Codable, Equatable, Sendable {
        public var renewalIntervalInSecs: Int?
        public var durationInSecs: Int?
        public var registrationTimestamp: Int64?
        public var lastRenewalTimestamp: Int64?
        public var evictionTimestamp: Int64?
        public var serviceUpTimestamp: Int64?

        enum CodingKeys: String, CodingKey {
            case renewalIntervalInSecs, durationInSecs, registrationTimestamp, lastRenewalTimestamp, evictionTimestamp, serviceUpTimestamp
        }

        public init(renewalIntervalInSecs: Int? = nil, durationInSecs: Int? = nil, registrationTimestamp: Int64? = nil,
                    lastRenewalTimestamp: Int64? = nil, evictionTimestamp: Int64? = nil, serviceUpTimestamp: Int64? = nil) {
            self.renewalIntervalInSecs = renewalIntervalInSecs; self.durationInSecs = durationInSecs
            self.registrationTimestamp = registrationTimestamp; self.lastRenewalTimestamp = lastRenewalTimestamp
            self.evictionTimestamp = evictionTimestamp; self.serviceUpTimestamp = serviceUpTimestamp
        }

        /// Numbers as numbers or numeric strings, as Eureka's clients send them either way.
        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            renewalIntervalInSecs = try WholeNumber.decode(Int.self, c, .renewalIntervalInSecs)
            durationInSecs = try WholeNumber.decode(Int.self, c, .durationInSecs)
            registrationTimestamp = try WholeNumber.decode(Int64.self, c, .registrationTimestamp)
            lastRenewalTimestamp = try WholeNumber.decode(Int64.self, c, .lastRenewalTimestamp)
            evictionTimestamp = try WholeNumber.decode(Int64.self, c, .evictionTimestamp)
            serviceUpTimestamp = try WholeNumber.decode(Int64.self, c, .serviceUpTimestamp)
        }
    }

    /// A whole number sent as a JSON number or a numeric string (`30`, `"30"`, `30.0`); anything
    /// else is refused naming the field, not as "not valid JSON".
    public struct WholeNumber: Codable, Equatable, Sendable {
        public var value: Int
        public init(_ value: Int) { self.value = value }

        public init(from decoder: Decoder) throws {
            value = try Self.decode(Int.self, from: decoder.singleValueContainer())
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(value)
        }

        static func decode<T: FixedWidthInteger & Decodable, Key: CodingKey>(_: T.Type, _ c: KeyedDecodingContainer<Key>, _ key: Key) throws -> T? {
            guard c.contains(key), try !c.decodeNil(forKey: key) else { return nil }
            return try decode(T.self, from: c.superDecoder(forKey: key).singleValueContainer())
        }

        static func decode<T: FixedWidthInteger & Decodable>(_: T.Type, from c: SingleValueDecodingContainer) throws -> T {
            if let whole = try? c.decode(T.self) { return whole }
            if let text = try? c.decode(String.self), let whole = T(text.trimmingCharacters(in: .whitespaces)) { return whole }
            if let number = try? c.decode(Double.self), number.rounded() == number, let whole = T(exactly: number) { return whole }
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "must be a whole number within range")
        }
    }

    public struct DataCenterInfo: Codable, Equatable, Sendable {
        public var className: String
        public var name: String
        /// AWS instance data (`instance-id`, `availability-zone`, …) on an AmazonInfo.
        public var metadata: StringMap?
        enum CodingKeys: String, CodingKey { case className = "@class", name, metadata }

        public init(className: String, name: String, metadata: StringMap? = nil) {
            self.className = className; self.name = name; self.metadata = metadata
        }
    }

    /// Eureka's string-to-string maps, decoded leniently: clients written in other languages
    /// send numbers and booleans as such, and Java's maps can hold null (dropped).
    public struct StringMap: Codable, Equatable, Sendable {
        public var values: [String: String]

        public init(_ values: [String: String]) { self.values = values }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: Key.self)
            var values: [String: String] = [:]
            for key in c.allKeys where try !c.decodeNil(forKey: key) {
                if let text = try? c.decode(String.self, forKey: key) {
                    values[key.stringValue] = text
                } else if let flag = try? c.decode(Bool.self, forKey: key) {
                    values[key.stringValue] = String(flag)
                } else if let number = try? c.decode(Decimal.self, forKey: key) {
                    // Decimal keeps every digit of a long number (12345678901234567890), as sent.
                    values[key.stringValue] = number.description
                } else {
                    throw DecodingError.typeMismatch(String.self, .init(codingPath: c.codingPath + [key],
                                                                         debugDescription: "metadata values must be strings, numbers or booleans"))
                }
            }
            self.values = values
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: Key.self)
            for (key, value) in values { try c.encode(value, forKey: Key(stringValue: key)) }
        }
    }

    public var instanceId: String?
    public var hostName: String
    public var app: String
    public var ipAddr: String?
    public var status: String
    public var overriddenStatus: String?
    public var port: Port?
    public var securePort: Port?
    /// Where the instance serves: `host:port`, or `https://host:port` for one that has turned its
    /// plain port off (listed, but never routed to by the gateway).
    public var servingAddress: String {
        let host = ipAddr ?? hostName
        if port?.enabled == false, let securePort, securePort.enabled {
            return "https://" + HostAddress.authority(host, port: securePort.value)
        }
        return HostAddress.authority(host, port: port?.value ?? 0)
    }
    public var vipAddress: String?
    public var secureVipAddress: String?
    public var homePageUrl: String?
    public var statusPageUrl: String?
    public var healthCheckUrl: String?
    public var secureHealthCheckUrl: String?
    public var dataCenterInfo: DataCenterInfo?
    /// The instance's own key-value pairs (Spring puts zone, version, management port here).
    public var metadata: StringMap?
    public var appGroupName: String?
    public var asgName: String?
    public var countryId: WholeNumber?
    public var leaseInfo: LeaseInfo?
    public var lastUpdatedTimestamp: Timestamp?
    public var lastDirtyTimestamp: Timestamp?
    public var actionType: String?

    /// Milliseconds since 1970, which Eureka writes as a string and its clients send either way.
    public struct Timestamp: Codable, Equatable, Sendable {
        public var millis: String
        public init(_ millis: Int64) { self.millis = String(millis) }

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let number = try? c.decode(Int64.self) { millis = String(number) } else { millis = try c.decode(String.self) }
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(millis)
        }
    }

    /// The instance as our registry keeps it, shown the way Eureka shows one: what the instance
    /// said about itself when it registered (its URLs, host name, metadata, secure port, data
    /// center), with the registry's own fields filled in by the registry: id, app, status, lease,
    /// timestamps, and the address and port it routes to (the stored row's, should the two differ).
    public init(_ i: ServiceInstance, renewalInterval: TimeInterval, leaseDuration: TimeInterval) {
        // One registered in-process (no description of its own) is described as OrderPay's
        // services describe themselves.
        let described = i.descriptor.flatMap { try? JSONDecoder().decode(EurekaInstance.self, from: Data($0.utf8)) }
        self = described ?? EurekaInstance(app: i.app, instanceId: i.instanceId, host: i.host, port: i.port)
        instanceId = i.instanceId
        app = i.app
        ipAddr = i.host
        port = Port(value: i.port, enabled: described?.port?.enabled ?? true)
        status = i.status.rawValue
        overriddenStatus = (i.overriddenStatus ?? .unknown).rawValue
        let interval = described?.leaseInfo?.renewalIntervalInSecs.flatMap { $0 > 0 ? $0 : nil } ?? Int(renewalInterval)
        setLease(i, renewalInterval: interval, leaseDuration: Int(i.leaseDuration ?? leaseDuration))
    }

    private mutating func setLease(_ i: ServiceInstance, renewalInterval: Int, leaseDuration: Int) {
        // As Eureka reads a lease: it ends `durationInSecs` after the last renewal. A lease the
        // registry extended after a restart counts as renewed then, so readers (the gateway's
        // /api/registry) see when it really ends.
        let renewed = max(i.lastRenewedAt, i.leaseExpiresAt - TimeInterval(leaseDuration))
        leaseInfo = LeaseInfo(renewalIntervalInSecs: renewalInterval, durationInSecs: leaseDuration,
                              registrationTimestamp: Int64(i.registeredAt.timeIntervalSince1970 * 1000),
                              lastRenewalTimestamp: Int64(renewed.timeIntervalSince1970 * 1000),
                              evictionTimestamp: 0, serviceUpTimestamp: Int64(i.registeredAt.timeIntervalSince1970 * 1000))
        lastUpdatedTimestamp = Timestamp(Int64(i.lastRenewedAt.timeIntervalSince1970 * 1000))
        // The client's own (when its description last changed), as Eureka keeps it.
        lastDirtyTimestamp = lastDirtyTimestamp ?? Timestamp(Int64(i.registeredAt.timeIntervalSince1970 * 1000))
        actionType = "ADDED"
    }

    /// An instance as OrderPay's services register it: no lease duration of its own, so the
    /// registry's (`--lease-seconds`) applies.
    public init(app: String, instanceId: String, host: String, port: Int, status: InstanceStatus = .up, renewalInterval: TimeInterval = 30) {
        self.instanceId = instanceId
        hostName = host
        self.app = app
        ipAddr = host
        self.status = status.rawValue
        self.port = Port(value: port, enabled: true)
        securePort = Port(value: 443, enabled: false)
        vipAddress = app.lowercased()
        let base = "http://" + HostAddress.authority(host, port: port)
        homePageUrl = base + "/"
        statusPageUrl = base + "/health"
        healthCheckUrl = base + "/health"
        dataCenterInfo = DataCenterInfo(className: "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo", name: "MyOwn")
        leaseInfo = LeaseInfo(renewalIntervalInSecs: max(1, Int(renewalInterval.rounded(.up))))
    }

    /// The first text field holding a control character (an escape sequence, a line break, NUL),
    /// which would reach the terminals and logs that list instances; nil when there is none.
    public var fieldWithControlCharacters: String? {
        let texts: [(String, String?)] = [
            ("instanceId", instanceId), ("hostName", hostName), ("app", app), ("ipAddr", ipAddr), ("vipAddress", vipAddress),
            ("secureVipAddress", secureVipAddress), ("homePageUrl", homePageUrl), ("statusPageUrl", statusPageUrl),
            ("healthCheckUrl", healthCheckUrl), ("secureHealthCheckUrl", secureHealthCheckUrl), ("appGroupName", appGroupName),
            ("asgName", asgName),
        ]
        if let (field, _) = texts.first(where: { $0.1?.containsControlCharacters ?? false }) { return field }
        for (name, map) in [("metadata", metadata), ("dataCenterInfo.metadata", dataCenterInfo?.metadata)] {
            if map?.values.contains(where: { $0.key.containsControlCharacters || $0.value.containsControlCharacters }) ?? false { return name }
        }
        return nil
    }

    /// The id Eureka clients use: their own, else host:app:port as Spring Cloud builds it.
    public var resolvedInstanceId: String {
        instanceId.flatMap { $0.isEmpty ? nil : $0 } ?? "\(hostName):\(app.lowercased()):\(port?.value ?? 0)"
    }
}

/// `{"instance": {...}}`, the body of a registration.
public struct EurekaInstanceEnvelope: Codable, Sendable {
    public var instance: EurekaInstance
    public init(instance: EurekaInstance) { self.instance = instance }
}

public struct EurekaApplication: Codable, Sendable {
    public var name: String
    public var instance: [EurekaInstance]
}

/// `GET /eureka/apps` as JSON.
public struct EurekaApplications: Codable, Sendable {
    public struct Body: Codable, Sendable {
        public var versionsDelta: String
        public var appsHashcode: String
        public var application: [EurekaApplication]
        enum CodingKeys: String, CodingKey { case versionsDelta = "versions__delta", appsHashcode = "apps__hashcode", application }
    }
    public var applications: Body

    public init(_ applications: [EurekaApplication]) {
        var counts: [String: Int] = [:]
        for app in applications { for i in app.instance { counts[i.status, default: 0] += 1 } }
        let hash = counts.sorted { $0.key < $1.key }.map { "\($0.key)_\($0.value)_" }.joined()
        self.applications = Body(versionsDelta: "1", appsHashcode: hash, application: applications)
    }
}

public struct EurekaApplicationEnvelope: Codable, Sendable {
    public var application: EurekaApplication
}
