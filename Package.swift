// swift-tools-version:6.1
import PackageDescription

/// One set of settings for every target, so the whole package is held to the same rules.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "tracemark",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tracemark", targets: ["tracemark"]),
        .library(name: "Store", targets: ["Store"]),
        .library(name: "Registry", targets: ["Registry"]),
        .library(name: "GS1", targets: ["GS1"]),
        .library(name: "Devices", targets: ["Devices"]),
        .library(name: "Labels", targets: ["Labels"]),
        .library(name: "Printing", targets: ["Printing"]),
        .library(name: "Stations", targets: ["Stations"]),
        .library(name: "Server", targets: ["Server"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // The HTTP API. Without swift-configuration (its default trait): the service reads its own YAML.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: ["FullFoundation"]),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Already in the graph through swift-prometheus: the metrics API stations and printers record with.
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        // RFC 4180 CSV for files of document lines (quoted fields, commas and line breaks in them).
        .package(url: "https://github.com/yaslab/CSV.swift.git", from: "2.5.2"),
    ],
    targets: [
        .target(name: "GS1", swiftSettings: swiftSettings),
        // What a failure is called and which HTTP and exit status it gets: stated once per error
        // type, read by the command line and the HTTP API alike.
        .target(name: "Problems", swiftSettings: swiftSettings),
        // POSIX plumbing the I/O targets share (package access, not a product): a monotonic
        // clock, descriptor flags, errno text, and the one way to run work off the cooperative pool.
        .target(name: "TracemarkSystem", swiftSettings: swiftSettings),
        .systemLibrary(name: "CLibUSB", pkgConfig: "libusb-1.0", providers: [.apt(["libusb-1.0-0-dev"])]),
        .target(
            name: "Devices",
            dependencies: [
                "CLibUSB", "TracemarkSystem", "Problems",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // C libraries for labels: zint and libpng name their library (zint has no pkg-config file);
        // FreeType keeps its headers in a subfolder, so it needs pkg-config.
        .systemLibrary(name: "CZint", providers: [.apt(["libzint-dev"])]),
        .systemLibrary(name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
        .systemLibrary(name: "CFreeType", pkgConfig: "freetype2", providers: [.apt(["libfreetype-dev"])]),
        // Check before print reads barcodes back with readers we did not write.
        .systemLibrary(name: "CZBar", pkgConfig: "zbar", providers: [.apt(["libzbar-dev"])]),
        .systemLibrary(name: "CDmtx", pkgConfig: "libdmtx", providers: [.apt(["libdmtx-dev"])]),
        .target(
            name: "Labels",
            dependencies: [
                "GS1", "CZint", "CPNG", "CFreeType", "CZBar", "CDmtx", "Problems",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: swiftSettings
        ),
        // libcups ships no pkg-config file on Debian 12: the module map names the library.
        .systemLibrary(name: "CCUPS", providers: [.apt(["libcups2-dev"])]),
        .target(
            name: "Printing",
            dependencies: [
                "Store", "CCUPS", "TracemarkSystem", "Problems",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The workflows both faces (command line, HTTP) call: scans looked up and acted on, label
        // data from the registry, render → enqueue → follow, production runs, the printer workers.
        .target(
            name: "Stations",
            dependencies: [
                "GS1", "Store", "Registry", "Labels", "Printing", "Devices", "TracemarkSystem",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // A ZPL printer on loopback for tests and benchmarks: answers ~HS with chosen states,
        // accepts slowly, drops the connection mid-job, or stays silent.
        .target(
            name: "PrinterSimulator",
            dependencies: [
                "TracemarkSystem",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite's C API, from Debian: the embedded registry's own connections (Sources/Store/SQLite).
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // The SQL store on SQLite and PostgreSQL: connections, their pool, transactions,
        // migrations, timestamps. One per process, shared by the registry and the spool.
        .target(
            name: "Store",
            dependencies: [
                "Problems", "TracemarkSystem",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                "CSQLite",
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "Registry",
            dependencies: [
                "GS1", "Store", "Problems",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            swiftSettings: swiftSettings
        ),
        // The HTTP API: a thin face over Stations and Registry, as the command line is.
        .target(
            name: "Server",
            dependencies: [
                "GS1", "Store", "Registry", "Labels", "Printing", "Stations", "Devices", "Problems", "TracemarkSystem",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                // Already built for Hummingbird: HTTP/1.0 connections are framed by its request heads.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Yams", package: "Yams"),
            ],
            // The station web page, hand-written, served from the binary itself (no files to install).
            resources: [.embedInCode("Web/index.html"), .embedInCode("Web/app.css"), .embedInCode("Web/app.js")],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "tracemark",
            dependencies: [
                "Server",
                "Problems",
                "GS1",
                "Store",
                "Registry",
                "Devices",
                "Labels",
                "Printing",
                "Stations",
                "TracemarkSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // What the benchmarks share: a store that writes down the statements it runs, for the
        // peers that run the same statements.
        .target(
            name: "BenchmarkSupport",
            dependencies: [
                "Store",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Benchmarks/Support",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "RegistryBenchmarks",
            dependencies: [
                "BenchmarkSupport",
                "GS1",
                "Store",
                "Registry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Benchmarks/RegistryBenchmarks",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "DevicesBenchmarks",
            dependencies: ["Devices"],
            path: "Benchmarks/DevicesBenchmarks",
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "LabelBenchmarks",
            dependencies: ["Labels"],
            path: "Benchmarks/LabelBenchmarks",
            exclude: ["peers.sh", "gs1-lot-100x50.glabels"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "PrintingBenchmarks",
            dependencies: [
                "BenchmarkSupport", "Printing", "PrinterSimulator", "Store", "Registry", .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Benchmarks/PrintingBenchmarks",
            exclude: ["lprint-peer.sh"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "StationBenchmarks",
            dependencies: [
                "Stations", "Registry", "Printing", "PrinterSimulator", "Labels", "GS1", "Store", "Devices",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            path: "Benchmarks/StationBenchmarks",
            swiftSettings: swiftSettings
        ),
        // Test support only: test databases on both backends, repository paths and the
        // tracemark executable, waiting for what another process does.
        .target(
            name: "TracemarkTesting",
            dependencies: ["Store", "TracemarkSystem", .product(name: "SQLKit", package: "sql-kit")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PrintingTests",
            dependencies: [
                "Printing", "PrinterSimulator", "Store", "Registry", "Labels", "Stations", "GS1", "TracemarkTesting", "TracemarkSystem",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "StationsTests",
            dependencies: [
                "Stations", "Registry", "Printing", "Labels", "GS1", "Store", "Devices", "TracemarkTesting",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "Stations", "Registry", "Printing", "PrinterSimulator", "Store", "TracemarkTesting",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "GS1Tests", dependencies: ["GS1", "TracemarkTesting"], swiftSettings: swiftSettings),
        .testTarget(
            name: "DevicesTests",
            dependencies: [
                "Devices", "TracemarkTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LabelsTests", dependencies: ["Labels", "GS1", "TracemarkTesting"], exclude: ["Golden"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RegistryTests",
            dependencies: [
                "Store", "Registry", "GS1", "TracemarkTesting",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
