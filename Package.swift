// swift-tools-version:6.0
import PackageDescription

// Swift 5 language mode: the services use locks and GRDB queues for isolation; strict
// concurrency checking would add annotations without finding races those don't already prevent.
let package = Package(
    name: "OrderPay",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "orderpay", targets: ["orderpay"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.1.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/multipart-kit.git", from: "4.7.1"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
    ],
    targets: [
        .target(name: "OrderPayCore"),
        .target(
            name: "OrderPayServices",
            dependencies: [
                "OrderPayCore",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OrderPayStore",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "CSQLiteConfig",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The same repositories and event log on PostgreSQL (a schema per service), for scale-out.
        .target(
            name: "OrderPayPostgres",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayStore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Debian's librdkafka-dev: the Kafka event transport's client.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CSQLiteConfig", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Kafka clients, relay, group consumer and the event log readers see with --kafka.
        .target(
            name: "OrderPayKafka",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayStore", "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OrderPayEmbedded",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayStore", "OrderPayPostgres", "OrderPayKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OrderPayHTTP",
            dependencies: [
                "OrderPayCore", "OrderPayServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "MultipartKit", package: "multipart-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ]
        ),
        .target(
            name: "OrderPayGateway",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "OrderPayServer",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayStore", "OrderPayPostgres", "OrderPayEmbedded", "OrderPayGateway", "OrderPayHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .systemLibrary(name: "CNcurses", pkgConfig: "ncursesw", providers: [.apt(["libncurses-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        // The console's pure core: state, update, view, keymap, themes, scripts, the Backend protocol.
        .target(name: "OrderPayConsole", dependencies: ["OrderPayCore"]),
        // The ncurses adapter: keys in, cells out.
        .target(name: "OrderPayTerminal", dependencies: ["OrderPayConsole", "CNcurses"]),
        // The console's embedded backend: the service objects in this process.
        .target(name: "OrderPayConsoleEmbedded", dependencies: ["OrderPayConsole", "OrderPayCore", "OrderPayServices", "OrderPayEmbedded"]),
        // The console's remote mode: Backend over the gateway's REST API with libcurl.
        .target(name: "OrderPayRemote", dependencies: ["OrderPayCore", "OrderPayConsole", "CCurl"]),
        // `orderpay bench console`: frame times over 1k and 1M orders, terminal bytes, idle CPU.
        .target(name: "OrderPayConsoleBench", dependencies: ["OrderPayConsole", "OrderPayConsoleEmbedded", "OrderPayTerminal", "OrderPayCore",
                                                              "OrderPayServices", "OrderPayEmbedded", "OrderPayStore"]),
        .executableTarget(
            name: "orderpay",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayEmbedded", "OrderPayGateway", "OrderPayServer",
                "OrderPayConsole", "OrderPayTerminal", "OrderPayConsoleEmbedded", "OrderPayRemote", "OrderPayConsoleBench", "OrderPayKafka",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // What the integration suites share: the engine (SQLite or PostgreSQL) a run stores its data on.
        .target(name: "OrderPayTestSupport", dependencies: ["OrderPayCore", "OrderPayEmbedded", "OrderPayPostgres",
                                                              .product(name: "Logging", package: "swift-log")]),
        .testTarget(name: "OrderPayCoreTests", dependencies: ["OrderPayCore"]),
        .testTarget(name: "OrderPayConsoleTests", dependencies: ["OrderPayCore", "OrderPayServices", "OrderPayEmbedded", "OrderPayConsole", "OrderPayConsoleEmbedded"],
                    exclude: ["Snapshots"]),
        .testTarget(
            name: "OrderPayFlowTests",
            dependencies: ["OrderPayCore", "OrderPayServices", "OrderPayStore", "OrderPayEmbedded", "OrderPayTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")]
        ),
        .testTarget(
            name: "OrderPayKafkaTests",
            dependencies: ["OrderPayCore", "OrderPayServices", "OrderPayStore", "OrderPayEmbedded", "OrderPayKafka", "CRdKafka",
                           "OrderPayTestSupport", "OrderPayHTTP",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "Hummingbird", package: "hummingbird"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(name: "OrderPayCLITests", dependencies: ["OrderPayCore", "OrderPayStore", "OrderPayTestSupport", "orderpay"]),
        .testTarget(
            name: "OrderPayGatewayTests",
            dependencies: ["OrderPayCore", "OrderPayServices", "OrderPayStore", "OrderPayGateway", "OrderPayServer", "OrderPayEmbedded",
                           "OrderPayTestSupport",
                           .product(name: "GRDB", package: "GRDB.swift"),
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "NIOCore", package: "swift-nio"),
                           .product(name: "NIOHTTP1", package: "swift-nio"),
                           .product(name: "NIOPosix", package: "swift-nio"),
                           .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                           .product(name: "HummingbirdTesting", package: "hummingbird")]
        ),
        .testTarget(
            name: "OrderPayRemoteTests",
            dependencies: ["OrderPayCore", "OrderPayConsole", "OrderPayRemote", "OrderPayServices", "OrderPayStore",
                           "OrderPayEmbedded", "OrderPayGateway", "OrderPayServer", "OrderPayTestSupport", "CCurl",
                           .product(name: "AsyncHTTPClient", package: "async-http-client"),
                           .product(name: "Hummingbird", package: "hummingbird")]
        ),
        .testTarget(
            name: "OrderPayHTTPTests",
            dependencies: [
                "OrderPayCore", "OrderPayServices", "OrderPayEmbedded", "OrderPayHTTP", "OrderPayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v5]
)
